// API benchmark: create/get/list/update/watch throughput and latency at 1, 8 and 64 concurrent clients.
// Usage: npm run bench [-- --kubeconfig FILE] [--seconds N]. Without --kubeconfig it starts its own `tskube apiserver`.
// Prints a table and writes bench-report.json.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import * as yaml from 'js-yaml';
import { percentile, timed, type Timing as Result } from './report-lib.ts';

interface Target {
  url: string;
  token: string;
  ca: Buffer;
  child?: ChildProcess;
  dataDir?: string;
}

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const SECONDS = Number(flag('seconds') ?? 3);

async function startTarget(): Promise<Target> {
  const kubeconfig = flag('kubeconfig');
  if (kubeconfig) {
    const kc = yaml.load(readFileSync(kubeconfig, 'utf8')) as any; // kubeconfig YAML: only three fields are read
    const cluster = kc.clusters[0].cluster;
    return { url: cluster.server, token: kc.users[0].user.token, ca: Buffer.from(cluster['certificate-authority-data'], 'base64') };
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'tskube-bench-'));
  const child = spawn(process.execPath, ['bin/tskube.mjs', 'apiserver', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /serving at (https:\/\/\S+);/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`apiserver exited: ${code}`)));
  });
  const token = readFileSync(join(dataDir, 'tokens.csv'), 'utf8').split(',')[0];
  return { url, token, ca: readFileSync(join(dataDir, 'pki', 'ca.crt')), child, dataDir };
}

function call(t: Target, agent: Agent, method: string, path: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${t.url}${path}`, { method, agent, ca: t.ca, headers: { authorization: `Bearer ${t.token}`, 'content-type': 'application/json', accept: 'application/json' } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Runs `op(i)` from `concurrency` workers for SECONDS (or `count` ops); a non-2xx answer counts as an error. */
function measure(name: string, concurrency: number, op: (i: number) => Promise<number>, count?: number): Promise<Result> {
  return timed(
    name,
    concurrency,
    async (i) => {
      const code = await op(i);
      if (code < 200 || code >= 300) throw new Error(`HTTP ${code}`);
    },
    { seconds: SECONDS, count },
  );
}

async function watchLatency(t: Target, agent: Agent, ns: string, events: number): Promise<Result> {
  const pending = new Map<string, number>();
  const latencies: number[] = [];
  const watchReq = request(`${t.url}/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=0`, { ca: t.ca, headers: { authorization: `Bearer ${t.token}` } });
  let buffered = '';
  const done = new Promise<void>((resolve) => {
    watchReq.on('response', (res) => {
      res.on('data', (c: Buffer) => {
        buffered += c.toString();
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const name = (JSON.parse(line) as { object: { metadata: { name: string } } }).object.metadata.name;
          const sent = pending.get(name);
          if (sent !== undefined) {
            latencies.push(performance.now() - sent);
            pending.delete(name);
            if (latencies.length === events) resolve();
          }
        }
      });
    });
  });
  watchReq.end();
  await new Promise((r) => setTimeout(r, 300));
  const start = performance.now();
  for (let i = 0; i < events; i++) {
    const name = `w-${i}`;
    pending.set(name, performance.now());
    await call(t, agent, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name } });
  }
  await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
  watchReq.destroy();
  latencies.sort((a, b) => a - b);
  const seconds = (performance.now() - start) / 1000;
  return { op: 'watch-delivery', concurrency: 1, ops: latencies.length, seconds, perSecond: latencies.length / seconds, p50ms: percentile(latencies, 50), p99ms: percentile(latencies, 99), errors: events - latencies.length };
}

async function main(): Promise<void> {
  const t = await startTarget();
  const results: Result[] = [];
  const run = Date.now().toString(36);
  try {
    for (const concurrency of [1, 8, 64]) {
      const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
      const ns = `bench-${run}-${concurrency}`;
      await call(t, agent, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
      const base = `/api/v1/namespaces/${ns}/configmaps`;
      const created = await measure('create', concurrency, (i) => call(t, agent, 'POST', base, { metadata: { name: `cm-${i}` }, data: { k: 'v'.repeat(100) } }));
      results.push(created);
      const n = created.ops;
      results.push(await measure('get', concurrency, (i) => call(t, agent, 'GET', `${base}/cm-${i % n}`)));
      results.push(await measure('update', concurrency, (i) => call(t, agent, 'PUT', `${base}/cm-${i % n}`, { metadata: { name: `cm-${i % n}` }, data: { k: String(i) } })));
      results.push(await measure('list-100', concurrency, () => call(t, agent, 'GET', `${base}?limit=100`)));
      agent.destroy();
    }
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const bigNs = `bench-${run}-list`;
    await call(t, agent, 'POST', '/api/v1/namespaces', { metadata: { name: bigNs } });
    // Pod admission needs the namespace's default service account; a bare `tskube apiserver` has no controller to make it.
    await call(t, agent, 'POST', `/api/v1/namespaces/${bigNs}/serviceaccounts`, { metadata: { name: 'default' } });
    const pods = `/api/v1/namespaces/${bigNs}/pods`;
    const pod = (i: number) => ({ metadata: { name: `pod-${i}`, labels: { app: 'bench' } }, spec: { containers: [{ name: 'c', image: 'localhost/busybox:latest' }] } });
    await measure('seed-10k-pods', 64, (i) => call(t, agent, 'POST', pods, pod(i)), 10_000);
    results.push(await measure('list-10k-pods', 1, () => call(t, agent, 'GET', pods), 5));
    const watchNs = `bench-${run}-watch`;
    await call(t, agent, 'POST', '/api/v1/namespaces', { metadata: { name: watchNs } });
    results.push(await watchLatency(t, agent, watchNs, 500));
    agent.destroy();
  } finally {
    if (t.child) {
      t.child.kill('SIGTERM');
      await new Promise((r) => t.child!.once('exit', r));
      rmSync(t.dataDir!, { recursive: true, force: true });
    }
  }
  const rows = results.map((r) => `${r.op.padEnd(16)} ${String(r.concurrency).padStart(4)} ${r.perSecond.toFixed(0).padStart(8)}/s  p50 ${r.p50ms.toFixed(2).padStart(7)} ms  p99 ${r.p99ms.toFixed(2).padStart(7)} ms  errors ${r.errors}`);
  process.stdout.write(`op               conc  throughput    latency\n${rows.join('\n')}\n`);
  writeFileSync('bench-report.json', JSON.stringify({ date: new Date().toISOString(), backend: 'sqlite', results }, null, 2));
  process.stdout.write('wrote bench-report.json\n');
}

await main();
