// The shared conformance suite every storage Backend (SQLite, etcd) must pass; backend-specific cases live beside each backend.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { isStorageError, type Backend, type KeyValue, type StorageError, type StorageErrorCode, type WatchEvent, type WatchHandle } from './backend.ts';

/*
 * Written for a backend that may be shared between tests (a real etcd): every test works under its own fresh
 * key root, and asserts revisions relative to what it observed, never absolute numbers.
 */
let roots = 0;
function freshRoot(): string {
  return `/registry/suite${Date.now().toString(36)}x${roots++}/`;
}

/** Awaits fn and returns the StorageError it failed with (the test fails if it succeeds or fails otherwise). */
async function failure(fn: () => Promise<unknown>, code: StorageErrorCode): Promise<StorageError> {
  try {
    await fn();
  } catch (e: unknown) {
    if (isStorageError(e, code)) return e;
    throw new Error(`expected StorageError ${code}, got ${String(e)}`, { cause: e });
  }
  throw new Error(`expected StorageError ${code}, but the call succeeded`);
}

interface Collector {
  events: WatchEvent[];
  errors: StorageError[];
  handle: WatchHandle;
  /** Resolves once at least n events arrived. */
  until(n: number): Promise<void>;
}

function collect(b: Backend, prefix: string, afterRevision: number): Collector {
  const events: WatchEvent[] = [];
  const errors: StorageError[] = [];
  const handle = b.watch(prefix, { afterRevision, onEvents: (evs) => events.push(...evs), onError: (e) => errors.push(e) });
  const until = (n: number) => vi.waitFor(() => expect(events.length).toBeGreaterThanOrEqual(n), { timeout: 5000, interval: 5 });
  return { events, errors, handle, until };
}

const settle = () => new Promise((r) => setTimeout(r, 50));
const revisions = (evs: WatchEvent[]) => evs.map((e) => e.revision);

/**
 * Registers the conformance suite for one backend. newBackend is called before every test and the backend is
 * closed after it; cleanup (if given) then runs, e.g. to remove a temp file.
 */
