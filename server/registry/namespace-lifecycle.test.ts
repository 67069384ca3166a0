// Namespace deletion in the generic store, as upstream's namespace storage: mark first, go once spec.finalizers is empty too.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteBackend, type SqliteBackend } from '../storage/sqlite.ts';
import { GenericStore } from './store.ts';
import { namespaces } from './cluster.ts';
import { ApiError } from '../http/errors.ts';

let backend: SqliteBackend;
let store: GenericStore;

beforeEach(() => {
  backend = openSqliteBackend(':memory:', { compactIntervalMs: 0 });
  store = new GenericStore(backend);
});
afterEach(async () => {
  await backend.close();
});

const gone = async (name: string): Promise<boolean> =>
  store.get(namespaces, '', name).then(
    () => false,
    (e: unknown) => e instanceof ApiError && e.code === 404,
  );

describe('namespace deletion', () => {
  it('the first DELETE only marks the namespace Terminating and keeps the kubernetes finalizer', async () => {
    await store.create(namespaces, '', { metadata: { name: 'doomed' } });
    const result = await store.delete(namespaces, '', 'doomed');
    expect(result.deleted).toBe(false);
    const ns = await store.get(namespaces, '', 'doomed');
    expect(ns.metadata.deletionTimestamp).toBeTruthy();
    expect(ns.status).toEqual({ phase: 'Terminating' });
    expect(ns.spec).toEqual({ finalizers: ['kubernetes'] });
  });

  it('status writes and main updates neither delete it nor drop spec.finalizers', async () => {
    await store.create(namespaces, '', { metadata: { name: 'doomed' } });
    await store.delete(namespaces, '', 'doomed');
    const ns = await store.get(namespaces, '', 'doomed');
    await store.update(namespaces, '', 'doomed', { ...ns, status: { phase: 'Terminating', conditions: [] } }, { subresource: 'status' });
    await store.update(namespaces, '', 'doomed', { ...(await store.get(namespaces, '', 'doomed')), spec: { finalizers: [] } });
    expect((await store.get(namespaces, '', 'doomed')).spec).toEqual({ finalizers: ['kubernetes'] });
    expect(await gone('doomed')).toBe(false);
  });

  it('goes away once spec.finalizers is emptied (the finalize write) while marked', async () => {
    await store.create(namespaces, '', { metadata: { name: 'doomed' } });
    await store.delete(namespaces, '', 'doomed');
    const ns = await store.get(namespaces, '', 'doomed');
    await store.update(namespaces, '', 'doomed', { ...ns, spec: { finalizers: [] } }, { subresource: 'trusted' });
    expect(await gone('doomed')).toBe(true);
  });

  it('a second DELETE of an already finalized namespace removes it', async () => {
    await store.create(namespaces, '', { metadata: { name: 'bare' }, spec: { finalizers: [] } });
    const ns = await store.get(namespaces, '', 'bare');
    // prepareForCreate always adds kubernetes; clear it through the trusted path, as /finalize would.
    await store.update(namespaces, '', 'bare', { ...ns, spec: { finalizers: [] } }, { subresource: 'trusted' });
    expect((await store.delete(namespaces, '', 'bare')).deleted).toBe(false);
    expect((await store.delete(namespaces, '', 'bare')).deleted).toBe(true);
  });
});
