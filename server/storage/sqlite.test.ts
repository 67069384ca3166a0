// Runs the shared backend suite on SQLite and adds what only the SQLite backend promises (restart, timer, layout).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isStorageError, type WatchEvent } from './backend.ts';
import { runBackendSuite } from './backend-suite.ts';
import { openSqliteBackend, prefixEnd, type SqliteBackend } from './sqlite.ts';

let dir = '';
const dbPath = () => join(dir, 'state.db');
const fresh = () => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-sqlite-'));
  return openSqliteBackend(dbPath(), { compactIntervalMs: 0 });
};
const removeDir = () => rmSync(dir, { recursive: true, force: true });

runBackendSuite('sqlite', async () => fresh(), removeDir);

describe('sqlite backend specifics', () => {
  let b: SqliteBackend;
  beforeEach(() => {
    b = fresh();
  });
  afterEach(async () => {
    await b.close();
    removeDir();
  });

  it('starts an empty database at revision 1, so the first write is revision 2', async () => {
    expect(await b.currentRevision()).toBe(1);
    expect(await b.compactedRevision()).toBe(1);
    expect((await b.create('/registry/pods/a', '{}')).modRevision).toBe(2);
    expect(await b.list('/registry/', { revision: 1 })).toEqual({ revision: 1, kvs: [], remaining: 0 });
  });

  it('keeps data, the revision counter and the compacted revision across a restart', async () => {
    const a = await b.create('/registry/pods/a', '1');
    await b.update('/registry/pods/a', '2', a.modRevision);
    await b.create('/registry/pods/b', 'b');
    const del = await b.delete('/registry/pods/b');
    await b.compact(del.revision);
    await b.close();
    b = openSqliteBackend(dbPath(), { compactIntervalMs: 0 });
    expect(await b.currentRevision()).toBe(del.revision);
    expect(await b.compactedRevision()).toBe(del.revision);
    expect((await b.list('/registry/pods/')).kvs.map((kv) => kv.value)).toEqual(['2']);
    const c = await b.create('/registry/pods/b', 'again');
    expect(c.modRevision).toBe(del.revision + 1);
  });

  it('never reuses a revision even when the newest rows were compacted away', async () => {
    for (let i = 0; i < 3; i++) await b.create(`/registry/x/${i}`, 'v');
    for (let i = 0; i < 3; i++) await b.delete(`/registry/x/${i}`);
    const top = await b.currentRevision();
    await b.create('/registry/y', 'v');
    await b.delete('/registry/y');
    await b.compact(await b.currentRevision());
    await b.close();
    b = openSqliteBackend(dbPath(), { compactIntervalMs: 0 });
    expect((await b.create('/registry/z', 'v')).modRevision).toBe(top + 3);
  });

  it('replays history from the log after a restart', async () => {
    const a = await b.create('/registry/pods/a', '1');
    await b.update('/registry/pods/a', '2', a.modRevision);
    await b.close();
    b = openSqliteBackend(dbPath(), { compactIntervalMs: 0 });
    const got: WatchEvent[] = [];
    const h = b.watch('/registry/pods/', { afterRevision: 0, onEvents: (e) => got.push(...e), onError: () => {} });
    await vi.waitFor(() => expect(got.map((e) => e.kv.value)).toEqual(['1', '2']));
    h.cancel();
  });

  it('throws Compacted synchronously from watch, and replays a delete at exactly the compacted revision with prevKv', async () => {
    const a = await b.create('/registry/pods/a', '1');
    const del = await b.delete('/registry/pods/a');
    await b.compact(del.revision);
    expect(() => b.watch('/registry/', { afterRevision: del.revision - 2, onEvents: () => {}, onError: () => {} })).toThrow(
      expect.objectContaining({ code: 'Compacted', compactedRevision: del.revision }),
    );
    const got: WatchEvent[] = [];
    const h = b.watch('/registry/', { afterRevision: del.revision - 1, onEvents: (e) => got.push(...e), onError: () => {} });
    await vi.waitFor(() => expect(got).toHaveLength(1));
    expect(got[0]).toEqual({ type: 'delete', revision: del.revision, kv: { key: a.key, value: '', createRevision: 0, modRevision: del.revision }, prevKv: a });
    h.cancel();
  });

  it('rejects a read at a future revision with Unavailable', async () => {
    await b.create('/registry/a', '1');
    await expect(b.get('/registry/a', 99)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'Unavailable'));
    await expect(b.list('/registry/', { revision: 99 })).rejects.toSatisfy((e: unknown) => isStorageError(e, 'Unavailable'));
  });

  it('never calls a watcher from inside the write', async () => {
    const got: WatchEvent[] = [];
    const h = b.watch('/registry/', { afterRevision: 1, onEvents: (e) => got.push(...e), onError: () => {} });
    const p = b.create('/registry/a', '1');
    expect(got).toEqual([]);
    await p;
    await vi.waitFor(() => expect(got).toHaveLength(1));
    h.cancel();
  });

  it('delivers a long replay in order, in batches of at most 1000 events', async () => {
    for (let i = 0; i < 2500; i++) await b.create(`/registry/k/${i}`, '');
    const sizes: number[] = [];
    const revs: number[] = [];
    const h = b.watch('/registry/k/', {
      afterRevision: 0,
      onEvents: (e) => { sizes.push(e.length); revs.push(...e.map((x) => x.revision)); },
      onError: () => {},
    });
    await vi.waitFor(() => expect(revs).toHaveLength(2500));
    expect(Math.max(...sizes)).toBeLessThanOrEqual(1000);
    expect(revs).toEqual(Array.from({ length: 2500 }, (_, i) => i + 2));
    h.cancel();
  });

  it('fans out to 200 watchers on different prefixes, each seeing only its own keys', async () => {
    const counts = new Map<string, number>();
    const handles = Array.from({ length: 200 }, (_, i) => {
      const prefix = `/registry/res${i}/`;
      return b.watch(prefix, {
        afterRevision: 1,
        onEvents: (evs) => {
          for (const e of evs) expect(e.kv.key.startsWith(prefix)).toBe(true);
          counts.set(prefix, (counts.get(prefix) ?? 0) + evs.length);
        },
        onError: () => {},
      });
    });
    for (let i = 0; i < 200; i++) for (let j = 0; j < 3; j++) await b.create(`/registry/res${i}/ns/o${j}`, '');
    await vi.waitFor(() => expect([...counts.values()].reduce((x, y) => x + y, 0)).toBe(600));
    expect([...counts.values()].every((n) => n === 3)).toBe(true);
    for (const h of handles) h.cancel();
  });

  it('compacts across many chunks and keeps every live key', async () => {
    for (let i = 0; i < 6000; i++) await b.create(`/registry/c/${i % 100}/${i}`, String(i));
    for (let i = 0; i < 6000; i += 2) await b.delete(`/registry/c/${i % 100}/${i}`);
    const rev = await b.currentRevision();
    await b.compact(rev);
    expect(await b.compactedRevision()).toBe(rev);
    expect((await b.count('/registry/c/')).count).toBe(3000);
    expect((await b.list('/registry/c/', { revision: rev })).kvs).toHaveLength(3000);
  });

  it('compacts on a timer to the revision that was current one interval earlier, and clears the timer on close', async () => {
    await b.close();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      b = openSqliteBackend(dbPath(), { compactIntervalMs: 1000 });
      expect(vi.getTimerCount()).toBe(1);
      const r1 = (await b.create('/registry/a', '1')).modRevision;
      vi.advanceTimersByTime(1000);
      expect(await b.compactedRevision()).toBe(1);
      const r2 = (await b.create('/registry/b', '1')).modRevision;
      vi.advanceTimersByTime(1000);
      await vi.waitFor(async () => expect(await b.compactedRevision()).toBe(r1));
      vi.advanceTimersByTime(1000);
      await vi.waitFor(async () => expect(await b.compactedRevision()).toBe(r2));
      await b.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not let its compaction timer keep the process alive', async () => {
    const refTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = refTimers();
    const other = openSqliteBackend(join(dir, 'other.db'), { compactIntervalMs: 60_000 });
    expect(refTimers()).toBe(before);
    await other.close();
  });

  it('stops watchers on close without onError, and fails later calls with Unavailable', async () => {
    const errors: unknown[] = [];
    b.watch('/registry/', { afterRevision: 1, onEvents: () => {}, onError: (e) => errors.push(e) });
    await b.close();
    await b.close();
    await expect(b.get('/registry/a')).rejects.toSatisfy((e: unknown) => isStorageError(e, 'Unavailable'));
    await expect(b.create('/registry/a', '')).rejects.toSatisfy((e: unknown) => isStorageError(e, 'Unavailable'));
    expect(() => b.watch('/registry/', { afterRevision: 0, onEvents: () => {}, onError: () => {} })).toThrow(expect.objectContaining({ code: 'Unavailable' }));
    expect(errors).toEqual([]);
  });

  it('makes compare-and-swap a constraint: a second row with the same (key, prev_revision) is rejected', async () => {
    await b.create('/registry/a', '1');
    const raw = new Database(dbPath());
    const insert = raw.prepare('INSERT INTO log(key, created, deleted, create_revision, prev_revision, value) VALUES (?, 1, 0, 0, 0, ?)');
    expect(() => insert.run('/registry/a', 'racer')).toThrow(/UNIQUE/);
    raw.close();
  });
});

describe('prefixEnd', () => {
  it.each([
    ['/registry/pods/', '/registry/pods0'],
    ['a', 'b'],
    ['a\u{10ffff}', 'b'],
    ['x\ud7ff', 'x\ue000'],
    ['', '\u{10ffff}\u{10ffff}'],
  ])('of %j is %j', (prefix, end) => {
    expect(prefixEnd(prefix)).toBe(end);
  });
});
