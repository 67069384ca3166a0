// DaemonSet node eligibility, pod pinning and rolling-update choices.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../runtime/index.ts';
import { nodeShouldRunDaemonPod, pinToNode, rollingUpdatePlan, targetNodeName } from './logic.ts';

const node = (name: string, labels: Record<string, string> = {}, taints: unknown[] = []): KubeObject => ({ metadata: { name, labels }, spec: { taints } });
const ds = (podSpec: Record<string, unknown> = {}, strategy: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'ds', namespace: 'ns', generation: 2 },
  spec: { template: { metadata: { labels: { app: 'd' } }, spec: { containers: [], ...podSpec } }, updateStrategy: { type: 'RollingUpdate', rollingUpdate: strategy } },
});

describe('nodeShouldRunDaemonPod', () => {
  it.each([
    ['a plain node', node('n'), {}, true, true],
    ['a node failing nodeSelector', node('n', { disk: 'hdd' }), { nodeSelector: { disk: 'ssd' } }, false, false],
    ['a node matching nodeSelector', node('n', { disk: 'ssd' }), { nodeSelector: { disk: 'ssd' } }, true, true],
    ['a NoSchedule taint', node('n', {}, [{ key: 'k', effect: 'NoSchedule' }]), {}, false, true],
    ['a NoExecute taint', node('n', {}, [{ key: 'k', effect: 'NoExecute' }]), {}, false, false],
    ['a tolerated taint', node('n', {}, [{ key: 'k', value: 'v', effect: 'NoSchedule' }]), { tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule' }] }, true, true],
    ['the unreachable taint (auto-tolerated)', node('n', {}, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }]), {}, true, true],
    ['the unschedulable taint (auto-tolerated)', node('n', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]), {}, true, true],
    ['network-unavailable without hostNetwork', node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), {}, false, true],
    ['network-unavailable with hostNetwork', node('n', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]), { hostNetwork: true }, true, true],
    ['required node affinity not met', node('n', { zone: 'b' }), { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } }, false, false],
  ])('%s', (_, n, podSpec, shouldRun, shouldContinueRunning) => {
    expect(nodeShouldRunDaemonPod(n, ds(podSpec))).toEqual({ shouldRun, shouldContinueRunning });
  });
});

describe('daemon pod placement', () => {
  it('pins the pod with a matchFields term that replaces the required terms', () => {
    const spec: Record<string, unknown> = { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }] } } } };
    pinToNode(spec, 'node-1');
    expect(spec.affinity).toEqual({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] }] } } });
    expect(targetNodeName({ metadata: {}, spec })).toBe('node-1');
  });
});

describe('rolling update', () => {
  const p = (name: string, hash: string, ready = true): KubeObject => ({
    metadata: { name, labels: { 'controller-revision-hash': hash } },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: '2020-01-01T00:00:00Z' }] },
  });
  it('replaces at most maxUnavailable available old pods at a time, and unavailable old pods at once', () => {
    const nodes = [
      { node: 'a', pods: [p('a', 'old')], shouldRun: true },
      { node: 'b', pods: [p('b', 'old')], shouldRun: true },
      { node: 'c', pods: [p('c', 'old', false)], shouldRun: true },
    ];
    const plan = rollingUpdatePlan(ds(), nodes, 'new', 3, Date.now());
    expect(plan.deletePods.map((x) => x.metadata.name)).toEqual(['c', 'a']);
    expect(plan.createOn).toEqual([]);
  });

  it('waits while an updated pod is not yet available', () => {
    const nodes = [
      { node: 'a', pods: [p('a', 'new', false)], shouldRun: true },
      { node: 'b', pods: [p('b', 'old')], shouldRun: true },
    ];
    expect(rollingUpdatePlan(ds(), nodes, 'new', 2, Date.now()).deletePods).toEqual([]);
  });

  it('surges new pods next to old ones and deletes an old pod once its replacement is available', () => {
    const nodes = [
      { node: 'a', pods: [p('a-old', 'old'), p('a-new', 'new')], shouldRun: true },
      { node: 'b', pods: [p('b', 'old')], shouldRun: true },
    ];
    const plan = rollingUpdatePlan(ds({}, { maxSurge: 1, maxUnavailable: 0 }), nodes, 'new', 2, Date.now());
    expect(plan.deletePods.map((x) => x.metadata.name)).toEqual(['a-old']);
    expect(plan.createOn).toEqual(['b']);
  });
});
