// Node lifecycle rules: silent nodes' conditions, taints from conditions, toleration windows for eviction.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../runtime/index.ts';
import { desiredTaints, silentNodeConditions, tolerationWindowMs } from './logic.ts';

const NOW = Date.parse('2024-01-01T00:10:00Z');

describe('silent nodes', () => {
  it('turns posted conditions Unknown and adds never-posted ones', () => {
    const node: KubeObject = { metadata: { name: 'n', creationTimestamp: '2024-01-01T00:00:00Z' }, status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: '2024-01-01T00:01:00Z', reason: 'KubeletReady', message: 'kubelet is posting ready status' }] } };
    const conds = silentNodeConditions(node, NOW)!;
    expect(conds.find((c) => c.type === 'Ready')).toEqual({ type: 'Ready', status: 'Unknown', lastHeartbeatTime: '2024-01-01T00:01:00Z', lastTransitionTime: '2024-01-01T00:10:00Z', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
    expect(conds.find((c) => c.type === 'MemoryPressure')).toMatchObject({ status: 'Unknown', reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
    expect(silentNodeConditions({ ...node, status: { conditions: conds } }, NOW)).toBeUndefined();
  });
});

describe('taints', () => {
  it('taints an Unknown node unreachable (NoSchedule and NoExecute) and keeps foreign taints', () => {
    const node: KubeObject = { metadata: { name: 'n' }, spec: { taints: [{ key: 'mine', effect: 'NoSchedule' }] }, status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } };
    expect(desiredTaints(node, NOW)).toEqual([
      { key: 'mine', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: '2024-01-01T00:10:00Z' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-01-01T00:10:00Z' },
    ]);
  });

  it('uses not-ready for Ready=False and removes the taints once Ready', () => {
    const notReady: KubeObject = { metadata: { name: 'n' }, spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }, status: { conditions: [{ type: 'Ready', status: 'False' }] } };
    expect(desiredTaints(notReady, NOW).map((t) => `${t.key}:${t.effect}`)).toEqual(['node.kubernetes.io/not-ready:NoSchedule', 'node.kubernetes.io/not-ready:NoExecute']);
    const ready: KubeObject = { ...notReady, status: { conditions: [{ type: 'Ready', status: 'True' }] } };
    expect(desiredTaints(ready, NOW)).toEqual([]);
  });
});

describe('nodes without a Ready condition', () => {
  it('keep the NoExecute taints they were created with', () => {
    const node: KubeObject = { metadata: { name: 'n' }, spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }, status: {} };
    expect(desiredTaints(node, NOW)).toEqual([{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]);
  });
});

describe('toleration windows', () => {
  const taints = [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }];
  it.each([
    ['no toleration, default 300 s', [], 300, 300_000],
    ['no toleration, no default', [], undefined, 0],
    ['its own 30 s toleration', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }], 300, 30_000],
    ['a forever toleration', [{ operator: 'Exists' }], 300, Infinity],
  ])('%s', (_, tolerations, dflt, want) => {
    expect(tolerationWindowMs({ metadata: {}, spec: { tolerations } }, taints, dflt)).toBe(want);
  });

  it('evicts at once for an untolerated NoExecute taint', () => {
    expect(tolerationWindowMs({ metadata: {}, spec: {} }, [{ key: 'other', effect: 'NoExecute' }], 300)).toBe(0);
  });
});
