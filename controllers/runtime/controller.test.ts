// Tests for the controller builder: owner mapping, retries with back-off, terminal errors, requeueAfter, one reconcile per key at a time.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Backoff } from './backoff.ts';
import { controller, ownerKey, TerminalError, type Action } from './controller.ts';
import { SharedInformerFactory } from './factory.ts';
import { StubApiServer } from './stub-apiserver.ts';
import { Resources, type KubeObject, type OwnerReference } from './types.ts';
import { createLogger } from '../../server/log.ts';

const quiet = createLogger('test', () => {});

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ref = (over: Partial<OwnerReference>): OwnerReference => ({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'u', controller: true, ...over });
const owned = (refs: OwnerReference[], ns = 'ns'): KubeObject => ({ metadata: { name: 'rs', namespace: ns, ownerReferences: refs } });

describe('ownerKey', () => {
  it.each([
    ['the controller owner of the primary kind', [ref({})], 'ns/web'],
    ['nothing for a non-controller reference', [ref({ controller: false })], undefined],
    ['nothing for another kind', [ref({ kind: 'StatefulSet' })], undefined],
    ['nothing for the same kind in another group', [ref({ apiVersion: 'extensions/v1beta1' })], undefined],
    ['the controller among several owners', [ref({ name: 'other', controller: false }), ref({ name: 'boss' })], 'ns/boss'],
  ])('maps an owned object to %s', (_what, refs, key) => {
    expect(ownerKey(Resources.Deployment, owned(refs))).toBe(key);
  });

  it('keys a cluster-scoped owner by name alone', () => {
    expect(ownerKey(Resources.Node, owned([{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'x', controller: true }]))).toBe('n1');
  });
});

describe('controller', () => {
  let stub: StubApiServer;
  let factory: SharedInformerFactory;
  let ctl: AbortController;

  beforeEach(async () => {
    stub = await StubApiServer.start();
    factory = new SharedInformerFactory(stub.client(), { log: quiet, backoff: new Backoff(10, 40, 2, 0) });
    ctl = new AbortController();
  });
  afterEach(async () => {
    ctl.abort();
    await factory.shutdown();
    await stub.close();
  });

  it('reconciles each primary and the controller owner of each owned object', async () => {
    stub.put('apps/v1/deployments', { metadata: { name: 'web', namespace: 'ns' } });
    const seen: string[] = [];
    const run = controller('deployment', factory.informerOf(Resources.Deployment))
      .owns(factory.informerOf(Resources.ReplicaSet))
      .run(async (key) => {
        seen.push(key);
        return 'done';
      }, { signal: ctl.signal, log: quiet });
    await until(() => seen.includes('ns/web'), 'the initial reconcile');
    seen.length = 0;
    stub.put('apps/v1/replicasets', owned([ref({ name: 'api' })]));
    stub.put('apps/v1/replicasets', { metadata: { name: 'orphan', namespace: 'ns' } });
    await until(() => seen.includes('ns/api'), 'the owner reconcile');
    stub.remove('apps/v1/deployments', 'ns', 'web');
    await until(() => seen.includes('ns/web'), 'the reconcile of a deleted primary');
    expect(seen.sort()).toEqual(['ns/api', 'ns/web']);
    ctl.abort();
    await run;
  });

  it('retries a failing reconcile with growing back-off and stops after success', async () => {
    stub.put('apps/v1/deployments', { metadata: { name: 'web', namespace: 'ns' } });
    const attempts: Array<{ at: number; retries: number }> = [];
    const run = controller('deployment', factory.informerOf(Resources.Deployment)).run(async (_key, { retries }) => {
      attempts.push({ at: Date.now(), retries });
      if (attempts.length < 5) throw new Error('not yet');
      return 'done';
    }, { signal: ctl.signal, log: quiet });
    await until(() => attempts.length === 5, 'five attempts');
    await new Promise((r) => setTimeout(r, 200));
    expect(attempts).toHaveLength(5);
    expect(attempts.map((a) => a.retries)).toEqual([0, 1, 2, 3, 4]);
    // 5, 10, 20, 40 ms apart at least.
    const gaps = attempts.slice(1).map((a, i) => a.at - attempts[i]!.at);
    expect(gaps[3]!).toBeGreaterThanOrEqual(35);
    ctl.abort();
    await run;
  });

  it('never retries a TerminalError', async () => {
    stub.put('apps/v1/deployments', { metadata: { name: 'web', namespace: 'ns' } });
    let calls = 0;
    const c = controller('deployment', factory.informerOf(Resources.Deployment));
    const run = c.run(async () => {
      calls++;
      throw new TerminalError('spec.selector is immutable');
    }, { signal: ctl.signal, log: quiet });
    await until(() => calls === 1, 'one call');
    await new Promise((r) => setTimeout(r, 100));
    expect(calls).toBe(1);
    expect(c.queue.numRequeues('ns/web')).toBe(0);
    ctl.abort();
    await run;
  });

  it('looks again after requeueAfter', async () => {
    stub.put('apps/v1/deployments', { metadata: { name: 'web', namespace: 'ns' } });
    const at: number[] = [];
    const run = controller('deployment', factory.informerOf(Resources.Deployment)).run(async (): Promise<Action> => {
      at.push(Date.now());
      return at.length < 2 ? { requeueAfter: 50 } : 'done';
    }, { signal: ctl.signal, log: quiet });
    await until(() => at.length === 2, 'the second look');
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(45);
    ctl.abort();
    await run;
  });

  it('never runs two reconciles of one key at once, even with several workers and a burst of changes', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let calls = 0;
    const run = controller('deployment', factory.informerOf(Resources.Deployment)).run(async (key) => {
      if (key !== 'ns/web') return 'done';
      calls++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 20));
      inFlight--;
      return 'done';
    }, { signal: ctl.signal, workers: 4, log: quiet });
    await factory.waitForCacheSync();
    for (let i = 0; i < 10; i++) {
      stub.put('apps/v1/deployments', { metadata: { name: 'web', namespace: 'ns', labels: { i: String(i) } } });
      await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => calls >= 2 && inFlight === 0, 'reconciles to settle');
    await new Promise((r) => setTimeout(r, 50));
    expect(maxInFlight).toBe(1);
    // Changes that arrived while a reconcile ran were folded into one more reconcile, not ten.
    expect(calls).toBeLessThan(10);
    ctl.abort();
    await run;
  });

  it('returns from run once stopped, after the reconcile in progress finished', async () => {
    stub.put('apps/v1/deployments', { metadata: { name: 'web', namespace: 'ns' } });
    let finished = false;
    let started = false;
    const run = controller('deployment', factory.informerOf(Resources.Deployment)).run(async (_key, { signal }) => {
      started = true;
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      await new Promise((r) => setTimeout(r, 20));
      finished = true;
    }, { signal: ctl.signal, log: quiet });
    await until(() => started, 'the reconcile');
    ctl.abort();
    await run;
    expect(finished).toBe(true);
  });
});
