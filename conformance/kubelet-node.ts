// Real kubelet nodes for conformance runs: `tskube kubelet --setup` on a private containerd (root only), torn down by teardown.sh even after failures.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { teardownNode } from '../scripts/node/node-runtime.ts';

/** The taint of the conformance run's real node; suites that want it tolerate this key. */
export const REAL_NODE_TAINT = 'tskube.test/real-node';

export interface TestKubeletOptions {
  /** The node runtime's DATA_DIR (containerd, CNI, pod logs); purged on stop. */
  nodeDir: string;
  kubeconfig: string;
  nodeName: string;
  /** Declared with --pod-cidr; without it the Node's podCIDR comes from the cluster's node IPAM controller. */
  podCidr?: string;
  /** Names the node's own bridge (tsk<first letter><random>) and cgroup root (tskube-<tag>-<random>). */
  tag: string;
  /** How long set-up plus registration may take (default 10 minutes: a cold apt install is slow). */
  startTimeoutMs?: number;
}

/** A running test kubelet: `stop()` ends it and tears its node runtime down; bounded, never throws, idempotent. */
export interface TestKubelet {
  nodeName: string;
  nodeDir: string;
  stop(): Promise<void>;
}

/**
 * Starts `tskube kubelet --setup` for one node with a bridge and cgroup root of its own (so it never clashes with
 * another tskube node on the host), tainted {@link REAL_NODE_TAINT} so that suites using stand-in nodes keep their
 * pods off it. Resolves once the kubelet says it is running (Node registered).
 * @throws Error with the reason when the kubelet exits or does not start in time (the node is torn down first).
 */
export async function startTestKubelet(o: TestKubeletOptions): Promise<TestKubelet> {
  const suffix = randomBytes(2).toString('hex');
  const args = ['bin/tskube.mjs', 'kubelet', '--setup', '--kubeconfig', o.kubeconfig, '--data-dir', o.nodeDir, '--node-name', o.nodeName,
    '--register-with-taints', `${REAL_NODE_TAINT}=true:NoSchedule`,
    '--bridge', `tsk${o.tag.slice(0, 1)}${suffix}`, '--cgroup-root', `tskube-${o.tag}-${suffix}`,
    ...(o.podCidr ? ['--pod-cidr', o.podCidr] : []), ...clusterDnsFlags(o.kubeconfig)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopChild(child).then(() =>
    teardownNode(o.nodeDir, { purge: true, timeoutMs: 120_000 }).then(() => undefined, (e: unknown) => console.warn(`[conformance] node teardown: ${e instanceof Error ? e.message : String(e)}`))));
  try {
    await new Promise<void>((resolve, reject) => {
      const ms = o.startTimeoutMs ?? 600_000;
      const timer = setTimeout(() => reject(new Error(`tskube kubelet did not start within ${Math.round(ms / 1000)} s`)), ms);
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('is running')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tskube kubelet exited with ${code} before running`));
      });
    });
  } catch (e: unknown) {
    await stop();
    throw e;
  }
  return { nodeName: o.nodeName, nodeDir: o.nodeDir, stop };
}

/** Cluster DNS (issue 8): `--cluster-dns <kube-dns clusterIP> --cluster-domain cluster.local` when the cluster publishes kube-dns. */
function clusterDnsFlags(kubeconfig: string): string[] {
  try {
    const ip = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', 'service', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30_000 }).trim();
    return ip ? ['--cluster-dns', ip, '--cluster-domain', 'cluster.local'] : [];
  } catch {
    console.warn('[conformance] no kube-dns Service: pods get the host resolv.conf');
    return [];
  }
}

/** SIGTERM, SIGKILL after 10 s; resolves once the process is gone. */
async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGTERM');
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      c.kill('SIGKILL');
      resolve();
    }, 10_000);
    c.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

let runNode: TestKubelet | undefined;

/**
 * Starts the conformance run's kubelet for this host against `kubeconfig`, its node runtime under `<dataDir>/node`
 * with an explicit pod CIDR (the --pod-cidr path). Resolves the node name, or "" when not root or when set-up
 * fails (the reason is printed).
 */
export async function startConformanceKubelet(dataDir: string, kubeconfig: string): Promise<string> {
  if (process.env.TSKUBE_CONFORMANCE_NO_KUBELET) return '';
  if (process.getuid?.() !== 0) {
    console.warn('[conformance] no kubelet: containerd, runc and CNI need root');
    return '';
  }
  const r = randomBytes(2);
  try {
    runNode = await startTestKubelet({ nodeDir: join(dataDir, 'node'), kubeconfig, nodeName: hostname().toLowerCase(), tag: 'conformance', podCidr: `10.${200 + (r[0]! % 50)}.${r[1]}.0/24` });
    return runNode.nodeName;
  } catch (e: unknown) {
    console.warn(`[conformance] no kubelet: ${e instanceof Error ? e.message : String(e)}`);
    return '';
  }
}

/** Stops the run's kubelet and tears its node runtime down (bounded: about 2 minutes). Never throws. */
export async function stopConformanceKubelet(): Promise<void> {
  const n = runNode;
  runNode = undefined;
  await n?.stop();
}