export function runBackendSuite(name: string, newBackend: () => Promise<Backend>, cleanup?: () => Promise<void> | void): void {
  describe(`${name} backend`, () => {
    let b: Backend;
    let root: string;
    beforeEach(async () => {
      b = await newBackend();
      root = freshRoot();
    });
    afterEach(async () => {
      await b.close();
      await cleanup?.();
    });

    describe('create, get, update, delete', () => {
      it('create returns a version whose create and mod revisions are the new current revision', async () => {
        const before = await b.currentRevision();
        const kv = await b.create(`${root}a`, '{"n":1}');
        expect(kv).toEqual({ key: `${root}a`, value: '{"n":1}', createRevision: kv.modRevision, modRevision: kv.modRevision });
        expect(kv.modRevision).toBeGreaterThan(before);
        expect(await b.currentRevision()).toBe(kv.modRevision);
        expect(await b.get(`${root}a`)).toEqual({ revision: kv.modRevision, kv });
      });

      it('get of a missing key answers no kv at the current revision', async () => {
        await b.create(`${root}other`, 'x');
        expect(await b.get(`${root}missing`)).toEqual({ revision: await b.currentRevision() });
      });

      it('create of an existing key fails with KeyExists', async () => {
        await b.create(`${root}a`, '1');
        const err = await failure(() => b.create(`${root}a`, '2'), 'KeyExists');
        expect(err.key).toBe(`${root}a`);
        expect((await b.get(`${root}a`)).kv?.value).toBe('1');
      });

      it('update at the current mod revision writes a new version and keeps the create revision', async () => {
        const v1 = await b.create(`${root}a`, '1');
        const v2 = await b.update(`${root}a`, '2', v1.modRevision);
        expect(v2).toEqual({ key: `${root}a`, value: '2', createRevision: v1.createRevision, modRevision: v2.modRevision });
        expect(v2.modRevision).toBeGreaterThan(v1.modRevision);
        expect((await b.get(`${root}a`)).kv).toEqual(v2);
      });

      it('update at a stale mod revision fails with Conflict carrying the current version', async () => {
        const v1 = await b.create(`${root}a`, '1');
        const v2 = await b.update(`${root}a`, '2', v1.modRevision);
        const err = await failure(() => b.update(`${root}a`, '3', v1.modRevision), 'Conflict');
        expect(err.current).toEqual(v2);
        expect((await b.get(`${root}a`)).kv).toEqual(v2);
      });

      it('update of a missing key fails with KeyNotFound', async () => {
        const err = await failure(() => b.update(`${root}nope`, '1', 5), 'KeyNotFound');
        expect(err.key).toBe(`${root}nope`);
      });

      it('delete removes the key and answers the deleted version and a new revision', async () => {
        const v1 = await b.create(`${root}a`, '1');
        const res = await b.delete(`${root}a`, v1.modRevision);
        expect(res.prevKv).toEqual(v1);
        expect(res.revision).toBeGreaterThan(v1.modRevision);
        expect(await b.currentRevision()).toBe(res.revision);
        expect((await b.get(`${root}a`)).kv).toBeUndefined();
      });

      it.each([[0], [undefined]])('delete with expected revision %s is unconditional', async (expected) => {
        const v1 = await b.create(`${root}a`, '1');
        await b.update(`${root}a`, '2', v1.modRevision);
        expect((await b.delete(`${root}a`, expected)).prevKv.value).toBe('2');
      });

      it('delete at a stale mod revision fails with Conflict and keeps the key', async () => {
        const v1 = await b.create(`${root}a`, '1');
        const v2 = await b.update(`${root}a`, '2', v1.modRevision);
        const err = await failure(() => b.delete(`${root}a`, v1.modRevision), 'Conflict');
        expect(err.current).toEqual(v2);
        expect((await b.get(`${root}a`)).kv).toEqual(v2);
      });

      it('delete of a missing key fails with KeyNotFound', async () => {
        await failure(() => b.delete(`${root}nope`), 'KeyNotFound');
      });

      it('a key re-created after delete gets a new create revision', async () => {
        const v1 = await b.create(`${root}a`, '1');
        const del = await b.delete(`${root}a`);
        const v2 = await b.create(`${root}a`, '2');
        expect(v2.createRevision).toBe(v2.modRevision);
        expect(v2.createRevision).toBeGreaterThan(del.revision);
        expect(v2.createRevision).toBeGreaterThan(v1.createRevision);
      });

      it('revisions strictly increase across keys and are never reused', async () => {
        const seen: number[] = [];
        for (let i = 0; i < 5; i++) {
          const kv = await b.create(`${root}k${i}`, String(i));
          seen.push(kv.modRevision, (await b.update(kv.key, 'u', kv.modRevision)).modRevision, (await b.delete(kv.key)).revision);
        }
        for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
      });
    });

    describe('list and count', () => {
      const names = ['b', 'a-b', 'a/b', 'a', 'c/d/e'];
      beforeEach(async () => {
        for (const n of names) await b.create(`${root}r/${n}`, n);
      });

      it('lists every key under the prefix in byte order at the current revision', async () => {
        const res = await b.list(`${root}r/`);
        expect(res.kvs.map((kv) => kv.key.slice(`${root}r/`.length))).toEqual(['a', 'a-b', 'a/b', 'b', 'c/d/e']);
        expect(res.revision).toBe(await b.currentRevision());
        expect(res.remaining).toBe(0);
        expect(res.kvs[0]).toEqual((await b.get(`${root}r/a`)).kv);
      });

      it('keeps prefixes apart: pods/ does not see podtemplates/', async () => {
        await b.create(`${root}pods/default/p1`, 'p');
        await b.create(`${root}podtemplates/default/t1`, 't');
        expect((await b.list(`${root}pods/`)).kvs.map((kv) => kv.key)).toEqual([`${root}pods/default/p1`]);
        expect((await b.count(`${root}pods/`)).count).toBe(1);
        expect((await b.list(`${root}pod`)).kvs).toHaveLength(2);
      });

      it('pages with limit and startKey, reporting how many keys remain', async () => {
        const p1 = await b.list(`${root}r/`, { limit: 2 });
        expect(p1.kvs.map((kv) => kv.value)).toEqual(['a', 'a-b']);
        expect(p1.remaining).toBe(3);
        const p2 = await b.list(`${root}r/`, { limit: 2, startKey: `${p1.kvs[1].key}\0`, revision: p1.revision });
        expect(p2.kvs.map((kv) => kv.value)).toEqual(['a/b', 'b']);
        expect(p2.remaining).toBe(1);
        const p3 = await b.list(`${root}r/`, { limit: 2, startKey: `${p2.kvs[1].key}\0`, revision: p1.revision });
        expect(p3.kvs.map((kv) => kv.value)).toEqual(['c/d/e']);
        expect(p3.remaining).toBe(0);
      });

      it('startKey is inclusive, and one before the prefix still lists only keys under it', async () => {
        expect((await b.list(`${root}r/`, { startKey: `${root}r/b` })).kvs.map((kv) => kv.value)).toEqual(['b', 'c/d/e']);
        await b.create(`${root}q`, 'outside');
        expect((await b.list(`${root}r/`, { startKey: `${root}` })).kvs).toHaveLength(5);
      });

      it('a page exactly as long as what is left reports 0 remaining', async () => {
        const res = await b.list(`${root}r/`, { limit: 5 });
        expect(res.kvs).toHaveLength(5);
        expect(res.remaining).toBe(0);
      });

      it('later pages at the first page revision ignore writes made in between', async () => {
        const p1 = await b.list(`${root}r/`, { limit: 2 });
        await b.create(`${root}r/bb`, 'bb');
        await b.delete(`${root}r/c/d/e`);
        const rest = await b.list(`${root}r/`, { startKey: `${p1.kvs[1].key}\0`, revision: p1.revision });
        expect(rest.revision).toBe(p1.revision);
        expect(rest.kvs.map((kv) => kv.value)).toEqual(['a/b', 'b', 'c/d/e']);
        expect((await b.list(`${root}r/`, { startKey: `${p1.kvs[1].key}\0` })).kvs.map((kv) => kv.value)).toEqual(['a/b', 'b', 'bb']);
      });

      it('count answers the number of keys under the prefix', async () => {
        expect(await b.count(`${root}r/`)).toEqual({ revision: await b.currentRevision(), count: 5 });
        expect((await b.count(`${root}r/c/`)).count).toBe(1);
        expect((await b.count(`${root}none/`)).count).toBe(0);
      });
    });

    describe('reads at older revisions', () => {
      it('get and list at a past revision see the versions of that moment', async () => {
        const a1 = await b.create(`${root}a`, 'a1');
        const c1 = await b.create(`${root}c`, 'c1');
        const at = await b.currentRevision();
        await b.update(`${root}a`, 'a2', a1.modRevision);
        await b.delete(`${root}c`, c1.modRevision);
        await b.create(`${root}b`, 'b1');
        expect(await b.get(`${root}a`, at)).toEqual({ revision: at, kv: a1 });
        expect((await b.get(`${root}c`, at)).kv).toEqual(c1);
        expect((await b.get(`${root}b`, at)).kv).toBeUndefined();
        const old = await b.list(root, { revision: at });
        expect(old.revision).toBe(at);
        expect(old.kvs).toEqual([a1, c1]);
        const page = await b.list(root, { revision: at, limit: 1 });
        expect(page.kvs).toEqual([a1]);
        expect(page.remaining).toBe(1);
        expect((await b.list(root)).kvs.map((kv) => kv.value)).toEqual(['a2', 'b1']);
      });

      it('a key deleted and re-created reads as absent between the two', async () => {
        const v1 = await b.create(`${root}a`, '1');
        const del = await b.delete(`${root}a`);
        await b.create(`${root}a`, '2');
        expect((await b.get(`${root}a`, v1.modRevision)).kv?.value).toBe('1');
        expect((await b.get(`${root}a`, del.revision)).kv).toBeUndefined();
        expect((await b.list(root, { revision: del.revision })).kvs).toEqual([]);
      });
    });

    describe('compaction', () => {
      it('keeps current values and the snapshot at the compacted revision, and rejects older reads with Compacted', async () => {
        const a1 = await b.create(`${root}a`, 'a1');
        const gone = await b.create(`${root}gone`, 'g');
        const a2 = await b.update(`${root}a`, 'a2', a1.modRevision);
        await b.delete(`${root}gone`, gone.modRevision);
        const keep = await b.create(`${root}keep`, 'k');
        const rev = await b.currentRevision();
        await b.update(`${root}a`, 'a3', a2.modRevision);
        await b.compact(rev);
        expect(await b.compactedRevision()).toBe(rev);
        expect((await b.get(`${root}a`, rev)).kv).toEqual(a2);
        expect((await b.list(root, { revision: rev })).kvs).toEqual([a2, keep]);
        expect((await b.list(root)).kvs.map((kv) => kv.value)).toEqual(['a3', 'k']);
        expect((await failure(() => b.get(`${root}a`, rev - 1), 'Compacted')).compactedRevision).toBe(rev);
        expect((await failure(() => b.list(root, { revision: a1.modRevision }), 'Compacted')).compactedRevision).toBe(rev);
      });

      it('a watch from before the compacted history fails with Compacted', async () => {
        const a1 = await b.create(`${root}a`, '1');
        await b.update(`${root}a`, '2', a1.modRevision);
        const rev = await b.currentRevision();
        await b.compact(rev);
        // The etcd API reports a compacted start asynchronously, so either a synchronous throw or onError counts.
        let err: unknown;
        try {
          const c = collect(b, root, a1.modRevision - 1);
          await vi.waitFor(() => expect(c.errors).toHaveLength(1), { timeout: 5000 });
          err = c.errors[0];
        } catch (e: unknown) {
          err = e;
        }
        expect(isStorageError(err, 'Compacted')).toBe(true);
      });

      it('a watch may start right at the compacted revision', async () => {
        const a1 = await b.create(`${root}a`, '1');
        const a2 = await b.update(`${root}a`, '2', a1.modRevision);
        await b.compact(a2.modRevision);
        const c = collect(b, root, a2.modRevision - 1);
        await c.until(1);
        expect(revisions(c.events)).toEqual([a2.modRevision]);
        c.handle.cancel();
      });

      it('writes after compaction still get higher revisions, and compacting backwards is a no-op', async () => {
        const a1 = await b.create(`${root}a`, '1');
        const del = await b.delete(`${root}a`);
        await b.compact(del.revision);
        await b.compact(a1.modRevision);
        expect(await b.compactedRevision()).toBe(del.revision);
        expect((await b.create(`${root}a`, '2')).modRevision).toBeGreaterThan(del.revision);
      });
    });

    describe('watch', () => {
      it('replays history after afterRevision, then delivers live events, without gap or duplicate', async () => {
        const a1 = await b.create(`${root}a`, '1');
        const a2 = await b.update(`${root}a`, '2', a1.modRevision);
        const bb = await b.create(`${root}b`, 'b');
        const c = collect(b, root, a1.modRevision);
        const del = await b.delete(`${root}b`);
        const a3 = await b.update(`${root}a`, '3', a2.modRevision);
        await c.until(4);
        await settle();
        expect(c.events).toEqual([
          { type: 'put', revision: a2.modRevision, kv: a2, prevKv: a1 },
          { type: 'put', revision: bb.modRevision, kv: bb },
          { type: 'delete', revision: del.revision, kv: expect.objectContaining({ key: bb.key, modRevision: del.revision }), prevKv: bb },
          { type: 'put', revision: a3.modRevision, kv: a3, prevKv: a2 },
        ]);
        expect(c.errors).toEqual([]);
        c.handle.cancel();
      });

      it('from the current revision delivers only new events', async () => {
        await b.create(`${root}old`, 'o');
        const c = collect(b, root, await b.currentRevision());
        const n = await b.create(`${root}new`, 'n');
        await c.until(1);
        await settle();
        expect(c.events).toEqual([{ type: 'put', revision: n.modRevision, kv: n }]);
        c.handle.cancel();
      });

      it('sees only keys under its prefix (pods/ not podtemplates/, one namespace not another)', async () => {
        const start = await b.currentRevision();
        const pods = collect(b, `${root}pods/`, start);
        const ns = collect(b, `${root}pods/ns1/`, start);
        const bare = collect(b, `${root}pod`, start);
        const p1 = await b.create(`${root}pods/ns1/p`, '1');
        await b.create(`${root}podtemplates/ns1/t`, 't');
        const p2 = await b.create(`${root}pods/ns2/p`, '2');
        await bare.until(3);
        await pods.until(2);
        await settle();
        expect(revisions(pods.events)).toEqual([p1.modRevision, p2.modRevision]);
        expect(revisions(ns.events)).toEqual([p1.modRevision]);
        expect(bare.events).toHaveLength(3);
        for (const c of [pods, ns, bare]) c.handle.cancel();
      });

      it('stops delivering after cancel, which may be called twice and from inside onEvents', async () => {
        const start = await b.currentRevision();
        const cancelled = collect(b, root, start);
        const got: WatchEvent[] = [];
        const self: { h?: WatchHandle } = {};
        self.h = b.watch(root, { afterRevision: start, onEvents: (evs) => { got.push(...evs); self.h?.cancel(); }, onError: () => {} });
        const witness = collect(b, root, start);
        await b.create(`${root}a`, '1');
        await cancelled.until(1);
        cancelled.handle.cancel();
        cancelled.handle.cancel();
        await b.create(`${root}b`, '2');
        await witness.until(2);
        await settle();
        expect(cancelled.events).toHaveLength(1);
        expect(got).toHaveLength(1);
        witness.handle.cancel();
      });

      it('a throwing callback does not stop other watchers', async () => {
        const start = await b.currentRevision();
        const bad = b.watch(root, { afterRevision: start, onEvents: () => { throw new Error('boom'); }, onError: () => {} });
        const good = collect(b, root, start);
        await b.create(`${root}a`, '1');
        await b.create(`${root}b`, '2');
        await good.until(2);
        bad.cancel();
        good.handle.cancel();
      });

      it('delivers many events in revision order, matching the log', async () => {
        const start = await b.currentRevision();
        const c = collect(b, root, start);
        const written: number[] = [];
        for (let i = 0; i < 300; i++) written.push((await b.create(`${root}k${String(i).padStart(3, '0')}`, String(i))).modRevision);
        await c.until(300);
        expect(revisions(c.events)).toEqual(written);
        const replay = collect(b, root, start);
        await replay.until(300);
        expect(replay.events).toEqual(c.events);
        c.handle.cancel();
        replay.handle.cancel();
      });
    });

    describe('concurrency', () => {
      it('many interleaved writes get distinct revisions that watchers see in increasing order', async () => {
        const c = collect(b, root, await b.currentRevision());
        const keys = Array.from({ length: 50 }, (_, i) => `${root}k${i}`);
        const results = await Promise.all(
          keys.map(async (key) => {
            let kv: KeyValue = await b.create(key, '0');
            const mine = [kv.modRevision];
            for (let i = 1; i <= 4; i++) {
              kv = await b.update(key, String(i), kv.modRevision);
              mine.push(kv.modRevision);
            }
            return mine;
          }),
        );
        for (const mine of results) for (let i = 1; i < mine.length; i++) expect(mine[i]).toBeGreaterThan(mine[i - 1]);
        const all = results.flat();
        expect(new Set(all).size).toBe(250);
        await c.until(250);
        expect(revisions(c.events)).toEqual([...all].sort((x, y) => x - y));
        expect((await b.list(root)).kvs.every((kv) => kv.value === '4')).toBe(true);
        c.handle.cancel();
      });

      it('of two concurrent updates from the same version exactly one wins', async () => {
        const v1 = await b.create(`${root}a`, '0');
        const outcomes = await Promise.allSettled([b.update(`${root}a`, 'x', v1.modRevision), b.update(`${root}a`, 'y', v1.modRevision)]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const lost = outcomes.find((o) => o.status === 'rejected');
        expect(isStorageError(lost?.reason, 'Conflict')).toBe(true);
      });
    });

    it('reports a positive size in bytes', async () => {
      await b.create(`${root}a`, 'x'.repeat(1000));
      expect(await b.size()).toBeGreaterThan(0);
    });
  });
}
