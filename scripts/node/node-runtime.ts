// Run scripts/node/setup.sh and teardown.sh from TypeScript (kubelet, CLI, tests) and read node.env.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const SETUP = fileURLToPath(new URL('./setup.sh', import.meta.url));
const TEARDOWN = fileURLToPath(new URL('./teardown.sh', import.meta.url));
const CNI_CONFIG = fileURLToPath(new URL('./cni-config.sh', import.meta.url));

export interface SetupOptions {
  podCidr?: string;
  /** No CNI network until the kubelet knows the Node's podCIDR ({@link configureNodeCni}); ignored when podCidr is given. */
  noPodCidr?: boolean;
  bridge?: string;
  cgroupRoot?: string;
  /** Do not tag busybox as docker.io/library/busybox:latest. */
  noBusyboxAlias?: boolean;
  /** Kill the script after this long (default 10 minutes: a cold apt install can be slow). */
  timeoutMs?: number;
}

/** What setup.sh wrote to DATA_DIR/node.env. */
export interface NodeEnv {
  dataDir: string;
  containerdSocket: string;
  containerdPidFile: string;
  cniNetwork: string;
  cniBridge: string;
  cniConfDir: string;
  podCidr: string;
  podGateway: string;
  cgroupRoot: string;
  snapshotter: string;
  sandboxImage: string;
  busyboxImage: string;
  busyboxAlias: string;
}

export interface ScriptResult {
  output: string;
  ms: number;
}

function run(script: string, args: string[], timeoutMs: number): Promise<ScriptResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    execFile('bash', [script, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const output = stdout + stderr;
        if (error) reject(new Error(`${script} ${args.join(' ')} failed: ${error.message}\n${output}`, { cause: error }));
        else resolve({ output, ms: Date.now() - started });
      });
  });
}

/**
 * Bring up the node runtime under `dataDir` (root only) and return its facts. Idempotent; rejects with
 * the script's output when it fails or runs past `timeoutMs`.
 */
export async function setupNode(dataDir: string, options: SetupOptions = {}): Promise<ScriptResult & { env: NodeEnv }> {
  const args = [dataDir];
  if (options.podCidr) args.push('--pod-cidr', options.podCidr);
  else if (options.noPodCidr) args.push('--no-pod-cidr');
  if (options.bridge) args.push('--bridge', options.bridge);
  if (options.cgroupRoot) args.push('--cgroup-root', options.cgroupRoot);
  if (options.noBusyboxAlias) args.push('--no-busybox-alias');
  const result = await run(SETUP, args, options.timeoutMs ?? 600_000);
  return { ...result, env: await readNodeEnv(dataDir) };
}

/**
 * Write (or rewrite) the node's CNI network for `podCidr` (scripts/node/cni-config.sh) and record it in
 * node.env; containerd picks the file up without a restart. Root only; rejects with the script's output
 * when the CIDR is invalid or overlaps another running node's on this host.
 */
export function configureNodeCni(dataDir: string, podCidr: string, timeoutMs = 30_000): Promise<ScriptResult> {
  return run(CNI_CONFIG, [dataDir, '--pod-cidr', podCidr], timeoutMs);
}

/** Stop the node runtime under `dataDir` and clean the host; `purge` also deletes what setup wrote. Never rejects on leftovers. */
export function teardownNode(dataDir: string, options: { purge?: boolean; timeoutMs?: number } = {}): Promise<ScriptResult> {
  return run(TEARDOWN, options.purge ? [dataDir, '--purge'] : [dataDir], options.timeoutMs ?? 120_000);
}

/** containerd's namespace for images the CRI plugin (and so the kubelet) sees. */
const CRI_NAMESPACE = 'k8s.io';

function ctr(env: NodeEnv, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ctr', ['--address', env.containerdSocket, '--namespace', CRI_NAMESPACE, ...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`ctr ${args.join(' ')}: ${(stderr || error.message).trim()}`, { cause: error })) : resolve(stdout)));
  });
}

/**
 * Import image tarballs (`docker save` or OCI image layout) into the node's containerd, where the kubelet finds them
 * (ImageStatus) without a registry; resolves the image names the node holds afterwards. Rejects with ctr's message.
 */
export async function importImages(dataDir: string, tarballs: readonly string[], timeoutMs = 300_000): Promise<string[]> {
  const env = await readNodeEnv(dataDir);
  for (const file of tarballs) await ctr(env, ['images', 'import', '--snapshotter', env.snapshotter || 'overlayfs', file], timeoutMs);
  return listImages(dataDir, env);
}

/** The image names in the node's containerd (the CRI namespace), sorted. */
export async function listImages(dataDir: string, env?: NodeEnv): Promise<string[]> {
  const out = await ctr(env ?? await readNodeEnv(dataDir), ['images', 'ls', '-q'], 30_000);
  return out.split('\n').map((l) => l.trim()).filter(Boolean).sort();
}

/** Parse DATA_DIR/node.env (KEY=value lines); rejects when setup.sh has not written it. */
export async function readNodeEnv(dataDir: string): Promise<NodeEnv> {
  const text = await readFile(`${dataDir.replace(/\/+$/, '')}/node.env`, 'utf8');
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line);
    if (m) values.set(m[1]!, m[2]!);
  }
  const get = (key: string): string => values.get(key) ?? '';
  return {
    dataDir: get('DATA_DIR'),
    containerdSocket: get('CONTAINERD_SOCKET'),
    containerdPidFile: get('CONTAINERD_PID_FILE'),
    cniNetwork: get('CNI_NETWORK'),
    cniBridge: get('CNI_BRIDGE'),
    cniConfDir: get('CNI_CONF_DIR'),
    podCidr: get('POD_CIDR'),
    podGateway: get('POD_GATEWAY'),
    cgroupRoot: get('CGROUP_ROOT'),
    snapshotter: get('SNAPSHOTTER'),
    sandboxImage: get('SANDBOX_IMAGE'),
    busyboxImage: get('BUSYBOX_IMAGE'),
    busyboxAlias: get('BUSYBOX_ALIAS'),
  };
}
