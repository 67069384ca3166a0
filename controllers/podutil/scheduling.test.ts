// Node matching rules shared by the scheduler and the DaemonSet controller.
import { describe, expect, it } from 'vitest';
import { findUntoleratedTaint, nodeSelectorTermMatches, podFitsNodeAffinity, toleratesTaint } from './scheduling.ts';
import type { KubeObject } from '../runtime/index.ts';

const node = (labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels } });

describe('nodeSelectorTermMatches', () => {
  it.each([
    ['Gt on an integer label', { key: 'size', operator: 'Gt', values: ['5'] }, { size: '7' }, true],
    ['Gt on a label that is not an integer (strconv.ParseInt fails)', { key: 'size', operator: 'Gt', values: ['5'] }, { size: '7abc' }, false],
    ['Lt with a value that is not an integer', { key: 'size', operator: 'Lt', values: ['9x'] }, { size: '7' }, false],
    ['Exists on an inherited property name', { key: 'constructor', operator: 'Exists' }, {}, false],
    ['DoesNotExist on an absent label', { key: 'gpu', operator: 'DoesNotExist' }, {}, true],
  ])('%s', (_name, req, labels, want) => {
    expect(nodeSelectorTermMatches({ matchExpressions: [req] }, node(labels))).toBe(want);
  });

  it('matches nothing with an empty term and only metadata.name as a field', () => {
    expect(nodeSelectorTermMatches({}, node({}))).toBe(false);
    expect(nodeSelectorTermMatches({ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }, node({}))).toBe(true);
    expect(nodeSelectorTermMatches({ matchFields: [{ key: 'spec.x', operator: 'Exists' }] }, node({}))).toBe(false);
  });
});

describe('podFitsNodeAffinity', () => {
  it('requires every nodeSelector pair and any required term', () => {
    const spec = {
      nodeSelector: { zone: 'a' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } },
    };
    expect(podFitsNodeAffinity(spec, node({ zone: 'a', disk: 'ssd' }))).toBe(true);
    expect(podFitsNodeAffinity(spec, node({ zone: 'b', disk: 'ssd' }))).toBe(false);
    expect(podFitsNodeAffinity(spec, node({ zone: 'a' }))).toBe(false);
    expect(podFitsNodeAffinity(undefined, node({}))).toBe(true);
  });
});

describe('taints', () => {
  it('tolerates by key, value and effect as v1.Toleration.ToleratesTaint', () => {
    const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };
    expect(toleratesTaint({ operator: 'Exists' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'k', value: 'v' }, taint)).toBe(true);
    expect(toleratesTaint({ key: 'k', value: 'w' }, taint)).toBe(false);
    expect(toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint)).toBe(false);
    expect(findUntoleratedTaint([taint], [], (t) => t.effect === 'NoSchedule')).toBe(taint);
    expect(findUntoleratedTaint([taint], [], (t) => t.effect === 'NoExecute')).toBeUndefined();
  });
});
