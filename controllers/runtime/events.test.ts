// Tests for event recording: upstream's correlation (dedup count, aggregation, spam filter) and the writes to a stub server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CorrelationDefaults, EventCorrelator, EventRecorder, rfc3339, type CoreEvent } from './events.ts';
import { StubApiServer } from './stub-apiserver.ts';
import type { KubeObject } from './types.ts';

const deployment: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { namespace: 'ns', name: 'web', uid: 'u1', resourceVersion: '7' } };

let seq = 0;
const draft = (message: string, now: number, reason = 'ScalingReplicaSet', obj = deployment): CoreEvent => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: `${obj.metadata.name}.${(seq++).toString(16)}`, namespace: 'ns' },
  involvedObject: { kind: obj.kind, namespace: 'ns', name: obj.metadata.name, uid: obj.metadata.uid, apiVersion: obj.apiVersion },
  reason,
  message,
  source: { component: 'deployment-controller' },
  firstTimestamp: rfc3339(now),
  lastTimestamp: rfc3339(now),
  count: 1,
  type: 'Normal',
  eventTime: null,
  reportingComponent: 'deployment-controller',
  reportingInstance: '',
});

describe('EventCorrelator', () => {
  it('turns a repeat of the same object, reason and message into a count increment of the first Event', () => {
    const c = new EventCorrelator();
    const t0 = Date.UTC(2024, 0, 1);
    const first = c.correlate(draft('Scaled up replica set web-1 to 3', t0), t0);
    expect(first.action).toBe('create');
    const again = c.correlate(draft('Scaled up replica set web-1 to 3', t0 + 60_000), t0 + 60_000);
    expect(again).toMatchObject({
      action: 'patch',
      event: { metadata: { name: first.action === 'create' ? first.event.metadata.name : '' }, count: 2, firstTimestamp: '2024-01-01T00:00:00Z' },
      patch: { count: 2, lastTimestamp: '2024-01-01T00:01:00Z', message: 'Scaled up replica set web-1 to 3' },
    });
  });

  it('creates a new Event when the repeat comes more than 10 minutes after the last one', () => {
    const c = new EventCorrelator();
    c.correlate(draft('m', 0), 0);
    expect(c.correlate(draft('m', 600_001), 600_001).action).toBe('create');
  });

  it('keeps different messages, reasons and objects apart', () => {
    const c = new EventCorrelator();
    const other: KubeObject = { ...deployment, metadata: { ...deployment.metadata, name: 'api', uid: 'u2' } };
    expect(c.correlate(draft('a', 0), 0).action).toBe('create');
    expect(c.correlate(draft('b', 0), 0).action).toBe('create');
    expect(c.correlate(draft('a', 0, 'OtherReason'), 0).action).toBe('create');
    expect(c.correlate(draft('a', 0, 'ScalingReplicaSet', other), 0).action).toBe('create');
  });

  it('combines the tenth distinct message of one reason within 10 minutes into one aggregate Event', () => {
    const c = new EventCorrelator();
    const results = Array.from({ length: 12 }, (_, i) => c.correlate(draft(`Created pod: web-${i}`, i), i));
    expect(results.slice(0, 9).every((r) => r.action === 'create')).toBe(true);
    expect(results[9]).toMatchObject({ action: 'create', event: { message: `${CorrelationDefaults.combinedPrefix}Created pod: web-9` } });
    expect(results[10]).toMatchObject({ action: 'patch', patch: { count: 2, message: `${CorrelationDefaults.combinedPrefix}Created pod: web-10` } });
    expect(results[11]).toMatchObject({ action: 'patch', patch: { count: 3 } });
  });

  it('drops events about one object beyond a burst of 25, then allows one per 5 minutes', () => {
    const c = new EventCorrelator();
    const actions = Array.from({ length: 26 }, () => c.correlate(draft('same', 0), 0).action);
    expect(actions.filter((a) => a !== 'drop')).toHaveLength(25);
    expect(actions[25]).toBe('drop');
    expect(c.correlate(draft('same', 300_000), 300_000).action).not.toBe('drop');
    expect(c.correlate(draft('same', 300_000), 300_000).action).toBe('drop');
  });
});

