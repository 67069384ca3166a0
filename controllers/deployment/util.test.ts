// Deployment arithmetic and bookkeeping as upstream's deploymentutil defines it.
import { describe, expect, it } from 'vitest';
import {
  computeHash, equalIgnoreHash, resolveFenceposts, safeEncodeString, scaledValue, setCondition, setNewReplicaSetAnnotations,
  newCondition, type Deployment, type RS,
} from './util.ts';

const deployment = (replicas: number, maxSurge?: number | string, maxUnavailable?: number | string): Deployment => ({
  metadata: { name: 'd', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}', team: 'a' } },
  spec: { replicas, template: {}, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } },
});

describe('the pod-template hash', () => {
  it('encodes with the vowel-free alphabet of rand.SafeEncodeString', () => {
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
  });

  it('does not depend on key order, changes with the template and with collisionCount', () => {
    const a = computeHash({ metadata: { labels: { app: 'x', tier: 'y' } }, spec: { containers: [{ name: 'c', image: 'i' }] } });
    const b = computeHash({ spec: { containers: [{ image: 'i', name: 'c' }] }, metadata: { labels: { tier: 'y', app: 'x' } } });
    expect(a).toBe(b);
    expect(a).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(computeHash({ spec: { containers: [{ name: 'c', image: 'j' }] } })).not.toBe(computeHash({ spec: { containers: [{ name: 'c', image: 'i' }] } }));
    expect(computeHash({}, 1)).not.toBe(computeHash({}, 0));
    expect(computeHash({}, 0)).not.toBe(computeHash({}));
  });

  it('compares templates ignoring the pod-template-hash label', () => {
    expect(equalIgnoreHash({ metadata: { labels: { app: 'x', 'pod-template-hash': 'abc' } } }, { metadata: { labels: { app: 'x' } } })).toBe(true);
    expect(equalIgnoreHash({ metadata: { labels: { app: 'x' } } }, { metadata: { labels: { app: 'y' } } })).toBe(false);
  });
});

describe('maxSurge and maxUnavailable', () => {
  it.each([
    [4, undefined, undefined, 1, 1],
    [10, '25%', '25%', 3, 2],
    [3, 0, 0, 0, 1],
    [5, '10%', '10%', 1, 0],
    [4, 2, '50%', 2, 2],
  ])('replicas %i with surge %s and unavailable %s resolve to %i and %i', (replicas, surge, unavailable, wantSurge, wantUnavailable) => {
    expect(resolveFenceposts(deployment(replicas, surge, unavailable))).toEqual({ surge: wantSurge, unavailable: wantUnavailable });
  });

  it('rejects a string that is not a percentage', () => {
    expect(() => scaledValue('abc', 10, true)).toThrow('invalid value for IntOrString');
  });
});

describe('replica set annotations', () => {
  it('a new RS gets the revision, the replica annotations and the deployment annotations except kubectl’s', () => {
    const rs: RS = { metadata: { name: 'rs' } };
    expect(setNewReplicaSetAnnotations(deployment(4, 1, 1), rs, 1, false)).toBe(true);
    expect(rs.metadata.annotations).toEqual({
      team: 'a',
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '4',
      'deployment.kubernetes.io/max-replicas': '5',
    });
  });

  it('a rolled-back RS keeps its former revisions in revision-history', () => {
    const rs: RS = { metadata: { name: 'rs', annotations: { 'deployment.kubernetes.io/revision': '1' } } };
    setNewReplicaSetAnnotations(deployment(1), rs, 3, true);
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    setNewReplicaSetAnnotations(deployment(1), rs, 5, true);
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('5');
    expect(rs.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1,3');
  });
});

describe('conditions', () => {
  it('keeps a condition with the same status and reason untouched, and the transition time when only the reason moves', () => {
    const status = { conditions: [{ ...newCondition('Progressing', 'True', 'NewReplicaSetCreated', 'x'), lastTransitionTime: '2020-01-01T00:00:00Z' }] };
    setCondition(status, newCondition('Progressing', 'True', 'NewReplicaSetCreated', 'y'));
    expect(status.conditions[0]!.message).toBe('x');
    setCondition(status, newCondition('Progressing', 'True', 'ReplicaSetUpdated', 'z'));
    expect(status.conditions[0]).toMatchObject({ reason: 'ReplicaSetUpdated', lastTransitionTime: '2020-01-01T00:00:00Z' });
  });
});
