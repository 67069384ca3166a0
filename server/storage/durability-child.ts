// Child process for durability.test.ts: hammers a SQLite backend with concurrent writes, printing each acknowledged one.
import { openSqliteBackend } from './sqlite.ts';

/*
 * Usage: durability-child.ts <db path>. 1000 concurrent workers each create their key and then update it until the
 * parent SIGKILLs this process (or a safety cap ends it). A line `ack <key> <revision> <n>` is printed only after
 * the write's promise resolved, i.e. after commit, so every printed line is a write the backend acknowledged.
 */
const WORKERS = 1000;
const MAX_UPDATES_PER_WORKER = 200;
const backend = openSqliteBackend(process.argv[2], { compactIntervalMs: 0 });
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

async function worker(i: number): Promise<void> {
  const key = `/registry/durability/w${i}`;
  let kv = await backend.create(key, JSON.stringify({ n: 0 }));
  process.stdout.write(`ack ${key} ${kv.modRevision} 0\n`);
  for (let n = 1; n <= MAX_UPDATES_PER_WORKER; n++) {
    await turn();
    kv = await backend.update(key, JSON.stringify({ n }), kv.modRevision);
    process.stdout.write(`ack ${key} ${kv.modRevision} ${n}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: WORKERS }, (_, i) => worker(i)));
await backend.close();
process.stdout.write('done\n');
