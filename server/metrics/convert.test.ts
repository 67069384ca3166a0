// Unit tests of Summary → NodeMetrics/PodMetrics: quantity and duration texts as upstream prints them, and what is skipped.
import { describe, expect, it } from 'vitest';
import { formatBytesQuantity, formatNanoQuantity, goDuration, nodeMetricsOf, podMetricsOf, type KubeletSummary } from './convert.ts';
import type { KubeObject } from '../registry/types.ts';

describe('formatNanoQuantity', () => {
  it.each([
    [0, '0'],
    [123456, '123456n'],
    [250_000_000, '250m'],
    [1_000_000_000, '1'],
    [2_500_000_000, '2500m'],
    [1_000, '1u'],
    [123_456_789, '123456789n'],
  ])('prints %s nanocores as %s', (n, want) => {
    expect(formatNanoQuantity(n)).toBe(want);
  });
});

describe('formatBytesQuantity', () => {
  it.each([
    [0, '0'],
    [1024, '1Ki'],
    [1_263_616, '1234Ki'],
    [1_048_576, '1Mi'],
    [1_234_567, '1234567'],
    [1000, '1k'],
    [512, '512'],
  ])('prints %s bytes as %s', (n, want) => {
    expect(formatBytesQuantity(n)).toBe(want);
  });
});

describe('goDuration', () => {
  it.each([
    [10_000, '10s'],
    [20_043, '20.043s'],
    [60_500, '1m0.5s'],
    [3_600_000, '1h0m0s'],
    [500, '500ms'],
    [0, '0s'],
  ])('prints %s ms as Go does: %s', (ms, want) => {
    expect(goDuration(ms)).toBe(want);
  });
});

const now = new Date('2024-05-01T10:00:00.123Z');
const node: KubeObject = { metadata: { name: 'n1', labels: { 'kubernetes.io/hostname': 'n1' }, uid: 'nu' } };
const pod: KubeObject = { metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'x' } }, spec: { nodeName: 'n1' } };
const summary: KubeletSummary = {
  node: { nodeName: 'n1', cpu: { time: '2024-05-01T09:59:58Z', usageNanoCores: 123456 }, memory: { time: '2024-05-01T09:59:58Z', workingSetBytes: 1_263_616 } },
  pods: [
    { podRef: { name: 'other', namespace: 'ns', uid: 'u2' }, containers: [{ name: 'c', cpu: { usageNanoCores: 1 }, memory: { workingSetBytes: 1 } }] },
    {
      podRef: { name: 'p', namespace: 'ns', uid: 'u1' },
      containers: [
        { name: 'web', cpu: { time: '2024-05-01T09:59:57Z', usageNanoCores: 500_000_000 }, memory: { workingSetBytes: 2_097_152 } },
        { name: 'new', cpu: { time: '2024-05-01T09:59:57Z' }, memory: { workingSetBytes: 1024 } },
        { name: 'burn', cpu: { time: '2024-05-01T09:59:59Z', usageNanoCores: 987_654_321 }, memory: { workingSetBytes: 4096 } },
      ],
    },
  ],
};

describe('nodeMetricsOf', () => {
  it('builds NodeMetrics as metrics-server serves it', () => {
    expect(nodeMetricsOf(node, summary, 10_000, now)).toEqual({
      kind: 'NodeMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'n1', creationTimestamp: '2024-05-01T10:00:00Z', labels: { 'kubernetes.io/hostname': 'n1' } },
      timestamp: '2024-05-01T09:59:58Z',
      window: '10s',
      usage: { cpu: '123456n', memory: '1234Ki' },
    });
  });

  it.each([
    ['no CPU rate yet', { node: { cpu: { time: 'x' }, memory: { workingSetBytes: 1 } } }],
    ['no working set', { node: { cpu: { usageNanoCores: 1 } } }],
    ['an empty summary', {}],
  ])('skips a node whose summary has %s', (_name, s) => {
    expect(nodeMetricsOf(node, s as KubeletSummary, 10_000, now)).toBeUndefined();
  });
});

describe('podMetricsOf', () => {
  it('builds PodMetrics from the pod with the same uid, containers with a rate only, sorted by name', () => {
    expect(podMetricsOf(pod, summary, 10_000, now)).toEqual({
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'p', namespace: 'ns', creationTimestamp: '2024-05-01T10:00:00Z', labels: { app: 'x' } },
      timestamp: '2024-05-01T09:59:59Z',
      window: '10s',
      containers: [
        { name: 'burn', usage: { cpu: '987654321n', memory: '4Ki' } },
        { name: 'web', usage: { cpu: '500m', memory: '2Mi' } },
      ],
    });
  });

  it('skips a pod of another uid (a recreated pod of the same name) and a pod without measured containers', () => {
    expect(podMetricsOf({ ...pod, metadata: { ...pod.metadata, uid: 'u9' } }, summary, 10_000, now)).toBeUndefined();
    const fresh: KubeletSummary = { pods: [{ podRef: { name: 'p', namespace: 'ns', uid: 'u1' }, containers: [{ name: 'c', cpu: {}, memory: { workingSetBytes: 1 } }] }] };
    expect(podMetricsOf(pod, fresh, 10_000, now)).toBeUndefined();
  });
});
