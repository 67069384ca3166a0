// The runtime against the project's real API server (skipped, with the reason, while server/apiserver.ts cannot load).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, isAlreadyExists } from './client.ts';
import { Backoff } from './backoff.ts';
import { Informer } from './informer.ts';
import { LeaderElector, type Lease } from './leader-election.ts';
import { EventRecorder } from './events.ts';
import { Resources, type KubeObject } from './types.ts';
import { createLogger } from '../../server/log.ts';

let loadError = '';
const apiserver = await import('../../server/apiserver.ts').catch((e: unknown) => {
  loadError = e instanceof Error ? e.message : String(e);
  return undefined;
});
const quiet = createLogger('test', () => {});

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe.skipIf(!apiserver)(`the controller runtime against the real API server${loadError ? ` (skipped: ${loadError})` : ''}`, () => {
  let dataDir: string;
  let server: Awaited<ReturnType<NonNullable<typeof apiserver>['startApiServer']>>;
  let client: ApiClient;
  const ns = 'runtime-it';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'runtime-it-'));
    server = await apiserver!.startApiServer({ dataDir, port: 0, bind: '127.0.0.1', log: quiet });
    const kc = new KubeConfig();
    kc.loadFromFile(server.access.adminKubeconfigPath);
    client = new ApiClient(kc);
    for (const name of [ns, 'kube-system']) {
      await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } }).catch((e: unknown) => {
        if (!isAlreadyExists(e)) throw e;
      });
    }
  });
  afterAll(async () => {
    client?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('an informer lists in pages, then follows creates, updates and deletes over its watch', async () => {
    const path = `/api/v1/namespaces/${ns}/configmaps`;
    for (let i = 0; i < 5; i++) await client.request('POST', path, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i) } } });
    const calls: string[] = [];
    const informer = new Informer(client, Resources.ConfigMap, { namespace: ns, pageSize: 2, log: quiet, backoff: new Backoff(50, 200, 2, 0) });
    informer.addEventHandler({
      onAdd: (o) => calls.push(`add ${o.metadata.name}`),
      onUpdate: (a, b) => a !== b && calls.push(`update ${b.metadata.name}`),
      onDelete: (o) => calls.push(`delete ${o.metadata.name}`),
    });
    informer.start();
    try {
      expect(await informer.waitForSync()).toBe(true);
      expect(informer.lister.listNamespace(ns).map((o) => o.metadata.name).sort()).toEqual(['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4']);
      await until(() => informer.state.phase === 'watching', 'the watch');
      calls.length = 0;
      await client.request('POST', path, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'new' } } });
      await client.request('PATCH', `${path}/cm-0`, { body: { data: { i: 'changed' } }, contentType: 'application/merge-patch+json' });
      await client.request('DELETE', `${path}/cm-1`);
      await until(() => calls.length >= 3, 'three notifications');
      expect(calls).toEqual(['add new', 'update cm-0', 'delete cm-1']);
      expect((informer.lister.get(`${ns}/cm-0`) as KubeObject & { data: Record<string, string> }).data['i']).toBe('changed');
    } finally {
      await informer.stop();
    }
  });

  it('two electors share one Lease: one leads, and a release hands over to the other', async () => {
    const started: string[] = [];
    const make = (identity: string) => {
      const elector = new LeaderElector(client, { name: 'runtime-it', identity, leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 200, log: quiet, onStartedLeading: () => void started.push(identity) });
      const ctl = new AbortController();
      return { elector, ctl, done: elector.run(ctl.signal) };
    };
    const a = make('cm-a');
    await until(() => started.length === 1, 'a leader');
    const b = make('cm-b');
    await new Promise((r) => setTimeout(r, 600));
    expect(started).toEqual(['cm-a']);
    a.ctl.abort();
    await a.done;
    await until(() => started.length === 2, 'the hand-over');
    expect(started).toEqual(['cm-a', 'cm-b']);
    const lease = await client.request<Lease>('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/runtime-it');
    expect(lease.spec).toMatchObject({ holderIdentity: 'cm-b', leaseDurationSeconds: 3, leaseTransitions: 1 });
    expect(lease.spec!.renewTime).toMatch(/\.\d{6}Z$/);
    b.ctl.abort();
    await b.done;
  });

  it('the event recorder creates an Event and bumps its count on a repeat', async () => {
    const cm = await client.request<KubeObject>('GET', `/api/v1/namespaces/${ns}/configmaps/cm-2`);
    const rec = new EventRecorder(client, { component: 'runtime-it', log: quiet });
    rec.event({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }, 'Normal', 'Tested', 'seen twice');
    rec.event({ ...cm, apiVersion: 'v1', kind: 'ConfigMap' }, 'Normal', 'Tested', 'seen twice');
    await rec.flush();
    const list = await client.request<{ items: Array<KubeObject & { count: number; reason: string }> }>('GET', `/api/v1/namespaces/${ns}/events`);
    const mine = list.items.filter((e) => e.reason === 'Tested');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ count: 2, involvedObject: { kind: 'ConfigMap', name: 'cm-2', namespace: ns } });
  });
});
