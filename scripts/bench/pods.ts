// Pod start-up benchmark: N pods from create to Running+Ready (seen through a watch), against the raw CRI floor on the same node.
// Usage (root): npx tsx scripts/bench/pods.ts [--pods 20] [--concurrency 5]
// Starts its own `tskube up --no-kubelet` in a temporary dir, sets the node runtime up, measures the raw CRI floor,
// then starts `tskube kubelet` (the floor must run first: a kubelet removes sandboxes no pod owns) and tears down after.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, watchEvents } from '../../controllers/runtime/index.ts';
import { CriClient } from '../../kubelet/cri/client.ts';
import { setupNode, teardownNode } from '../node/node-runtime.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('pods', 20);
const CONCURRENCY = arg('concurrency', 5);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const summary = (xs: number[]): string => `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

async function pool<T>(items: T[], n: number, fn: (t: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: n }, async () => {
    for (let t = queue.shift(); t !== undefined; t = queue.shift()) await fn(t);
  }));
}

/** RunPodSandbox + CreateContainer + StartContainer of `sleep`, N times at the same concurrency: what the kubelet can at best do. */
async function criFloor(socket: string, logDir: string): Promise<number[]> {
  const cri = new CriClient(socket);
  const times: number[] = [];
  const made: string[] = [];
  await pool([...Array(N).keys()], CONCURRENCY, async (i) => {
    const uid = randomUUID();
    const t0 = performance.now();
    const sandboxConfig = {
      metadata: { name: `floor-${i}`, uid, namespace: 'bench', attempt: 0 }, hostname: `floor-${i}`, logDirectory: join(logDir, uid),
      labels: { 'tskube.bench': 'floor' }, linux: { cgroupParent: `/kubepods/besteffort/pod${uid}` },
    };
    mkdirSync(join(logDir, uid), { recursive: true });
    const sb = await cri.runPodSandbox(sandboxConfig);
    made.push(sb);
    const id = await cri.createContainer(sb, { metadata: { name: 'c', attempt: 0 }, image: { image: 'localhost/busybox:latest' }, command: ['sleep', '3600'], logPath: 'c.log' }, sandboxConfig);
    await cri.startContainer(id);
    times.push(performance.now() - t0);
  });
  await pool(made, CONCURRENCY, async (sb) => {
    await cri.stopPodSandbox(sb);
    await cri.removePodSandbox(sb);
  });
  cri.close();
  return times;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('needs root (containerd)');
  const dir = mkdtempSync(join(tmpdir(), 'tskube-bench-pods-'));
  const up = spawn(process.execPath, ['bin/tskube.mjs', 'up', '--data-dir', dir, '--port', '0', '--no-kubelet'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let kubeletProc: ReturnType<typeof spawn> | undefined;
  try {
    const kubeconfig = await new Promise<string>((resolve, reject) => {
      let out = '';
      up.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /export KUBECONFIG=(\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      up.once('exit', (code) => reject(new Error(`tskube up exited with ${code}`)));
    });
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const client = new ApiClient(kc);
    const node = hostname().toLowerCase();
    const setup = await setupNode(join(dir, 'node'), { bridge: 'tskbench0', podCidr: '10.199.0.0/16', cgroupRoot: 'kubepods' });
    console.log(`node set-up: ${setup.ms} ms`);
    const floor = await criFloor(join(dir, 'node', 'containerd', 'containerd.sock'), join(dir, 'bench-logs'));
    console.log(`raw CRI floor (${N} pods, concurrency ${CONCURRENCY}): ${summary(floor)}`);
    kubeletProc = spawn(process.execPath, ['bin/tskube.mjs', 'kubelet', '--kubeconfig', kubeconfig, '--data-dir', join(dir, 'node'), '--node-name', node], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      kubeletProc!.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('is running')) resolve(); });
      kubeletProc!.once('exit', (code) => reject(new Error(`tskube kubelet exited with ${code}`)));
    });

    const ns = 'default';
    const list = await client.request<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${ns}/pods`);
    const ctl = new AbortController();
    const stream = await client.stream(`/api/v1/namespaces/${ns}/pods`, { watch: 1, resourceVersion: list.metadata.resourceVersion }, ctl.signal);
    const created = new Map<string, number>();
    const ready = new Map<string, number>();
    let allReady!: () => void;
    const done = new Promise<void>((r) => (allReady = r));
    void (async () => {
      try {
        for await (const ev of watchEvents(stream)) {
          if (ev.type === 'ERROR') continue;
          const o = ev.object as { metadata: { name?: string }; status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } };
          const name = o.metadata.name ?? '';
          if (!name.startsWith('bench-') || ready.has(name)) continue;
          if (o.status?.phase === 'Running' && o.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
            ready.set(name, performance.now());
            if (ready.size === N) allReady();
          }
        }
      } catch {
        // aborted at the end
      }
    })();
    const t0 = performance.now();
    await pool([...Array(N).keys()], CONCURRENCY, async (i) => {
      const name = `bench-${i}`;
      created.set(name, performance.now());
      await client.request('POST', `/api/v1/namespaces/${ns}/pods`, {
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: node, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'localhost/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] } },
      });
    });
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${ready.size}/${N} pods Ready after 120 s`)), 120_000))]);
    const total = performance.now() - t0;
    ctl.abort();
    const lat = [...created].map(([name, t]) => ready.get(name)! - t);
    console.log(`kubelet pods (${N}, create concurrency ${CONCURRENCY}): create → Running+Ready ${summary(lat)}; all ${N} in ${total.toFixed(0)} ms`);
    console.log(`overhead over the CRI floor at p50: ${(pct(lat, 50) - pct(floor, 50)).toFixed(0)} ms`);
    await client.request('DELETE', `/api/v1/namespaces/${ns}/pods`, { query: { gracePeriodSeconds: 0 } }).catch(() => undefined);
    client.close();
  } finally {
    kubeletProc?.kill('SIGTERM');
    up.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2000));
    await teardownNode(join(dir, 'node'), { purge: true }).catch((e: unknown) => console.error(e));
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
