// Group commit of the SQLite backend: writes of one loop turn share a transaction yet keep their own outcomes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStorageError, StorageError, type WatchEvent } from './backend.ts';
import { GroupCommit } from './group-commit.ts';
import { openSqliteBackend, type SqliteBackend } from './sqlite.ts';

let dir = '';
let b: SqliteBackend;
const dbPath = () => join(dir, 'state.db');

describe('sqlite group commit', () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tskube-sqlite-gc-'));
    b = openSqliteBackend(dbPath(), { compactIntervalMs: 0 });
  });
  afterEach(async () => {
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives each write of one turn its own outcome, revisions in call order, and events in revision order', async () => {
    const events: WatchEvent[] = [];
    b.watch('/registry/', { afterRevision: 1, onEvents: (e) => events.push(...e), onError: () => {} });
    const results = await Promise.allSettled([
      b.create('/registry/pods/a', 'a1'),
      b.create('/registry/pods/a', 'again'),
      b.create('/registry/pods/b', 'b1'),
      b.update('/registry/pods/b', 'b2', 999),
      b.delete('/registry/pods/missing'),
      b.update('/registry/pods/a', 'a2', 2),
    ]);
    const outcome = results.map((r) => (r.status === 'fulfilled' ? 'ok' : isStorageError(r.reason) ? r.reason.code : 'other'));
    expect(outcome).toEqual(['ok', 'KeyExists', 'ok', 'Conflict', 'KeyNotFound', 'ok']);
    expect(results[0]).toMatchObject({ value: { modRevision: 2, createRevision: 2 } });
    expect(results[2]).toMatchObject({ value: { modRevision: 3 } });
    expect(results[5]).toMatchObject({ value: { modRevision: 4, createRevision: 2, value: 'a2' } });
    expect(await b.currentRevision()).toBe(4);
    await new Promise((r) => setImmediate(r));
    expect(events.map((e) => [e.type, e.kv.key, e.revision])).toEqual([
      ['put', '/registry/pods/a', 2],
      ['put', '/registry/pods/b', 3],
      ['put', '/registry/pods/a', 4],
    ]);
  });

  it('answers a write only once it is committed, readable by another connection', async () => {
    const pending = b.create('/registry/pods/a', 'v');
    expect((await b.get('/registry/pods/a')).kv).toBeUndefined();
    await pending;
    const other = new Database(dbPath(), { readonly: true });
    try {
      expect(other.prepare('SELECT count(*) AS n FROM current WHERE key = ?').get('/registry/pods/a')).toEqual({ n: 1 });
    } finally {
      other.close();
    }
  });

  it('commits writes already accepted when closed before the batch ran, and refuses later ones', async () => {
    const pending = b.create('/registry/pods/a', 'v');
    await b.close();
    await expect(pending).resolves.toMatchObject({ modRevision: 2 });
    await expect(b.create('/registry/pods/b', 'v')).rejects.toMatchObject({ code: 'Unavailable' });
    b = openSqliteBackend(dbPath(), { compactIntervalMs: 0 });
    expect((await b.get('/registry/pods/a')).kv?.value).toBe('v');
  });

  it('commits a burst of 500 concurrent creates with distinct, strictly increasing revisions', async () => {
    const kvs = await Promise.all(Array.from({ length: 500 }, (_, i) => b.create(`/registry/configmaps/default/cm-${i}`, String(i))));
    expect(kvs.map((kv) => kv.modRevision)).toEqual(Array.from({ length: 500 }, (_, i) => i + 2));
    expect((await b.count('/registry/configmaps/')).count).toBe(500);
  });
});

describe('GroupCommit', () => {
  const event = (revision: number): WatchEvent => ({ type: 'put', revision, kv: { key: 'k', value: '', createRevision: revision, modRevision: revision } });

  it('fails every write of a batch whose commit failed, publishing nothing', async () => {
    const published: number[] = [];
    const gc = new GroupCommit({
      commit: () => {
        throw new Error('disk I/O error');
      },
      publish: (e) => published.push(e.revision),
      toError: (e, key) => new StorageError('Unavailable', String(e), { key }),
      isClosed: () => false,
    });
    const results = await Promise.allSettled([gc.enqueue('a', () => ({ result: 1, event: event(2) })), gc.enqueue('b', () => ({ result: 2, event: event(3) }))]);
    expect(results.map((r) => r.status === 'rejected' && isStorageError(r.reason, 'Unavailable') && r.reason.key)).toEqual(['a', 'b']);
    expect(published).toEqual([]);
  });

  it('publishes every committed event before answering the first caller', async () => {
    const published: number[] = [];
    const gc = new GroupCommit({
      commit: (writes) => writes.map((w) => w.run()),
      publish: (e) => published.push(e.revision),
      toError: (e, key) => new StorageError('Unavailable', String(e), { key }),
      isClosed: () => false,
    });
    const seenByFirst = gc.enqueue('a', () => ({ result: 1, event: event(2) })).then(() => [...published]);
    void gc.enqueue('b', () => ({ result: 2, event: event(3) }));
    expect(await seenByFirst).toEqual([2, 3]);
  });
});
