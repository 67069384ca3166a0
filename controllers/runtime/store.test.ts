// Tests for the informer cache: keys, namespace and custom indexes, atomic replace and the changes it implies, freezing.
import { describe, expect, it } from 'vitest';
import { Indexers, Store } from './store.ts';
import type { KubeObject } from './types.ts';

const pod = (ns: string, name: string, rv: string, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { namespace: ns, name, resourceVersion: rv, uid: `uid-${name}`, ...(extra.metadata ?? {}) },
  ...(extra.spec ? { spec: extra.spec } : {}),
});

describe('Store', () => {
  it('reads by key, namespace and custom index', () => {
    const s = new Store<KubeObject>({ byNode: Indexers.byNodeName, byOwner: Indexers.byOwnerUid });
    s.upsert(pod('a', 'p1', '1', { spec: { nodeName: 'n1' }, metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs-uid', controller: true }] } }));
    s.upsert(pod('b', 'p2', '2', { spec: { nodeName: 'n1' } }));
    s.upsert(pod('b', 'p3', '3'));
    expect(s.get('a/p1')?.metadata.name).toBe('p1');
    expect(s.listNamespace('b').map((o) => o.metadata.name).sort()).toEqual(['p2', 'p3']);
    expect(s.byIndex('byNode', 'n1').map((o) => o.metadata.name).sort()).toEqual(['p1', 'p2']);
    expect(s.byIndex('byOwner', 'rs-uid').map((o) => o.metadata.name)).toEqual(['p1']);
    expect(() => s.byIndex('nope', 'x')).toThrow(/does not exist/);
  });

  it('moves an object between index values when it changes', () => {
    const s = new Store<KubeObject>({ byNode: Indexers.byNodeName });
    s.upsert(pod('a', 'p', '1', { spec: { nodeName: 'n1' } }));
    s.upsert(pod('a', 'p', '2', { spec: { nodeName: 'n2' } }));
    expect(s.byIndex('byNode', 'n1')).toEqual([]);
    expect(s.byIndex('byNode', 'n2')).toHaveLength(1);
    s.remove(pod('a', 'p', '3'));
    expect(s.byIndex('byNode', 'n2')).toEqual([]);
    expect(s.size()).toBe(0);
  });

  it('indexes existing objects when an index is added later, and refuses a different function under a taken name', () => {
    const s = new Store<KubeObject>();
    s.upsert(pod('a', 'p', '1', { spec: { nodeName: 'n1' } }));
    s.addIndexers({ byNode: Indexers.byNodeName });
    s.addIndexers({ byNode: Indexers.byNodeName });
    expect(s.byIndex('byNode', 'n1')).toHaveLength(1);
    expect(() => s.addIndexers({ byNode: () => [] })).toThrow(/different function/);
  });

  it('reports the adds, updates (only where resourceVersion moved) and deletes a replace implies', () => {
    const s = new Store<KubeObject>();
    s.upsert(pod('a', 'same', '1'));
    s.upsert(pod('a', 'changed', '2'));
    s.upsert(pod('a', 'gone', '3'));
    const changes = s.replace([pod('a', 'same', '1'), pod('a', 'changed', '5'), pod('a', 'new', '6')]);
    const summary = changes.map((c) => `${c.type}:${(c.type === 'delete' ? c.old : c.obj).metadata.name}`).sort();
    expect(summary).toEqual(['add:new', 'delete:gone', 'update:changed']);
    expect(s.keys().sort()).toEqual(['a/changed', 'a/new', 'a/same']);
  });

  it('keeps a lister taken before a replace consistent with either the old or the new content', () => {
    const s = new Store<KubeObject>();
    s.upsert(pod('a', 'old', '1'));
    const before = s.list();
    s.replace([pod('a', 'new', '2')]);
    expect(before.map((o) => o.metadata.name)).toEqual(['old']);
    expect(s.listNamespace('a').map((o) => o.metadata.name)).toEqual(['new']);
  });

  it('freezes cached objects so a controller cannot mutate the shared copy', () => {
    const s = new Store<KubeObject>();
    s.upsert(pod('a', 'p', '1', { metadata: { labels: { x: 'y' } } }));
    const cached = s.get('a/p')!;
    expect(() => {
      cached.metadata.labels!['x'] = 'z';
    }).toThrow(TypeError);
  });

  it('keys cluster-scoped objects by name alone', () => {
    const s = new Store<KubeObject>();
    s.upsert({ kind: 'Node', metadata: { name: 'n1', resourceVersion: '1' } });
    expect(s.get('n1')?.metadata.name).toBe('n1');
    expect(s.listNamespace('')).toHaveLength(1);
  });
});
