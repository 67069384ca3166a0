import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteBackend, type SqliteBackend } from '../storage/sqlite.ts';
import { GenericStore, type ObjectEvent } from './store.ts';
import type { KubeObject, ResourceDef } from './types.ts';
import { ApiError } from '../http/errors.ts';

const configmaps: ResourceDef = { group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true };
const widgets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'Widget',
  plural: 'widgets',
  singular: 'widget',
  namespaced: true,
  hasGeneration: true,
  subresources: { status: true },
  strategy: { prepareForCreate: (o) => void delete o.status },
};
const pods: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  gracefulDelete: (o) => ((o.spec as { nodeName?: string } | undefined)?.nodeName ? 30 : 0),
};

let backend: SqliteBackend;
let store: GenericStore;

beforeEach(() => {
  backend = openSqliteBackend(':memory:', { compactIntervalMs: 0 });
  store = new GenericStore(backend);
});
afterEach(async () => {
  await backend.close();
});

const cm = (name: string, labels?: Record<string, string>): KubeObject => ({ metadata: { name, labels }, data: { a: '1' } });

async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e: unknown) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('GenericStore', () => {
  it('sets server metadata on create and answers AlreadyExists with upstream text', async () => {
    const created = await store.create(configmaps, 'ns', cm('a'));
    expect(created.apiVersion).toBe('v1');
    expect(created.kind).toBe('ConfigMap');
    expect(created.metadata).toMatchObject({ name: 'a', namespace: 'ns', resourceVersion: expect.stringMatching(/^\d+$/), uid: expect.any(String) });
    expect(created.metadata.generation).toBeUndefined();
    const err = await apiError(store.create(configmaps, 'ns', cm('a')));
    expect(err.code).toBe(409);
    expect(err.message).toBe('configmaps "a" already exists');
  });

  it('generates names from generateName and requires a name otherwise', async () => {
    const created = await store.create(configmaps, 'ns', { metadata: { generateName: 'web-' } });
    expect(created.metadata.name).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    const err = await apiError(store.create(configmaps, 'ns', { metadata: {} }));
    expect(err.code).toBe(422);
    expect(err.message).toBe('ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required');
  });

  it('rejects a stale resourceVersion with the upstream conflict text', async () => {
    const created = await store.create(configmaps, 'ns', cm('a'));
    await store.update(configmaps, 'ns', 'a', { ...created, data: { a: '2' } });
    const err = await apiError(store.update(configmaps, 'ns', 'a', { ...created, data: { a: '3' } }));
    expect(err.code).toBe(409);
    expect(err.message).toBe('Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again');
  });

  it('bumps generation only on spec changes and keeps status off the main endpoint', async () => {
    const w = await store.create(widgets, 'ns', { metadata: { name: 'w' }, spec: { n: 1 }, status: { ready: true } });
    expect(w.metadata.generation).toBe(1);
    expect(w.status).toBeUndefined();
    const labelled = (await store.update(widgets, 'ns', 'w', { ...w, metadata: { ...w.metadata, labels: { x: 'y' } } })).object;
    expect(labelled.metadata.generation).toBe(1);
    const specChanged = (await store.update(widgets, 'ns', 'w', { ...labelled, spec: { n: 2 }, status: { ready: true } })).object;
    expect(specChanged.metadata.generation).toBe(2);
    expect(specChanged.status).toBeUndefined();
    const status = (await store.update(widgets, 'ns', 'w', { ...specChanged, spec: { n: 99 }, status: { ready: true } }, { subresource: 'status' })).object;
    expect(status.status).toEqual({ ready: true });
    expect(status.spec).toEqual({ n: 2 });
    expect(status.metadata.generation).toBe(2);
  });

  it('does not write when nothing changed', async () => {
    const created = await store.create(configmaps, 'ns', cm('a'));
    const { object } = await store.update(configmaps, 'ns', 'a', created);
    expect(object.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
  });

  it('marks objects with finalizers and deletes them when the last finalizer goes', async () => {
    const created = await store.create(configmaps, 'ns', { ...cm('f'), metadata: { name: 'f', finalizers: ['example.com/x'] } });
    const marked = await store.delete(configmaps, 'ns', 'f');
    expect(marked.deleted).toBe(false);
    expect(marked.object.metadata.deletionTimestamp).toBeTruthy();
    expect(marked.object.metadata.deletionGracePeriodSeconds).toBe(0);
    const current = await store.get(configmaps, 'ns', 'f');
    expect(current.metadata.uid).toBe(created.metadata.uid);
    await store.update(configmaps, 'ns', 'f', { ...current, metadata: { ...current.metadata, finalizers: [] } });
    expect((await apiError(store.get(configmaps, 'ns', 'f'))).code).toBe(404);
  });

  it('adds the orphan and foregroundDeletion finalizers for those propagation policies', async () => {
    await store.create(configmaps, 'ns', cm('o'));
    const orphan = await store.delete(configmaps, 'ns', 'o', { propagationPolicy: 'Orphan' });
    expect(orphan.object.metadata.finalizers).toEqual(['orphan']);
    await store.create(configmaps, 'ns', cm('g'));
    const fg = await store.delete(configmaps, 'ns', 'g', { propagationPolicy: 'Foreground' });
    expect(fg.object.metadata.finalizers).toEqual(['foregroundDeletion']);
  });

  it('deletes scheduled pods gracefully and unscheduled pods at once', async () => {
    await store.create(pods, 'ns', { metadata: { name: 'bound' }, spec: { nodeName: 'n1' } });
    await store.create(pods, 'ns', { metadata: { name: 'pending' }, spec: {} });
    const bound = await store.delete(pods, 'ns', 'bound');
    expect(bound.deleted).toBe(false);
    expect(bound.object.metadata.deletionGracePeriodSeconds).toBe(30);
    expect((await store.delete(pods, 'ns', 'pending')).deleted).toBe(true);
    expect((await store.delete(pods, 'ns', 'bound', { gracePeriodSeconds: 0 })).deleted).toBe(true);
  });

  it('checks delete preconditions with upstream text', async () => {
    await store.create(configmaps, 'ns', cm('p'));
    const err = await apiError(store.delete(configmaps, 'ns', 'p', { preconditions: { uid: 'nope' } }));
    expect(err.code).toBe(409);
    expect(err.message).toMatch(/^Operation cannot be fulfilled on configmaps "p": Precondition failed: UID in precondition: nope, UID in object meta: /);
  });

  it('pages lists with continue tokens and remainingItemCount, and filters across pages', async () => {
    for (let i = 0; i < 25; i++) await store.create(configmaps, 'ns', cm(`c${String(i).padStart(2, '0')}`, { even: String(i % 2 === 0) }));
    const first = await store.list(configmaps, 'ns', { limit: 10 });
    expect(first.items).toHaveLength(10);
    expect(first.remainingItemCount).toBe(15);
    const second = await store.list(configmaps, 'ns', { limit: 10, continueToken: first.continueToken });
    expect(second.items[0].metadata.name).toBe('c10');
    expect(second.resourceVersion).toBe(first.resourceVersion);
    const third = await store.list(configmaps, 'ns', { limit: 10, continueToken: second.continueToken });
    expect(third.items).toHaveLength(5);
    expect(third.continueToken).toBeUndefined();
    const evens = await store.list(configmaps, 'ns', { limit: 5, filter: (o) => o.metadata.labels?.even === 'true', hasSelector: true });
    expect(evens.items.map((o) => o.metadata.name)).toEqual(['c00', 'c02', 'c04', 'c06', 'c08']);
    expect(evens.remainingItemCount).toBeUndefined();
    const rest = await store.list(configmaps, 'ns', { limit: 100, continueToken: evens.continueToken, filter: (o) => o.metadata.labels?.even === 'true', hasSelector: true });
    expect(rest.items).toHaveLength(8);
  });

  it('watches with initial ADDED events and turns objects leaving the selector into DELETED', async () => {
    await store.create(configmaps, 'ns', cm('x', { app: 'web' }));
    const events: ObjectEvent[] = [];
    const w = await store.watch(configmaps, 'ns', { filter: (o) => o.metadata.labels?.app === 'web', onEvent: (e) => events.push(e), onEnd: () => undefined });
    const y = await store.create(configmaps, 'ns', cm('y', { app: 'web' }));
    await store.update(configmaps, 'ns', 'y', { ...y, metadata: { ...y.metadata, labels: { app: 'db' } } });
    await store.create(configmaps, 'ns', cm('z', { app: 'db' }));
    await store.delete(configmaps, 'ns', 'x');
    await new Promise((r) => setTimeout(r, 20));
    w.cancel();
    expect(events.map((e) => `${e.type}:${(e.object as KubeObject).metadata.name}`)).toEqual(['ADDED:x', 'ADDED:y', 'DELETED:y', 'DELETED:x']);
  });

  it('resumes a watch from a resourceVersion and reports compacted history as 410 Expired', async () => {
    const a = await store.create(configmaps, 'ns', cm('a'));
    await store.create(configmaps, 'ns', cm('b'));
    const events: ObjectEvent[] = [];
    const w = await store.watch(configmaps, 'ns', { resourceVersion: a.metadata.resourceVersion, onEvent: (e) => events.push(e), onEnd: () => undefined });
    await new Promise((r) => setTimeout(r, 20));
    w.cancel();
    expect(events.map((e) => e.type)).toEqual(['ADDED']);
    await store.update(configmaps, 'ns', 'a', { ...a, metadata: { ...a.metadata, resourceVersion: undefined }, data: { a: '9' } });
    await backend.compact(await backend.currentRevision());
    const late: ObjectEvent[] = [];
    await store.watch(configmaps, 'ns', { resourceVersion: a.metadata.resourceVersion, onEvent: (e) => late.push(e), onEnd: () => undefined });
    expect(late).toHaveLength(1);
    expect(late[0]).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });
});
