// The performance report (`npm run bench`): API, storage and scale numbers for the sqlite and etcd backends, next to raw limits.
// Usage: npm run bench [-- --seconds 2] [--no-sim] [--sim-pods 3000] [--sim-nodes 100] [--from-json FILE (re-render only)]. Needs etcd (scripts/etcd/install.sh).
// Writes bench-report.json and bench-report.md in the current directory. About 4-5 minutes on 2 cores.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent } from 'node:https';
import { startEtcdCluster, type EtcdCluster } from '../etcd/cluster.ts';
import { EtcdClient } from '../../server/storage/etcd-client.ts';
import { openEtcdBackend } from '../../server/storage/etcd.ts';
import { callOk, openWatch, percentile, round, rssMb, rssSampler, startServer, timed, type Timing } from './report-lib.ts';
import { runScaleScenario, type ScaleResult } from './report-scale.ts';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const SECONDS = Number(flag('seconds') ?? 2);
const SIM = !args.includes('--no-sim');
const SIM_PODS = Number(flag('sim-pods') ?? 3000);
const SIM_NODES = Number(flag('sim-nodes') ?? 100);

interface BackendReport {
  backend: 'sqlite' | 'etcd';
  rssIdleMb: number;
  rssPeakMb: number;
  rssAfterMb: number;
  api: Timing[];
  watchFanout: Timing;
}

