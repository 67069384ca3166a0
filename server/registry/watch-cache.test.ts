import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteBackend, type SqliteBackend } from '../storage/sqlite.ts';
import { GenericStore, type WatchQuery } from './store.ts';
import type { ResourceDef } from './types.ts';
import { WatchCache } from './watch-cache.ts';

const configmaps: ResourceDef = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true };

let backend: SqliteBackend;
let store: GenericStore;
let cache: WatchCache;

beforeEach(() => {
  backend = openSqliteBackend(':memory:', { compactIntervalMs: 0 });
  store = new GenericStore(backend);
});
afterEach(async () => {
  cache?.stop();
  await backend.close();
});

const names = (ns: string): string[] => cache.list(ns).map((o) => o.metadata.name!);
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe('WatchCache', () => {
  it('starts with the stored objects and follows creates, updates and deletes', async () => {
    await store.create(configmaps, 'a', { metadata: { name: 'two' }, data: { v: '1' } });
    await store.create(configmaps, 'a', { metadata: { name: 'one' } });
    cache = new WatchCache(store, configmaps);
    await cache.start();
    expect(names('a')).toEqual(['one', 'two']);

    await store.create(configmaps, 'b', { metadata: { name: 'three' } });
    await store.update(configmaps, 'a', 'two', (cur) => ({ ...cur!, data: { v: '2' } }));
    await store.delete(configmaps, 'a', 'one');
    await settle();
    expect(names('a')).toEqual(['two']);
    expect(names('b')).toEqual(['three']);
    expect(cache.get('a', 'two')?.data).toEqual({ v: '2' });
    expect(cache.get('a', 'one')).toBeUndefined();
  });

  it('replaces its copy with a fresh list when the watch ends, forgetting what was deleted in the gap', async () => {
    const ends: Array<() => void> = [];
    const watchOf = store.watch.bind(store);
    store.watch = (def: ResourceDef, ns: string, q: WatchQuery) => {
      ends.push(q.onEnd);
      return watchOf(def, ns, q);
    };
    await store.create(configmaps, 'a', { metadata: { name: 'gone' } });
    cache = new WatchCache(store, configmaps);
    await cache.start();
    expect(names('a')).toEqual(['gone']);

    ends[0]!();
    await store.delete(configmaps, 'a', 'gone');
    await store.create(configmaps, 'a', { metadata: { name: 'new' } });
    await new Promise((r) => setTimeout(r, 400));
    expect(ends).toHaveLength(2);
    expect(names('a')).toEqual(['new']);
  });

  it('tells listeners about the initial objects, each change, and what a re-list found different', async () => {
    const ends: Array<() => void> = [];
    const watchOf = store.watch.bind(store);
    store.watch = (def: ResourceDef, ns: string, q: WatchQuery) => {
      ends.push(q.onEnd);
      return watchOf(def, ns, q);
    };
    await store.create(configmaps, 'a', { metadata: { name: 'kept' } });
    await store.create(configmaps, 'a', { metadata: { name: 'dropped' } });
    cache = new WatchCache(store, configmaps);
    const seen: string[] = [];
    cache.onChange((type, o) => seen.push(`${type} ${o.metadata.name}`));
    await cache.start();
    expect(seen.sort()).toEqual(['set dropped', 'set kept']);

    seen.length = 0;
    await store.create(configmaps, 'a', { metadata: { name: 'live' } });
    await settle();
    expect(seen).toEqual(['set live']);

    seen.length = 0;
    ends[0]!();
    await store.delete(configmaps, 'a', 'dropped');
    await new Promise((r) => setTimeout(r, 400));
    expect(seen).toEqual(['delete dropped']);
  });

  it('keeps retrying a re-list that fails, until one succeeds', async () => {
    const ends: Array<() => void> = [];
    let calls = 0;
    const watchOf = store.watch.bind(store);
    store.watch = (def: ResourceDef, ns: string, q: WatchQuery) => {
      calls++;
      if (calls === 2 || calls === 3) return Promise.reject(new Error('storage unavailable'));
      ends.push(q.onEnd);
      return watchOf(def, ns, q);
    };
    cache = new WatchCache(store, configmaps);
    await cache.start();
    ends[0]!();
    await store.create(configmaps, 'a', { metadata: { name: 'after' } });
    await new Promise((r) => setTimeout(r, 1000));
    expect(calls).toBe(4);
    expect(names('a')).toEqual(['after']);
  });

  it('confirms an empty namespace with a storage list, so an object the watch has not delivered yet is seen', async () => {
    const watchOf = store.watch.bind(store);
    let delivering = true;
    store.watch = (def: ResourceDef, ns: string, q: WatchQuery) => watchOf(def, ns, { ...q, onEvent: (e) => (delivering ? q.onEvent(e) : undefined) });
    cache = new WatchCache(store, configmaps);
    await cache.start();
    delivering = false;
    await store.create(configmaps, 'a', { metadata: { name: 'late' } });
    expect(names('a')).toEqual([]);
    expect((await cache.listConfirmed('a')).map((o) => o.metadata.name)).toEqual(['late']);
  });
});
