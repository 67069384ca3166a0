// Tests for the reflector's state machine and the informer over a stub HTTPS API server: pages, watch resume, bookmarks, 410, back-off.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';
import { Informer, type EventHandler } from './informer.ts';
import { SharedInformerFactory } from './factory.ts';
import type { ReflectorState } from './reflector.ts';
import { Indexers } from './store.ts';
import { StubApiServer } from './stub-apiserver.ts';
import { Resources, type KubeObject } from './types.ts';
import { createLogger } from '../../server/log.ts';

const PODS = 'v1/pods';
const quiet = createLogger('test', () => {});
const pod = (name: string, ns = 'default', extra: Record<string, unknown> = {}): KubeObject => ({ metadata: { name, namespace: ns }, spec: { nodeName: 'n1' }, ...extra });

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Records handler calls as readable strings. */
function recorder(): { calls: string[]; handler: EventHandler<KubeObject> } {
  const calls: string[] = [];
  return {
    calls,
    handler: {
      onAdd: (o, initial) => calls.push(`add ${o.metadata.name}${initial ? ' (initial)' : ''}`),
      onUpdate: (old, o) => calls.push(old === o ? `resync ${o.metadata.name}` : `update ${o.metadata.name} ${old.metadata.resourceVersion}->${o.metadata.resourceVersion}`),
      onDelete: (o, unknown) => calls.push(`delete ${o.metadata.name}${unknown ? ' (final state unknown)' : ''}`),
    },
  };
}