describe('EventRecorder', () => {
  let stub: StubApiServer;
  beforeAll(async () => {
    stub = await StubApiServer.start();
  });
  afterAll(async () => {
    await stub.close();
  });

  it('writes a core/v1 Event, then patches its count for a repeat, without blocking the caller', async () => {
    let now = Date.UTC(2024, 5, 1, 12, 0, 0);
    const rec = new EventRecorder(stub.client(), { component: 'deployment-controller', now: () => now });
    const ret = rec.event(deployment, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-abc to 3 from 0');
    expect(ret).toBeUndefined();
    now += 5000;
    rec.event(deployment, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-abc to 3 from 0');
    await rec.flush();
    const events = stub.list('v1/events');
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e.metadata.name).toMatch(/^web\.[0-9a-f]+$/);
    expect(BigInt('0x' + e.metadata.name!.split('.')[1]!) / 1_000_000n).toBe(BigInt(Date.UTC(2024, 5, 1, 12, 0, 0)));
    expect(e).toMatchObject({
      metadata: { namespace: 'ns' },
      involvedObject: { kind: 'Deployment', namespace: 'ns', name: 'web', uid: 'u1', apiVersion: 'apps/v1', resourceVersion: '7' },
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set web-abc to 3 from 0',
      source: { component: 'deployment-controller' },
      firstTimestamp: '2024-06-01T12:00:00Z',
      lastTimestamp: '2024-06-01T12:00:05Z',
      count: 2,
      type: 'Normal',
      reportingComponent: 'deployment-controller',
      reportingInstance: '',
    });
    const methods = stub.requests.filter((r) => r.path.endsWith('/events') || r.path.includes('/events/')).map((r) => r.method);
    expect(methods).toEqual(['POST', 'PATCH']);
  });

  it('records events about cluster-scoped objects in the default namespace', async () => {
    const rec = new EventRecorder(stub.client(), { component: 'node-controller', host: 'cm-1' });
    rec.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-a', uid: 'n' } }, 'Warning', 'NodeNotReady', 'Node node-a status is now: NodeNotReady');
    await rec.flush();
    const e = stub.list('v1/events').find((x) => x.metadata.name?.startsWith('node-a.'));
    expect(e).toMatchObject({ metadata: { namespace: 'default' }, involvedObject: { kind: 'Node', name: 'node-a' }, source: { component: 'node-controller', host: 'cm-1' }, reportingInstance: 'cm-1', type: 'Warning' });
    expect((e!['involvedObject'] as Record<string, unknown>)['namespace']).toBeUndefined();
  });

  it('puts an optional fieldPath into involvedObject and keeps events about two fields of one object apart', async () => {
    const rec = new EventRecorder(stub.client(), { component: 'kubelet', host: 'node-1' });
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'ns', name: 'fp-pod', uid: 'p1' } };
    rec.event(pod, 'Normal', 'Started', 'Started container', 'spec.containers{a}');
    rec.event(pod, 'Normal', 'Started', 'Started container', 'spec.initContainers{b}');
    rec.event(pod, 'Normal', 'Scheduled', 'no field');
    await rec.flush();
    const mine = stub.list('v1/events').filter((x) => x.metadata.name?.startsWith('fp-pod.'));
    const paths = mine.map((e) => (e['involvedObject'] as Record<string, unknown>)['fieldPath']);
    expect(paths).toEqual(['spec.containers{a}', 'spec.initContainers{b}', undefined]);
    expect(mine.every((e) => e['count'] === 1)).toBe(true);
  });

  it('re-creates an Event whose patch finds it gone, keeping the count reached', async () => {
    const rec = new EventRecorder(stub.client(), { component: 'rs-controller' });
    const obj: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { namespace: 'ns', name: 'rs-gone', uid: 'x' } };
    rec.event(obj, 'Normal', 'SuccessfulCreate', 'Created pod: p');
    await rec.flush();
    const name = stub.list('v1/events').find((x) => x.metadata.name?.startsWith('rs-gone.'))!.metadata.name!;
    stub.remove('v1/events', 'ns', name);
    rec.event(obj, 'Normal', 'SuccessfulCreate', 'Created pod: p');
    await rec.flush();
    expect(stub.get('v1/events', 'ns', name)).toMatchObject({ count: 2 });
  });

  it('logs and drops an event the server refuses, and keeps going', async () => {
    const lines: string[] = [];
    const { createLogger } = await import('../../server/log.ts');
    const rec = new EventRecorder(stub.client(), { component: 'x', retryDelayMs: 1, log: createLogger('test', (l) => lines.push(l)) });
    stub.hook = (r) => (r.method === 'POST' ? { kind: 'Status', code: 500, reason: 'InternalError', message: 'boom' } : undefined);
    rec.event({ ...deployment, metadata: { ...deployment.metadata, name: 'refused' } }, 'Normal', 'R', 'm');
    await rec.flush();
    stub.hook = undefined;
    rec.event({ ...deployment, metadata: { ...deployment.metadata, name: 'accepted' } }, 'Normal', 'R', 'm');
    await rec.flush();
    const names = stub.list('v1/events').map((e) => e.metadata.name!.split('.')[0]);
    expect(names).toContain('accepted');
    expect(names).not.toContain('refused');
    expect(lines.some((l) => l.includes('could not write event, dropping it') && l.includes('boom'))).toBe(true);
    expect(stub.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/events')).length).toBeGreaterThanOrEqual(5);
  });
});
