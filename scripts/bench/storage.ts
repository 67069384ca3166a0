// Storage micro benchmark: ops/s of the SQLite backend (create, get, list of 10k, update, fan-out) next to raw better-sqlite3.
// Usage: npx tsx scripts/bench/storage.ts [--keys N]. Prints a table and writes bench-report-storage.json.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqliteBackend } from '../../server/storage/sqlite.ts';
import { WatchHub, Watcher } from '../../server/storage/watch-hub.ts';

interface Result {
  op: string;
  ops: number;
  seconds: number;
  perSecond: number;
  note?: string;
}

const args = process.argv.slice(2);
const keysFlag = args.indexOf('--keys');
const KEYS = keysFlag >= 0 ? Number(args[keysFlag + 1]) : 10_000;
const results: Result[] = [];

/** Times fn (which performs ops operations) and records ops/s. */
async function measure(op: string, ops: number, fn: () => Promise<void> | void, note?: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  await fn();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  results.push({ op, ops, seconds: round(seconds, 4), perSecond: Math.round(ops / seconds), note });
}
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** About 1.2 KB of pod-like JSON, the size of a small real Pod. */
function podJson(i: number, gen = 1): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${i}`, namespace: `ns${i % 10}`, uid: `uid-${i}-${'0'.repeat(24)}`, labels: { app: `app${i % 50}`, gen: String(gen) } },
    spec: {
      containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu: '10m', memory: '16Mi' } }, env: Array.from({ length: 8 }, (_, k) => ({ name: `E${k}`, value: 'x'.repeat(40) })) }],
      nodeName: `node-${i % 3}`,
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
  });
}
const key = (i: number) => `/registry/pods/ns${i % 10}/pod-${i}`;

const dir = mkdtempSync(join(tmpdir(), 'tskube-bench-storage-'));
try {
  const b = openSqliteBackend(join(dir, 'state.db'), { compactIntervalMs: 0 });
  const revs: number[] = [];
  await measure('create', KEYS, async () => {
    for (let i = 0; i < KEYS; i++) revs.push((await b.create(key(i), podJson(i))).modRevision);
  });

  const GETS = 100_000;
  await measure('get', GETS, async () => {
    for (let i = 0; i < GETS; i++) await b.get(key((i * 7919) % KEYS));
  });

  const LISTS = 20;
  await measure(`list (${KEYS} keys)`, LISTS, async () => {
    for (let i = 0; i < LISTS; i++) if ((await b.list('/registry/pods/')).kvs.length !== KEYS) throw new Error('short list');
  });
  await measure('list one namespace', 1000, async () => {
    for (let i = 0; i < 1000; i++) await b.list(`/registry/pods/ns${i % 10}/`);
  }, `${KEYS / 10} keys each`);
  await measure('count', 1000, async () => {
    for (let i = 0; i < 1000; i++) await b.count('/registry/pods/');
  });

  await measure('update', KEYS, async () => {
    for (let i = 0; i < KEYS; i++) revs[i] = (await b.update(key(i), podJson(i, 2), revs[i])).modRevision;
  });

  const pagedAt = await b.currentRevision();
  await b.update(key(0), podJson(0, 3), revs[0]);
  await measure(`paged list at an old revision (${KEYS} keys, limit 500)`, 1, async () => {
    let startKey: string | undefined;
    let n = 0;
    for (;;) {
      const page = await b.list('/registry/pods/', { revision: pagedAt, limit: 500, startKey });
      n += page.kvs.length;
      if (page.remaining === 0) break;
      startKey = `${page.kvs[page.kvs.length - 1].key}\0`;
    }
    if (n !== KEYS) throw new Error(`paged ${n}`);
  });

  // Fan-out: 200 watchers on different resource prefixes plus one on pods/, while updating pods.
  let delivered = 0;
  const handles = Array.from({ length: 200 }, (_, i) =>
    b.watch(`/registry/res${i}/`, { afterRevision: 0, onEvents: () => {}, onError: () => {} }),
  );
  handles.push(b.watch('/registry/pods/', { afterRevision: await b.currentRevision(), onEvents: (e) => (delivered += e.length), onError: () => {} }));
  const FAN = Math.min(KEYS, 5000);
  revs[0] = (await b.get(key(0))).kv?.modRevision ?? 0;
  await measure('update with 201 watchers', FAN, async () => {
    for (let i = 0; i < FAN; i++) revs[i] = (await b.update(key(i), podJson(i, 4), revs[i])).modRevision;
    while (delivered < FAN) await new Promise((r) => setImmediate(r));
  }, 'includes delivery to the pods/ watcher');
  for (const h of handles) h.cancel();

  // The matching step alone: 500 watchers on 250 resource prefixes and 250 namespace prefixes, one event at a time.
  const hub = new WatchHub();
  let matched = 0;
  const opts = { onEvents: (e: unknown[]) => (matched += e.length), onError: () => {} };
  for (let i = 0; i < 250; i++) {
    hub.add(new Watcher(`/registry/res${i}/`, 0, { afterRevision: 0, ...opts }));
    hub.add(new Watcher(`/registry/pods/ns${i}/`, 0, { afterRevision: 0, ...opts }));
  }
  const PUBLISH = 200_000;
  await measure('watch fan-out match (500 watchers)', PUBLISH, async () => {
    for (let i = 0; i < PUBLISH; i++) {
      const kv = { key: key(i), value: '', createRevision: i + 1, modRevision: i + 1 };
      hub.publish({ type: 'put', revision: i + 1, kv });
    }
    while (matched < PUBLISH) await new Promise((r) => setImmediate(r));
  }, 'each event matches one namespace watcher');
  hub.removeAll();

  await measure('delete', KEYS, async () => {
    for (let i = 0; i < KEYS; i++) await b.delete(key(i));
  });
  const size = await b.size();
  const before = await b.currentRevision();
  await measure('compact', before, () => b.compact(before), 'revisions compacted');
  await b.close();

  const raw = new Database(join(dir, 'raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = NORMAL');
  raw.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, k TEXT NOT NULL, v TEXT NOT NULL)');
  const insert = raw.prepare('INSERT INTO t(k, v) VALUES (?, ?)');
  await measure('raw better-sqlite3 insert (autocommit)', KEYS, () => {
    for (let i = 0; i < KEYS; i++) insert.run(key(i), podJson(i));
  }, 'same pragmas, one row per transaction');
  raw.close();

  console.log(`storage benchmark, ${KEYS} keys, value ${podJson(0).length} bytes, db size after run ${(size / 1e6).toFixed(1)} MB`);
  console.log(`${'operation'.padEnd(56)} ${'ops'.padStart(8)} ${'seconds'.padStart(9)} ${'ops/s'.padStart(10)}`);
  for (const r of results) console.log(`${r.op.padEnd(56)} ${String(r.ops).padStart(8)} ${r.seconds.toFixed(3).padStart(9)} ${String(r.perSecond).padStart(10)}${r.note ? `  (${r.note})` : ''}`);
  writeFileSync('bench-report-storage.json', JSON.stringify({ keys: KEYS, valueBytes: podJson(0).length, dbBytes: size, node: process.version, results }, null, 2) + '\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