describe('Informer', () => {
  let stub: StubApiServer;
  let informer: Informer<KubeObject>;
  let states: ReflectorState['phase'][];

  const make = (opts: { pageSize?: number; watchTimeoutSeconds?: number; watchGraceMs?: number } = {}): Informer<KubeObject> => {
    informer = new Informer(stub.client(), Resources.Pod, {
      pageSize: opts.pageSize,
      watchTimeoutSeconds: () => opts.watchTimeoutSeconds ?? 60,
      watchGraceMs: opts.watchGraceMs,
      backoff: new Backoff(10, 40, 2, 0),
      log: quiet,
      indexers: { byNode: Indexers.byNodeName },
    });
    states = [];
    informer.onStateChange = (s) => states.push(s.phase);
    return informer;
  };
  const lists = (): URLSearchParams[] => stub.requests.filter((r) => r.path === '/api/v1/pods' && r.query.get('watch') !== 'true').map((r) => r.query);
  const watches = (): URLSearchParams[] => stub.requests.filter((r) => r.path === '/api/v1/pods' && r.query.get('watch') === 'true').map((r) => r.query);

  beforeEach(async () => {
    stub = await StubApiServer.start();
  });
  afterEach(async () => {
    await informer?.stop();
    await stub.close();
  });

  it('lists in pages of `limit` following `continue`, then syncs and notifies every object as initial', async () => {
    for (let i = 0; i < 5; i++) stub.put(PODS, pod(`p${i}`));
    const { calls, handler } = recorder();
    make({ pageSize: 2 }).addEventHandler(handler);
    informer.start();
    expect(await informer.waitForSync()).toBe(true);
    expect(lists().map((q) => [q.get('limit'), q.has('continue')])).toEqual([['2', false], ['2', true], ['2', true]]);
    expect(calls.sort()).toEqual(['add p0 (initial)', 'add p1 (initial)', 'add p2 (initial)', 'add p3 (initial)', 'add p4 (initial)']);
    expect(informer.lister.list()).toHaveLength(5);
    expect(informer.lister.get('default/p3')).toMatchObject({ apiVersion: 'v1', kind: 'Pod' });
    expect(informer.lister.byIndex('byNode', 'n1')).toHaveLength(5);
    await until(() => stub.watchCount === 1, 'a watch');
    expect(states.slice(0, 2)).toEqual(['listing', 'watching']);
    const w = watches()[0]!;
    expect(w.get('resourceVersion')).toBe(String(stub.revision));
    expect(w.get('allowWatchBookmarks')).toBe('true');
    expect(w.get('timeoutSeconds')).toBe('60');
  });

  it('applies watch events to the cache and notifies add, update and delete', async () => {
    const { calls, handler } = recorder();
    make().addEventHandler(handler);
    informer.start();
    await informer.waitForSync();
    await until(() => stub.watchCount === 1, 'a watch');
    const added = stub.put(PODS, pod('a'));
    stub.put(PODS, { ...added, metadata: { ...added.metadata, labels: { x: '1' } } });
    stub.remove(PODS, 'default', 'a');
    await until(() => calls.length === 3, 'three notifications');
    expect(calls).toEqual([`add a`, `update a ${Number(added.metadata.resourceVersion)}->${Number(added.metadata.resourceVersion) + 1}`, 'delete a']);
    expect(informer.lister.size()).toBe(0);
  });

  it('re-watches from the last seen resourceVersion when the stream ends, without relisting', async () => {
    make().start();
    await informer.waitForSync();
    await until(() => stub.watchCount === 1, 'a watch');
    const last = stub.put(PODS, pod('a'));
    await until(() => informer.lister.size() === 1, 'the event');
    stub.endWatches();
    await until(() => watches().length === 2 && stub.watchCount === 1, 'a second watch');
    expect(watches()[1]!.get('resourceVersion')).toBe(last.metadata.resourceVersion);
    expect(lists()).toHaveLength(1);
  });

  it('follows BOOKMARK resourceVersions', async () => {
    make().start();
    await informer.waitForSync();
    await until(() => stub.watchCount === 1, 'a watch');
    stub.put('apps/v1/deployments', { metadata: { name: 'elsewhere', namespace: 'default' } });
    stub.put('apps/v1/deployments', { metadata: { name: 'elsewhere2', namespace: 'default' } });
    stub.bookmark();
    await until(() => informer.state.phase === 'watching' && informer.state.resourceVersion === String(stub.revision), 'the bookmark');
    stub.endWatches();
    await until(() => watches().length === 2, 'a second watch');
    expect(watches()[1]!.get('resourceVersion')).toBe(String(stub.revision));
  });

  it.each([
    ['an ERROR event with code 410 inside the stream', false],
    ['an HTTP 410 answer', true],
  ])('relists on %s and emits the changes it implies', async (_what, asHttp) => {
    stub.expiredAsHttp = asHttp;
    stub.put(PODS, pod('stays'));
    stub.put(PODS, pod('changes'));
    stub.put(PODS, pod('goes'));
    const { calls, handler } = recorder();
    make().addEventHandler(handler);
    informer.start();
    await informer.waitForSync();
    await until(() => stub.watchCount === 1, 'a watch');
    // Cut the informer off, change the world, forget the history, then let it back.
    stub.hook = (r) => (r.query.get('watch') === 'true' ? 'reset' : undefined);
    stub.endWatches();
    await until(() => informer.state.phase === 'backoff', 'backoff');
    const changedRv = stub.put(PODS, pod('changes', 'default', { spec: { nodeName: 'n2' } })).metadata.resourceVersion;
    stub.remove(PODS, 'default', 'goes');
    stub.put(PODS, pod('new'));
    stub.compact();
    calls.length = 0;
    stub.hook = undefined;
    await until(() => lists().length === 2 && informer.lister.size() === 3 && stub.watchCount === 1, 'the relist');
    expect(calls.sort()).toEqual(['add new', 'delete goes (final state unknown)', `update changes ${Number(changedRv) - 2}->${changedRv}`]);
    expect(states).toContain('backoff');
    expect(informer.lister.byIndex('byNode', 'n2').map((o) => o.metadata.name)).toEqual(['changes']);
    expect(informer.lister.get('default/goes')).toBeUndefined();
  });

  it('backs off and retries after connection errors, then resumes from where it was', async () => {
    stub.hook = (r) => (r.query.get('watch') !== 'true' ? 'reset' : undefined);
    make().start();
    await until(() => stub.requests.length >= 3, 'retries');
    expect(informer.hasSynced()).toBe(false);
    expect(states).toContain('backoff');
    stub.hook = undefined;
    expect(await informer.waitForSync()).toBe(true);
  });

  it('falls back to one unpaginated list when the continue token expired mid-list', async () => {
    for (let i = 0; i < 4; i++) stub.put(PODS, pod(`p${i}`));
    let compacted = false;
    stub.hook = (r) => {
      if (r.query.has('continue') && !compacted) {
        compacted = true;
        stub.put('v1/configmaps', { metadata: { name: 'unrelated', namespace: 'default' } });
        stub.compact();
      }
      return undefined;
    };
    make({ pageSize: 2 }).start();
    await informer.waitForSync();
    expect(lists().map((q) => q.get('limit'))).toEqual(['2', '2', null]);
    expect(informer.lister.size()).toBe(4);
  });

  it('cuts a watch the server leaves silent past timeoutSeconds and watches again', async () => {
    stub.ignoreWatchTimeouts = true;
    make({ watchTimeoutSeconds: 0.05 as number, watchGraceMs: 50 }).start();
    await informer.waitForSync();
    await until(() => watches().length >= 2, 'a second watch', 3000);
    expect(lists()).toHaveLength(1);
  });

  it('calls onUpdate(obj, obj) for every cached object each resync period of a handler', async () => {
    stub.put(PODS, pod('a'));
    const { calls, handler } = recorder();
    make().addEventHandler(handler, { resyncPeriodMs: 30 });
    informer.start();
    await until(() => calls.filter((c) => c === 'resync a').length >= 2, 'two resyncs');
  });

  it('replays the cache to a handler added after sync, and stops notifying a removed one', async () => {
    stub.put(PODS, pod('a'));
    make().start();
    await informer.waitForSync();
    const { calls, handler } = recorder();
    const remove = informer.addEventHandler(handler);
    expect(calls).toEqual(['add a (initial)']);
    remove();
    stub.put(PODS, pod('b'));
    await until(() => informer.lister.size() === 2, 'b');
    expect(calls).toEqual(['add a (initial)']);
  });

  it('waitForSync resolves false when its signal aborts first', async () => {
    stub.hook = () => 'reset';
    make().start();
    const ctl = new AbortController();
    const waiting = informer.waitForSync(ctl.signal);
    ctl.abort();
    expect(await waiting).toBe(false);
  });

  it('stops: the reflector reaches the stopped state and the watch is closed', async () => {
    make().start();
    await informer.waitForSync();
    await until(() => stub.watchCount === 1, 'a watch');
    await informer.stop();
    expect(informer.state.phase).toBe('stopped');
    await until(() => stub.watchCount === 0, 'the watch to close');
  });
});

