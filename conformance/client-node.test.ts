// @kubernetes/client-node against the cluster: typed CRUD and an informer (list + watch) that sees adds, updates, deletes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { eventually, kubeConfig, uniqueName } from './kubectl.ts';

const ns = uniqueName('clientnode');
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: ns } } });
});

afterAll(async () => {
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
});

describe('client-node', () => {
  it('reads and writes typed objects', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'typed' }, data: { a: '1' } } });
    expect(created.metadata?.uid).toBeTruthy();
    const read = await core.readNamespacedConfigMap({ namespace: ns, name: 'typed' });
    expect(read.data).toEqual({ a: '1' });
    const list = await core.listNamespacedConfigMap({ namespace: ns });
    expect(list.items.map((i) => i.metadata?.name)).toContain('typed');
    await expect(core.readNamespacedConfigMap({ namespace: ns, name: 'missing' })).rejects.toMatchObject({ code: 404 });
  });

  it('makeInformer sees adds, updates and deletes', async () => {
    const seen: string[] = [];
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns }));
    informer.on('add', (o) => seen.push(`add:${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update:${o.metadata?.name}:${o.data?.v}`));
    informer.on('delete', (o) => seen.push(`delete:${o.metadata?.name}`));
    await informer.start();
    try {
      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'inf' }, data: { v: '1' } } });
      await eventually(() => seen.includes('add:inf'));
      await core.replaceNamespacedConfigMap({ namespace: ns, name: 'inf', body: { metadata: { name: 'inf' }, data: { v: '2' } } });
      await eventually(() => seen.includes('update:inf:2'));
      await core.deleteNamespacedConfigMap({ namespace: ns, name: 'inf' });
      await eventually(() => seen.includes('delete:inf'));
      expect(informer.list(ns).map((o) => o.metadata?.name)).not.toContain('inf');
    } finally {
      await informer.stop();
    }
  });
});
