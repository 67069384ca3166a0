// Pod start-up benchmark: N pods from create to Running+Ready (seen through a watch), against the raw CRI floor on the same node.
// Usage (root): npx tsx scripts/bench/pods.ts [--pods 20] [--concurrency 5] [--direct]
// Starts its own `tskube up --no-kubelet` in a temporary dir, sets the node runtime up, measures the raw CRI floor,
// then starts `tskube kubelet` (the floor must run first: a kubelet removes sandboxes no pod owns) and tears down after.
// Pods go through the scheduler unless --direct (spec.nodeName set at create). Per-stage times come from the watch
// (API answer, binding, Ready) and from the runtime's own nanosecond timestamps (sandbox and container created/started).
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
const DIRECT = process.argv.includes('--direct');
/** Runtime names of our own, so the bench never clashes with another tskube node on the host. */
const SUFFIX = randomUUID().slice(0, 4);
const CGROUP_ROOT = `tskube-bench-${SUFFIX}`;

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
      labels: { 'tskube.bench': 'floor' }, linux: { cgroupParent: `/${CGROUP_ROOT}/besteffort/pod${uid}` },
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

/** The kubelet's own marks of a pod's first start (epoch ms), from its debug log. */
interface KubeletMarks { seen: number; synced?: number; volumes?: number; sandbox?: number; containers?: number; reported: number }
const kubeletMarks = new Map<string, KubeletMarks>();

interface Marks {
  sent: Map<string, number>;
  answered: Map<string, number>;
  bound: Map<string, number>;
  ready: Map<string, number>;
  uids: Map<string, string>;
}

/**
 * Per-stage times of each pod, printed as p50/p99: API (POST answered), schedule (binding seen on the watch),
 * kubelet pick-up (→ RunPodSandbox began, CRI sandbox createdAt), sandbox (→ CreateContainer, container
 * createdAt), start (→ container startedAt), status (→ Running+Ready seen on the watch).
 */