describe('SharedInformerFactory', () => {
  let stub: StubApiServer;
  beforeAll(async () => {
    stub = await StubApiServer.start();
  });
  afterAll(async () => {
    await stub.close();
  });

  it('shares one informer per resource path and selectors and lists each once', async () => {
    const factory = new SharedInformerFactory(stub.client(), { log: quiet, backoff: new Backoff(10, 40, 2, 0) });
    const a = factory.informerOf(Resources.ReplicaSet);
    const b = factory.informerOf(Resources.ReplicaSet);
    const c = factory.informerOf(Resources.ReplicaSet, { namespace: 'kube-system' });
    const d = factory.informerOf(Resources.ReplicaSet, { labelSelector: 'app=x' });
    expect(a).toBe(b);
    expect(new Set([a, c, d]).size).toBe(3);
    factory.start();
    factory.start();
    const late = factory.informerOf(Resources.Node);
    expect(await factory.waitForCacheSync()).toBe(true);
    expect(late.hasSynced()).toBe(true);
    const paths = stub.requests.filter((r) => r.query.get('watch') !== 'true').map((r) => `${r.path}?${r.query.get('labelSelector') ?? ''}`);
    expect(paths.sort()).toEqual(['/api/v1/nodes?', '/apis/apps/v1/namespaces/kube-system/replicasets?', '/apis/apps/v1/replicasets?', '/apis/apps/v1/replicasets?app=x']);
    await factory.shutdown();
  });
});
