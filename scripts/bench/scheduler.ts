// Scheduler benchmark: pods scheduled per second on 100 and 1,000 plain Node objects (capacity set via the API, no kubelet).
// Usage: npx tsx scripts/bench/scheduler.ts [--pods N] [--kubeconfig FILE]. Starts its own `tskube apiserver` per scenario
// (or uses the cluster of --kubeconfig, cleaning up after each scenario), creates the nodes and N unscheduled pods for
// schedulerName bench-scheduler (so a cluster's own scheduler leaves them alone), then starts an in-process scheduler
// for that name and times until every pod is bound. Writes bench-report-scheduler.json.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient } from '../../controllers/runtime/index.ts';
import { startScheduler, type Scheduler } from '../../scheduler/index.ts';
import { createLogger } from '../../server/log.ts';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const PODS = Number(flag('pods') ?? 1000);
const SCHEDULER_NAME = 'bench-scheduler';

interface Result {
  nodes: number;
  pods: number;
  seconds: number;
  podsPerSecond: number;
  cacheSyncSeconds: number;
}

async function withApiServer<T>(fn: (kubeconfig: string) => Promise<T>): Promise<T> {
  const given = flag('kubeconfig');
  if (given) return fn(given);
  const dataDir = mkdtempSync(join(tmpdir(), 'tskube-bench-sched-'));
  const child = spawn(process.execPath, ['bin/tskube.mjs', 'apiserver', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const kubeconfig = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /export KUBECONFIG=(\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.once('exit', (code) => reject(new Error(`apiserver exited: ${code}`)));
    });
    return await fn(kubeconfig);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Runs `fn` over `items` with at most `width` calls in flight. */
async function parallel<T>(items: readonly T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function scenario(numNodes: number): Promise<Result> {
  return withApiServer(async (kubeconfig) => {
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const client = new ApiClient(kc, { userAgent: 'tskube-bench' });
    const names = Array.from({ length: numNodes }, (_, i) => `bench-node-${i}`);
    const ns = `bench-sched-${Date.now().toString(36)}`;
    await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    const resources = { cpu: '32', memory: '128Gi', pods: '110' };
    await parallel(names, 16, async (name) => {
      await client.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } } } });
      await client.request('PATCH', `/api/v1/nodes/${name}/status`, { body: { status: { capacity: resources, allocatable: resources } }, contentType: 'application/merge-patch+json' });
    });
    const pods = Array.from({ length: PODS }, (_, i) => `pod-${i}`);
    await parallel(pods, 16, (name) =>
      client.request('POST', `/api/v1/namespaces/${ns}/pods`, {
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { schedulerName: SCHEDULER_NAME, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'localhost/pause:3.9', resources: { requests: { cpu: '100m', memory: '100Mi' } } }] } },
      }),
    );
    let sched: Scheduler | undefined;
    const start = performance.now();
    const running = await startScheduler({ kubeconfig, leaderElect: false, schedulerName: SCHEDULER_NAME, log: createLogger('bench-scheduler'), onScheduler: (s) => (sched = s) });
    let synced = 0;
    while (!sched || sched.scheduledCount < PODS) {
      if (!synced && sched && sched.cache.nodeCount() === numNodes) synced = performance.now();
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - start) / 1000;
    await running.stop();
    // Leave a shared cluster as found (pods have no grace period, so they go at once).
    await client.request('DELETE', `/api/v1/namespaces/${ns}/pods`, { query: { gracePeriodSeconds: 0 }, timeoutMs: 120_000 });
    await client.request('DELETE', `/api/v1/namespaces/${ns}`);
    await parallel(names, 16, (name) => client.request('DELETE', `/api/v1/nodes/${name}`));
    client.close();
    return { nodes: numNodes, pods: PODS, seconds: +seconds.toFixed(3), podsPerSecond: +(PODS / seconds).toFixed(1), cacheSyncSeconds: +(((synced || start) - start) / 1000).toFixed(3) };
  });
}

const results: Result[] = [];
for (const n of [100, 1000]) {
  const r = await scenario(n);
  results.push(r);
  process.stdout.write(`${String(r.nodes).padStart(5)} nodes  ${r.pods} pods  ${r.seconds.toFixed(2)} s  ${r.podsPerSecond} pods/s  (cache sync ${r.cacheSyncSeconds} s)\n`);
}
writeFileSync('bench-report-scheduler.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, results }, null, 2) + '\n');
