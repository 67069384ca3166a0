// Acknowledged = durable: writes acknowledged before a SIGKILL of the process survive reopening the SQLite database.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { openSqliteBackend } from './sqlite.ts';

const CHILD = fileURLToPath(new URL('./durability-child.ts', import.meta.url));
/** The project root, so `--import tsx` resolves wherever the test is started from. */
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Kill once this many writes were acknowledged: past the 1000 creates, well before the child would finish. */
const KILL_AFTER_ACKS = 4000;

interface Ack {
  key: string;
  revision: number;
  n: number;
}

/** Runs the child on dbPath, SIGKILLs it after KILL_AFTER_ACKS acknowledgements, and answers what it acknowledged. */
function runAndKill(dbPath: string): Promise<{ acks: Ack[]; finished: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dbPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const acks: Ack[] = [];
    let buffered = '';
    let stderr = '';
    let finished = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [word, key, rev, n] = line.split(' ');
        if (word === 'ack') acks.push({ key, revision: Number(rev), n: Number(n) });
        if (word === 'done') finished = true;
      }
      if (acks.length >= KILL_AFTER_ACKS && child.exitCode === null) child.kill('SIGKILL');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) reject(new Error(`child exited with ${code}: ${stderr}`));
      else resolve({ acks, finished });
    });
  });
}

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));

it('every write acknowledged before a SIGKILL is present after reopening, at its revision or a later one', async () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-durability-'));
  const dbPath = join(dir, 'state.db');
  const { acks, finished } = await runAndKill(dbPath);
  expect(finished).toBe(false);
  expect(acks.length).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);

  // Acknowledgements come in commit order: their revisions strictly increase.
  for (let i = 1; i < acks.length; i++) expect(acks[i].revision).toBeGreaterThan(acks[i - 1].revision);

  const raw = new Database(dbPath);
  expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
  raw.close();

  const b = openSqliteBackend(dbPath, { compactIntervalMs: 0 });
  try {
    const latest = new Map((await b.list('/registry/durability/')).kvs.map((kv) => [kv.key, kv]));
    for (const ack of acks) {
      const now = latest.get(ack.key);
      expect(now, ack.key).toBeDefined();
      expect(now?.modRevision).toBeGreaterThanOrEqual(ack.revision);
      const then = await b.get(ack.key, ack.revision);
      expect(then.kv).toMatchObject({ modRevision: ack.revision, value: JSON.stringify({ n: ack.n }) });
    }
    const maxAcked = acks[acks.length - 1].revision;
    expect(await b.currentRevision()).toBeGreaterThanOrEqual(maxAcked);
    expect((await b.create('/registry/durability/after', '{}')).modRevision).toBeGreaterThan(maxAcked);
  } finally {
    await b.close();
  }
}, 20_000);