const log = (msg: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

/**
 * Runs a TypeScript bench script (tsx) in a scratch cwd and returns the JSON file it wrote there. The script is
 * stopped once its file is complete: api.ts keeps a connection open after writing its report and never exits.
 */
async function runScript(script: string, scriptArgs: string[], output: string, timeoutMs = 240_000): Promise<any> {
  // any: the JSON layout of the script's own report.
  const cwd = mkdtempSync(join(tmpdir(), 'tskube-bench-run-'));
  const child = spawn(process.execPath, [join(ROOT, 'node_modules/tsx/dist/cli.mjs'), join(ROOT, script), ...scriptArgs], { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
      try {
        return JSON.parse(readFileSync(join(cwd, output), 'utf8'));
      } catch {
        // not (completely) written yet
      }
      if (exited) throw new Error(`${script} exited with ${child.exitCode} without writing ${output}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    throw new Error(`${script} did not write ${output} within ${timeoutMs / 1000} s`);
  } finally {
    if (!exited) child.kill('SIGKILL');
    rmSync(cwd, { recursive: true, force: true });
  }
}

/** Raw etcd put rate through the same gRPC client, no API server or backend logic: the floor for the etcd backend. */
async function rawEtcd(etcd: EtcdCluster): Promise<Timing[]> {
  const c = await EtcdClient.connect(etcd.url);
  const value = Buffer.from(JSON.stringify({ pad: 'x'.repeat(900) }));
  const put = (i: number) => c.txn({ compare: [], success: [{ request_put: { key: Buffer.from(`/raw/${i}`), value } }], failure: [] });
  try {
    const out: Timing[] = [];
    for (const conc of [1, 8, 64]) out.push({ ...(await timed('raw etcd put (1 KB)', conc, put, { seconds: SECONDS })), note: 'gRPC txn put, no compare' });
    return out;
  } finally {
    c.close();
  }
}

/** The etcd backend alone (no HTTP): create/get/update/list, for comparison with scripts/bench/storage.ts on SQLite. */
async function etcdBackendBench(etcd: EtcdCluster): Promise<Timing[]> {
  const b = await openEtcdBackend(etcd.url, { compactIntervalMs: 0 });
  const pod = (i: number) => JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `pod-${i}`, namespace: `ns${i % 10}` }, spec: { pad: 'x'.repeat(800) } });
  const key = (i: number) => `/registry/pods/ns${i % 10}/bench-${i}`;
  const revs: number[] = [];
  try {
    const out: Timing[] = [];
    out.push(await timed('backend create', 64, async (i) => (revs[i] = (await b.create(key(i), pod(i))).modRevision), { count: 10_000 }));
    out.push(await timed('backend get', 8, (i) => b.get(key(i % 10_000)), { seconds: SECONDS }));
    out.push(await timed('backend update', 64, async (i) => {
      const k = i % 10_000;
      revs[k] = (await b.update(key(k), pod(i), revs[k])).modRevision;
    }, { count: 5_000 }));
    out.push({ ...(await timed('backend list 10k keys', 1, () => b.list('/registry/pods/'), { count: 5 })), note: '10,000 × 1 KB values' });
    out.push(await timed('backend count', 1, () => b.count('/registry/pods/'), { seconds: 1 }));
    return out;
  } finally {
    await b.close();
  }
}

/** 100 watchers on one collection, 100 creates: latency from the create's start to each watcher's event. */
async function watchFanout(s: Awaited<ReturnType<typeof startServer>>, watchers = 100, events = 100): Promise<Timing> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  const ns = `fanout-${Date.now().toString(36)}`;
  await callOk(s, agent, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
  const rv = (await callOk(s, agent, 'GET', `/api/v1/namespaces/${ns}/configmaps`)).metadata.resourceVersion as string;
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const handles = await Promise.all(
    Array.from({ length: watchers }, () =>
      openWatch(s, `/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${rv}`, (type, name) => {
        const t = sent.get(name);
        if (type === 'ADDED' && t !== undefined) latencies.push(performance.now() - t);
      }),
    ),
  );
  const t0 = performance.now();
  for (let i = 0; i < events; i++) {
    sent.set(`cm-${i}`, performance.now());
    await callOk(s, agent, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: `cm-${i}` }, data: { k: 'v' } });
  }
  const deadline = Date.now() + 20_000;
  while (latencies.length < watchers * events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const seconds = (performance.now() - t0) / 1000;
  handles.forEach((h) => h.close());
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    op: `watch delivery (${watchers} watchers)`, concurrency: watchers, ops: latencies.length, seconds: round(seconds, 2), perSecond: Math.round(latencies.length / seconds),
    p50ms: round(percentile(latencies, 50), 2), p99ms: round(percentile(latencies, 99), 2), errors: watchers * events - latencies.length,
    note: `${events} creates, one at a time; latency from the create's start to each watcher's event`,
  };
}

async function apiBackend(backend: 'sqlite' | 'etcd', etcd: EtcdCluster): Promise<BackendReport> {
  const dir = mkdtempSync(join(tmpdir(), `tskube-bench-${backend}-`));
  const s = await startServer(ROOT, 'apiserver', dir, backend === 'etcd' ? ['--storage', etcd.url] : []);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const rssIdleMb = rssMb(s.child.pid!);
    const sampler = rssSampler(s.child.pid!);
    log(`${backend}: API bench (scripts/bench/api.ts, ${SECONDS} s per step)`);
    const api = await runScript('scripts/bench/api.ts', ['--kubeconfig', s.kubeconfig, '--seconds', String(SECONDS)], 'bench-report.json');
    log(`${backend}: watch fan-out`);
    const fan = await watchFanout(s);
    const rssPeakMb = sampler.stop();
    return { backend, rssIdleMb, rssPeakMb, rssAfterMb: rssMb(s.child.pid!), api: (api.results as Timing[]).map(tidy), watchFanout: fan };
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** api.ts reports unrounded numbers. */
const tidy = (t: Timing): Timing => ({ ...t, seconds: round(t.seconds, 2), perSecond: Math.round(t.perSecond), p50ms: round(t.p50ms, 2), p99ms: round(t.p99ms, 2) });

const fmt = (t: Timing) => `| ${t.op} | ${t.concurrency} | ${t.ops} | ${t.perSecond} | ${t.p50ms} | ${t.p99ms} | ${t.errors} |`;
const HEAD = '| operation | clients | ops | ops/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|---:|---:|';

function markdown(r: Report): string {
  const lines: string[] = [];
  lines.push(`# tskube performance report`, '', `${r.date} · ${r.machine} · node ${r.node} · etcd ${r.etcdVersion} (one member, data on disk) · ${r.totalSeconds} s total${r.loadAverage !== undefined ? ` · load average ${r.loadAverage} at start` : ''}`, '');
  lines.push('## Limits measured in the same run', '', HEAD, ...r.rawEtcd.map(fmt));
  const rawSqlite = r.storageSqlite.results.find((x: { op: string }) => x.op.startsWith('raw better-sqlite3'));
  if (rawSqlite) lines.push(`| raw SQLite insert (1 KB, autocommit, WAL) | 1 | ${rawSqlite.ops} | ${rawSqlite.perSecond} | | | 0 |`);
  lines.push('', '## API server (HTTPS + JSON, admin token), per backend', '');
  const ops = r.backends[0].api.map((t) => `${t.op}@${t.concurrency}`);
  lines.push(`| operation | clients | ${r.backends.map((b) => `${b.backend} ops/s | ${b.backend} p50 ms | ${b.backend} p99 ms`).join(' | ')} |`);
  lines.push(`|---|---:|${r.backends.map(() => '---:|---:|---:').join('|')}|`);
  for (const id of ops) {
    const rows = r.backends.map((b) => b.api.map(tidy).find((t) => `${t.op}@${t.concurrency}` === id));
    const first = rows[0]!;
    lines.push(`| ${first.op} | ${first.concurrency} | ${rows.map((t) => (t ? `${t.perSecond} | ${t.p50ms} | ${t.p99ms}` : ' | | ')).join(' | ')} |`);
  }
  const fan = r.backends.map((b) => b.watchFanout);
  lines.push(`| ${fan[0].op} | ${fan[0].concurrency} | ${fan.map((t) => `${t.perSecond} | ${t.p50ms} | ${t.p99ms}`).join(' | ')} |`);
  lines.push('', 'list-10k-pods: a full unpaged list of 10,000 pods; watch-delivery: one watcher, 500 creates. Errors were 0 unless listed here: ' +
    (r.backends.flatMap((b) => [...b.api, b.watchFanout].filter((t) => t.errors > 0).map((t) => `${b.backend} ${t.op}@${t.concurrency}: ${t.errors}`)).join(', ') || 'none') + '.');
  lines.push('', '| API server memory (RSS, MB) | ' + r.backends.map((b) => b.backend).join(' | ') + ' |', '|---|' + r.backends.map(() => '---:').join('|') + '|');
  for (const [label, k] of [['idle, after start', 'rssIdleMb'], ['peak under load', 'rssPeakMb'], ['after the run', 'rssAfterMb']] as const) {
    lines.push(`| ${label} | ${r.backends.map((b) => b[k]).join(' | ')} |`);
  }
  lines.push('', '## Storage layer alone (no HTTP)', '', '### SQLite (scripts/bench/storage.ts, sequential)', '', '| operation | ops | ops/s |', '|---|---:|---:|');
  for (const x of r.storageSqlite.results as { op: string; ops: number; perSecond: number }[]) lines.push(`| ${x.op} | ${x.ops} | ${x.perSecond} |`);
  lines.push('', '### etcd backend', '', HEAD, ...r.etcdBackend.map(fmt));
  if (r.scale) {
    const s = r.scale;
    lines.push('', `## ${s.nodes} simulated nodes, ${s.pods} pods (tskube up --no-kubelet, sqlite; tskube simulate-nodes)`, '');
    lines.push('| milestone | seconds after the first create |', '|---|---:|');
    for (const [k, v] of Object.entries(s.milestones)) lines.push(`| ${k} | ${v ?? 'not reached'} |`);
    lines.push('', `Reached: ${s.created} created, ${s.scheduled} scheduled, ${s.ready} ready of ${s.pods}${s.timedOut ? ` (stopped at the ${s.limitSeconds} s limit)` : ''}. RSS of \`tskube up\`: ${s.rssPeakMb} MB peak.`);
  }
  return lines.join('\n') + '\n';
}

interface Report {
  date: string;
  machine: string;
  node: string;
  etcdVersion: string;
  totalSeconds: number;
  /** 1-minute load average at the start: other work on the machine skews every number. */
  loadAverage?: number;
  rawEtcd: Timing[];
  storageSqlite: any; // any: scripts/bench/storage.ts's JSON, copied as is
  etcdBackend: Timing[];
  backends: BackendReport[];
  scale?: ScaleResult;
}

async function main(): Promise<void> {
  const fromJson = flag('from-json');
  if (fromJson) {
    // Re-render the Markdown of an earlier run.
    writeFileSync('bench-report.md', markdown(JSON.parse(readFileSync(fromJson, 'utf8')) as Report));
    return;
  }
  const t0 = Date.now();
  const loadAverage = round(loadavg()[0], 2);
  log('starting etcd (one member, data dir on disk)');
  const etcd = await startEtcdCluster({ tmpfs: false });
  try {
    const etcdVersion = ((await (await fetch(`${etcd.members[0].clientUrl}/version`)).json()) as { etcdserver: string }).etcdserver;
    log('raw etcd put rate');
    const raw = await rawEtcd(etcd);
    log('storage bench, SQLite (scripts/bench/storage.ts)');
    const storageSqlite = await runScript('scripts/bench/storage.ts', ['--keys', '10000'], 'bench-report-storage.json');
    log('storage bench, etcd backend');
    const etcdBackend = await etcdBackendBench(etcd);
    const backends = [await apiBackend('sqlite', etcd), await apiBackend('etcd', etcd)];
    let scale: ScaleResult | undefined;
    if (SIM) {
      log(`scale: ${SIM_NODES} simulated nodes, ${SIM_PODS} pods`);
      scale = await runScaleScenario(ROOT, { nodes: SIM_NODES, pods: SIM_PODS, limitSeconds: 150, log });
    }
    const report: Report = {
      date: new Date().toISOString(), machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB`, node: process.version,
      etcdVersion, loadAverage, totalSeconds: Math.round((Date.now() - t0) / 1000), rawEtcd: raw, storageSqlite, etcdBackend, backends, scale,
    };
    writeFileSync('bench-report.json', JSON.stringify(report, null, 2) + '\n');
    writeFileSync('bench-report.md', markdown(report));
    process.stdout.write(markdown(report));
    log(`wrote bench-report.json and bench-report.md in ${report.totalSeconds} s`);
  } finally {
    await etcd.stop();
  }
}

await main();