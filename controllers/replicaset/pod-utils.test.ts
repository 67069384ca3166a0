// Label selectors, slow start and upstream's ranking of pods to delete first.
import { describe, expect, it } from 'vitest';
import { rankPodsForDeletion, selectorMatches, type Pod } from './pod-utils.ts';
import { calculateStatus, slowStartBatch } from './controller.ts';

describe('label selectors', () => {
  it.each([
    [{ matchLabels: { a: '1' } }, { a: '1', b: '2' }, true],
    [{ matchLabels: { a: '1' } }, { a: '2' }, false],
    [{ matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '2'] }] }, { a: '2' }, true],
    [{ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, {}, false],
    [{ matchExpressions: [{ key: 'a', operator: 'DoesNotExist' }] }, { b: 'x' }, true],
    [{}, { any: 'thing' }, true],
    [undefined, { any: 'thing' }, false],
  ])('%j matches %j: %s', (selector, labels, want) => {
    expect(selectorMatches(selector, labels)).toBe(want);
  });
});

const pod = (name: string, o: { node?: string; phase?: string; ready?: boolean; cost?: number; created?: string } = {}): Pod => ({
  metadata: {
    name, uid: name, creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
    ...(o.cost === undefined ? {} : { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } }),
  },
  spec: { nodeName: o.node },
  status: { phase: o.phase ?? 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }] },
});

describe('the order in which pods are deleted', () => {
  const now = Date.parse('2024-06-01T00:00:00Z');
  it('prefers unassigned, then pending, then not ready, then cheaper pods', () => {
    const pods = [pod('ready', { node: 'n' }), pod('cheap', { node: 'n', cost: -5 }), pod('notready', { node: 'n', ready: false }), pod('pending', { node: 'n', phase: 'Pending' }), pod('unassigned')];
    expect(rankPodsForDeletion(pods, () => 0, now).map((p) => p.metadata.name)).toEqual(['unassigned', 'pending', 'notready', 'cheap', 'ready']);
  });

  it('prefers doubled-up pods, then newer pods on a logarithmic scale', () => {
    const pods = [pod('old', { node: 'a', created: '2024-01-01T00:00:00Z' }), pod('new', { node: 'a', created: '2024-05-31T23:00:00Z' }), pod('crowded', { node: 'b' })];
    expect(rankPodsForDeletion(pods, (p) => (p.spec?.nodeName === 'b' ? 3 : 1), now).map((p) => p.metadata.name)).toEqual(['crowded', 'new', 'old']);
  });
});

describe('slow start', () => {
  it('runs batches of 1, 2, 4, … and stops after the first batch with a failure', async () => {
    let calls = 0;
    const ok = await slowStartBatch(10, 1, async () => {
      calls++;
    });
    expect(ok).toEqual({ successes: 10 });
    calls = 0;
    const failing = await slowStartBatch(10, 1, async () => {
      calls++;
      if (calls === 3) throw new Error('quota');
    });
    expect(calls).toBe(3);
    expect(failing.successes).toBe(2);
  });
});

describe('replica set status', () => {
  it('counts labelled, ready and available pods and raises ReplicaFailure on a failed create', () => {
    const rs = { metadata: { name: 'rs', generation: 3 }, spec: { replicas: 3, template: { metadata: { labels: { app: 'x' } } } } };
    const pods = [pod('a'), { ...pod('b', { ready: false }), metadata: { name: 'b', labels: { app: 'x' } } }];
    const s = calculateStatus(rs, pods, new Error('pods "x" is forbidden: exceeded quota'));
    expect(s).toMatchObject({ replicas: 2, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 3 });
    expect(s.conditions).toEqual([expect.objectContaining({ type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "x" is forbidden: exceeded quota' })]);
  });
});
