// The conformance run's node: `tskube kubelet --setup` on a private containerd (root only), torn down by teardown.sh even after failures.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { teardownNode } from '../scripts/node/node-runtime.ts';

/** The taint of the conformance run's real node; suites that want it tolerate this key. */
export const REAL_NODE_TAINT = 'tskube.test/real-node';

let child: ChildProcess | undefined;
let nodeDir: string | undefined;

/**
 * Starts a kubelet for this host against `kubeconfig`, its node runtime under `<dataDir>/node` with a
 * bridge, pod CIDR and cgroup root of its own (so it never clashes with another tskube node on the host).
 * Resolves the node name, or "" when not root or when set-up fails (the reason is printed).
 */
export async function startConformanceKubelet(dataDir: string, kubeconfig: string): Promise<string> {
  if (process.env.TSKUBE_CONFORMANCE_NO_KUBELET) return '';
  if (process.getuid?.() !== 0) {
    console.warn('[conformance] no kubelet: containerd, runc and CNI need root');
    return '';
  }
  const suffix = randomBytes(2).toString('hex');
  const r = randomBytes(2);
  nodeDir = join(dataDir, 'node');
  const nodeName = hostname().toLowerCase();
  const args = ['bin/tskube.mjs', 'kubelet', '--setup', '--kubeconfig', kubeconfig, '--data-dir', nodeDir, '--node-name', nodeName,
    // Other suites use stand-in kubelets and images that do not exist here: keep their pods off this real node.
    '--register-with-taints', `${REAL_NODE_TAINT}=true:NoSchedule`,
    '--bridge', `tskc${suffix}`, '--pod-cidr', `10.${200 + (r[0]! % 50)}.${r[1]}.0/24`, '--cgroup-root', `tskube-conformance-${suffix}`];
  child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('tskube kubelet did not start within 10 minutes')), 600_000);
      let out = '';
      child!.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('is running')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child!.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`tskube kubelet exited with ${code} before running`));
      });
    });
    return nodeName;
  } catch (e: unknown) {
    console.warn(`[conformance] no kubelet: ${e instanceof Error ? e.message : String(e)}`);
    await stopConformanceKubelet();
    return '';
  }
}

/** Stops the kubelet (SIGTERM, SIGKILL after 10 s) and tears the node runtime down (bounded: 2 minutes). Never throws. */
export async function stopConformanceKubelet(): Promise<void> {
  const c = child;
  child = undefined;
  if (c && c.exitCode === null && c.signalCode === null) {
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
  if (nodeDir) {
    const dir = nodeDir;
    nodeDir = undefined;
    await teardownNode(dir, { purge: true, timeoutMs: 120_000 }).catch((e: unknown) => console.warn(`[conformance] node teardown: ${e instanceof Error ? e.message : String(e)}`));
  }
}