async function printStages(socket: string, m: Marks): Promise<void> {
  const cri = new CriClient(socket);
  const ms = (nanos: string | number | undefined): number => Number(BigInt(nanos ?? 0) / 1_000_000n);
  const sandboxAt = new Map<string, number>();
  for (const s of await cri.listPodSandbox()) sandboxAt.set(s.labels['io.kubernetes.pod.uid'] ?? '', ms(s.createdAt));
  const containerAt = new Map<string, { created: number; started: number }>();
  for (const c of await cri.listContainers()) {
    const st = (await cri.containerStatus(c.id)).status;
    if (st) containerAt.set(c.labels['io.kubernetes.pod.uid'] ?? '', { created: ms(st.createdAt), started: ms(st.startedAt) });
  }
  cri.close();
  const stages: Record<string, number[]> = { api: [], schedule: [], 'kubelet pick-up': [], sandbox: [], start: [], 'status (patch + watch)': [] };
  for (const [name, sent] of m.sent) {
    const uid = m.uids.get(name) ?? '';
    const sb = sandboxAt.get(uid);
    const c = containerAt.get(uid);
    const answered = m.answered.get(name)!;
    const bound = Math.max(answered, m.bound.get(name) ?? answered);
    if (sb === undefined || !c) continue;
    stages.api!.push(answered - sent);
    stages.schedule!.push(bound - answered);
    stages['kubelet pick-up']!.push(sb - bound);
    stages.sandbox!.push(c.created - sb);
    stages.start!.push(c.started - c.created);
    stages['status (patch + watch)']!.push(m.ready.get(name)! - c.started);
  }
  console.log('stages (ms, p50 / p99):');
  for (const [stage, xs] of Object.entries(stages)) if (xs.length) console.log(`  ${stage.padEnd(24)} ${pct(xs, 50).toFixed(0).padStart(6)} / ${pct(xs, 99).toFixed(0)}`);
  // The kubelet's view of the same start-ups (absent when the kubelet does not log them).
  const inside: Record<string, number[]> = { 'informer delivery': [], 'worker queue': [], volumes: [], 'sandbox (kubelet)': [], 'containers (kubelet)': [], 'status patch': [] };
  for (const [name] of m.sent) {
    const k = kubeletMarks.get(m.uids.get(name) ?? '');
    const bound = m.bound.get(name) ?? m.answered.get(name);
    if (!k || bound === undefined || k.synced === undefined || k.volumes === undefined || k.sandbox === undefined || k.containers === undefined) continue;
    inside['informer delivery']!.push(k.seen - bound);
    inside['worker queue']!.push(k.synced - k.seen);
    inside.volumes!.push(k.volumes - k.synced);
    inside['sandbox (kubelet)']!.push(k.sandbox - k.volumes);
    inside['containers (kubelet)']!.push(k.containers - k.sandbox);
    inside['status patch']!.push(k.reported - k.containers);
  }
  if (inside.volumes!.length) {
    console.log(`kubelet marks (${inside.volumes!.length} pods; ms, p50 / p99):`);
    for (const [stage, xs] of Object.entries(inside)) console.log(`  ${stage.padEnd(24)} ${pct(xs, 50).toFixed(0).padStart(6)} / ${pct(xs, 99).toFixed(0)}`);
  }
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
    const setup = await setupNode(join(dir, 'node'), { bridge: `tskb${SUFFIX}`, podCidr: `10.${150 + (parseInt(SUFFIX, 16) % 40)}.0.0/16`, cgroupRoot: CGROUP_ROOT });
    console.log(`node set-up: ${setup.ms} ms`);
    const floor = await criFloor(join(dir, 'node', 'containerd', 'containerd.sock'), join(dir, 'bench-logs'));
    console.log(`raw CRI floor (${N} pods, concurrency ${CONCURRENCY}): ${summary(floor)}`);
    // Debug level for the kubelet's "pod start-up" marks (pod-worker.ts); its other lines pass through from warn up.
    kubeletProc = spawn(process.execPath, ['bin/tskube.mjs', 'kubelet', '--kubeconfig', kubeconfig, '--data-dir', join(dir, 'node'), '--node-name', node, '-v=2'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    kubeletProc.stderr!.on('data', (c: Buffer) => {
      pending += c.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.includes('"pod start-up"')) {
          const m = JSON.parse(line) as KubeletMarks & { uid: string };
          kubeletMarks.set(m.uid, m);
        } else if (/"level":"(warn|error)"/.test(line) || !line.startsWith('{')) process.stderr.write(`${line}\n`);
      }
    });
    await new Promise<void>((resolve, reject) => {
      kubeletProc!.stdout!.on('data', (c: Buffer) => { if (c.toString().includes('is running')) resolve(); });
      kubeletProc!.once('exit', (code) => reject(new Error(`tskube kubelet exited with ${code}`)));
    });

    const ns = 'default';
    const list = await client.request<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${ns}/pods`);
    const ctl = new AbortController();
    const stream = await client.stream(`/api/v1/namespaces/${ns}/pods`, { watch: 1, resourceVersion: list.metadata.resourceVersion }, ctl.signal);
    /** Wall-clock ms per pod name: POST sent, POST answered, binding seen, Running+Ready seen. */
    const sent = new Map<string, number>();
    const answered = new Map<string, number>();
    const bound = new Map<string, number>();
    const ready = new Map<string, number>();
    const uids = new Map<string, string>();
    let allReady!: () => void;
    const done = new Promise<void>((r) => (allReady = r));
    void (async () => {
      try {
        for await (const ev of watchEvents(stream)) {
          if (ev.type === 'ERROR') continue;
          const o = ev.object as { metadata: { name?: string; uid?: string }; spec?: { nodeName?: string }; status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } };
          const name = o.metadata.name ?? '';
          if (!name.startsWith('bench-') || ready.has(name)) continue;
          const now = Date.now();
          if (o.metadata.uid) uids.set(name, o.metadata.uid);
          if (o.spec?.nodeName && !bound.has(name)) bound.set(name, now);
          if (o.status?.phase === 'Running' && o.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) {
            ready.set(name, now);
            if (ready.size === N) allReady();
          }
        }
      } catch {
        // aborted at the end
      }
    })();
    const t0 = Date.now();
    await pool([...Array(N).keys()], CONCURRENCY, async (i) => {
      const name = `bench-${i}`;
      sent.set(name, Date.now());
      await client.request('POST', `/api/v1/namespaces/${ns}/pods`, {
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { ...(DIRECT ? { nodeName: node } : {}), terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'localhost/busybox:latest', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] } },
      });
      answered.set(name, Date.now());
    });
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`only ${ready.size}/${N} pods Ready after 120 s`)), 120_000))]);
    const total = Date.now() - t0;
    ctl.abort();
    const lat = [...sent].map(([name, t]) => ready.get(name)! - t);
    console.log(`kubelet pods (${N}, create concurrency ${CONCURRENCY}, ${DIRECT ? 'spec.nodeName at create' : 'bound by the scheduler'}): create → Running+Ready ${summary(lat)}; all ${N} in ${total.toFixed(0)} ms`);
    console.log(`overhead over the CRI floor at p50: ${(pct(lat, 50) - pct(floor, 50)).toFixed(0)} ms`);
    await printStages(join(dir, 'node', 'containerd', 'containerd.sock'), { sent, answered, bound, ready, uids });
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
