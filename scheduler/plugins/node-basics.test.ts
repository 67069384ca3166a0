import { describe, expect, it } from 'vitest';
import { ImageLocality, NodeAffinityFilter, NodeAffinityScore, NodeName, NodePorts, NodeUnschedulable, TaintTolerationFilter, TaintTolerationScore } from './node-basics.ts';
import { cluster, makeNode, makePod, podInfo } from '../test-helpers.ts';
import type { PodSpec, Taint } from '../types.ts';

const state = new Map<string, unknown>();

describe('NodeUnschedulable', () => {
  it.each([
    ['a schedulable node', false, undefined, undefined],
    ['a cordoned node', true, undefined, 'node(s) were unschedulable'],
    ['a cordoned node with a toleration for the unschedulable taint', true, [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }], undefined],
  ])('judges %s', (_name, unschedulable, tolerations, reason) => {
    const { infos } = cluster([makeNode('n', { unschedulable })]);
    const s = NodeUnschedulable.filter(state, podInfo(makePod('p', { tolerations })), infos[0]);
    expect(s?.reasons[0]).toBe(reason);
    if (s) expect(s.code).toBe('UnschedulableAndUnresolvable');
  });
});

describe('NodeName', () => {
  it.each([
    ['no nodeName', undefined, true],
    ['the same node', 'n', true],
    ['another node', 'm', false],
  ])('with %s the pod fits: %s', (_n, nodeName, fits) => {
    const { infos } = cluster([makeNode('n')]);
    expect(NodeName.filter(state, podInfo(makePod('p', { nodeName })), infos[0]) === undefined).toBe(fits);
  });
});

describe('TaintToleration', () => {
  const taint = (key: string, value: string, effect: string): Taint => ({ key, value, effect });
  it.each<[string, Taint[], PodSpec['tolerations'], string | undefined]>([
    ['no taints', [], undefined, undefined],
    ['an untolerated NoSchedule taint', [taint('k', 'v', 'NoSchedule')], undefined, 'node(s) had untolerated taint {k: v}'],
    ['an untolerated NoExecute taint', [taint('k', 'v', 'NoExecute')], undefined, 'node(s) had untolerated taint {k: v}'],
    ['a PreferNoSchedule taint only', [taint('k', 'v', 'PreferNoSchedule')], undefined, undefined],
    ['an Equal toleration', [taint('k', 'v', 'NoSchedule')], [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }], undefined],
    ['an Equal toleration with another value', [taint('k', 'v', 'NoSchedule')], [{ key: 'k', operator: 'Equal', value: 'w' }], 'node(s) had untolerated taint {k: v}'],
    ['an Exists toleration without key', [taint('k', 'v', 'NoSchedule')], [{ operator: 'Exists' }], undefined],
    ['a toleration for another effect', [taint('k', 'v', 'NoSchedule')], [{ key: 'k', operator: 'Exists', effect: 'NoExecute' }], 'node(s) had untolerated taint {k: v}'],
    ['a taint with an empty value', [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }], undefined, 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'],
  ])('filters a node with %s', (_n, taints, tolerations, reason) => {
    const { infos } = cluster([makeNode('n', { taints })]);
    expect(TaintTolerationFilter.filter(state, podInfo(makePod('p', { tolerations })), infos[0])?.reasons[0]).toBe(reason);
  });

  it('scores nodes with fewer untolerated PreferNoSchedule taints higher (reverse-normalized, weight 3)', () => {
    const { infos } = cluster([
      makeNode('a'),
      makeNode('b', { taints: [taint('x', '1', 'PreferNoSchedule')] }),
      makeNode('c', { taints: [taint('x', '1', 'PreferNoSchedule'), taint('y', '1', 'PreferNoSchedule')] }),
    ]);
    const pod = podInfo(makePod('p'));
    const scores = infos.map((n) => TaintTolerationScore.score(state, pod, n, cluster([]).snapshot));
    TaintTolerationScore.normalize!(state, pod, scores, infos);
    expect(scores).toEqual([100, 50, 0]);
    expect(TaintTolerationScore.weight).toBe(3);
  });
});

describe('NodeAffinity', () => {
  const node = makeNode('n', { labels: { zone: 'a', size: '10' } });
  it.each<[string, PodSpec, boolean]>([
    ['no constraints', {}, true],
    ['a matching nodeSelector', { nodeSelector: { zone: 'a' } }, true],
    ['a mismatching nodeSelector', { nodeSelector: { zone: 'b' } }, false],
    ['In', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } } } }, true],
    ['NotIn', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] }] } } } }, false],
    ['Gt', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'size', operator: 'Gt', values: ['5'] }] }] } } } }, true],
    ['DoesNotExist', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }] } } } }, true],
    ['matchFields on the name', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n'] }] }] } } } }, true],
    ['terms ORed', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] }, { matchExpressions: [{ key: 'zone', operator: 'Exists' }] }] } } } }, true],
    ['an empty term', { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } }, false],
  ])('filters with %s', (_n, spec, fits) => {
    const { infos } = cluster([node]);
    const s = NodeAffinityFilter.filter(state, podInfo(makePod('p', spec)), infos[0]);
    expect(s === undefined).toBe(fits);
    if (s) expect(s.reasons).toEqual(["node(s) didn't match Pod's node affinity/selector"]);
  });

  it('scores preferred terms by weight, normalized to the best node', () => {
    const { infos, snapshot } = cluster([makeNode('a', { labels: { zone: 'a' } }), makeNode('b', { labels: { zone: 'b' } }), makeNode('c')]);
    const pod = podInfo(makePod('p', { affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
      { weight: 80, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
      { weight: 20, preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] } },
    ] } } }));
    expect(NodeAffinityScore.preScore!(state, pod, infos, snapshot)).toBe(true);
    const scores = infos.map((n) => NodeAffinityScore.score(state, pod, n, snapshot));
    expect(scores).toEqual([100, 20, 0]);
    NodeAffinityScore.normalize!(state, pod, scores, infos);
    expect(scores).toEqual([100, 20, 0]);
  });
});

describe('NodePorts', () => {
  const withPort = (name: string, hostPort: number, hostIP?: string, protocol?: string, nodeName?: string) =>
    makePod(name, { nodeName, containers: [{ name: 'c', ports: [{ containerPort: 80, hostPort, hostIP, protocol }] }] });
  it.each([
    ['a free port', withPort('p', 8081), true],
    ['the same port', withPort('p', 8080), false],
    ['the same port over UDP', withPort('p', 8080, undefined, 'UDP'), true],
    ['the same port on a specific IP (the used one is a wildcard)', withPort('p', 8080, '10.0.0.1'), false],
  ])('admits %s: %s', (_n, pod, fits) => {
    const { infos } = cluster([makeNode('n')], [withPort('used', 8080, undefined, undefined, 'n')]);
    const s = NodePorts.filter(state, podInfo(pod), infos[0]);
    expect(s === undefined).toBe(fits);
    if (s) expect(s.reasons).toEqual(["node(s) didn't have free ports for the requested pod ports"]);
  });
});

describe('ImageLocality', () => {
  it('scores a node holding a large image above one without it', () => {
    const big = { names: ['docker.io/library/app:latest', 'app'], sizeBytes: 500 * 1024 * 1024 };
    const { infos, snapshot } = cluster([makeNode('a', { images: [big] }), makeNode('b')]);
    const pod = podInfo(makePod('p', { containers: [{ name: 'c', image: 'app' }] }));
    const [a, b] = infos.map((n) => ImageLocality.score(state, pod, n, snapshot));
    expect(a).toBeGreaterThan(0);
    expect(b).toBe(0);
  });
});
