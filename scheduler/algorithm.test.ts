import { describe, expect, it } from 'vitest';
import { numFeasibleNodesToFind, schedulePod, selectHost } from './algorithm.ts';
import { Nominator } from './cache.ts';
import { fitErrorMessage } from './framework.ts';
import { defaultProfile } from './plugins/index.ts';
import { preempt, splitByPDBViolation } from './preemption.ts';
import { cluster, makeNode, makePod, podInfo } from './test-helpers.ts';
import { unresolvable, unschedulable } from './types.ts';

describe('fitErrorMessage', () => {
  it('counts reasons, sorted as strings, in upstream words', () => {
    const nodeStatuses = new Map([
      ['a', unresolvable('TaintToleration', 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }')],
      ['b', unschedulable('NodeResourcesFit', 'Insufficient cpu')],
      ['c', unschedulable('NodeResourcesFit', 'Insufficient cpu')],
    ]);
    expect(fitErrorMessage({ numAllNodes: 3, nodeStatuses, postFilterMsg: 'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.' })).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.',
    );
  });
});

describe('numFeasibleNodesToFind', () => {
  it.each([
    [50, 50],
    [100, 100],
    [1000, 420],
    [5000, 500],
    [10_000, 500],
  ])('looks for %d nodes → %d feasible', (n, want) => {
    expect(numFeasibleNodesToFind(n)).toBe(want);
  });
});

describe('schedulePod', () => {
  it('picks the least allocated node', () => {
    const { snapshot } = cluster([makeNode('busy'), makeNode('idle')], [makePod('x', { nodeName: 'busy' }, { cpu: '3', memory: '6Gi' })]);
    const d = schedulePod({ profile: defaultProfile(), snapshot, nominator: new Nominator(), nextStartNodeIndex: 0 }, podInfo(makePod('p', {}, { cpu: '100m' })));
    expect(d).toMatchObject({ ok: true, node: 'idle' });
  });

  it('explains a pod that fits nowhere', () => {
    const { snapshot } = cluster([makeNode('a', { cpu: '1' }), makeNode('b', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] })]);
    const d = schedulePod({ profile: defaultProfile(), snapshot, nominator: new Nominator(), nextStartNodeIndex: 0 }, podInfo(makePod('p', {}, { cpu: '2' })));
    expect(d.ok).toBe(false);
    if (!d.ok) expect(fitErrorMessage(d.diagnosis)).toBe('0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}.');
  });

  it('leaves room for a higher-priority pod nominated to a node', () => {
    const { snapshot } = cluster([makeNode('a', { cpu: '1' }), makeNode('b', { cpu: '1' })]);
    const nominator = new Nominator();
    nominator.set(podInfo(makePod('vip', {}, { cpu: '800m', priority: 100 })), 'a');
    const d = schedulePod({ profile: defaultProfile(), snapshot, nominator, nextStartNodeIndex: 0 }, podInfo(makePod('p', {}, { cpu: '500m' })));
    expect(d).toMatchObject({ ok: true, node: 'b' });
  });
});

describe('selectHost', () => {
  it('picks the highest score and breaks ties among equals', () => {
    const { infos } = cluster([makeNode('a'), makeNode('b'), makeNode('c')]);
    expect(selectHost(infos, [1, 5, 3], () => 0.9)).toBe('b');
    const picks = new Set([0, 0.4, 0.6, 0.99].map((r) => selectHost(infos, [5, 5, 1], () => r)));
    expect([...picks].sort()).toEqual(['a', 'b']);
  });
});

describe('preemption', () => {
  const profile = defaultProfile();

  it('evicts the lowest-priority pods needed and nominates their node', () => {
    const { snapshot } = cluster([makeNode('n', { cpu: '2' })], [
      makePod('low', { nodeName: 'n' }, { cpu: '1', priority: 1 }),
      makePod('mid', { nodeName: 'n' }, { cpu: '1', priority: 5 }),
    ]);
    const pod = podInfo(makePod('high', {}, { cpu: '1', priority: 10 }));
    const d = schedulePod({ profile, snapshot, nominator: new Nominator(), nextStartNodeIndex: 0 }, pod);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    const out = preempt({ profile, snapshot, nominator: new Nominator(), pdbs: [] }, pod, d.diagnosis);
    expect(out.kind).toBe('nominate');
    if (out.kind === 'nominate') expect(out.candidate.victims.map((v) => v.pod.metadata.name)).toEqual(['low']);
  });

  it('explains why preemption cannot help', () => {
    const { snapshot } = cluster([makeNode('a', { cpu: '1' }), makeNode('b', { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] })], [makePod('same', { nodeName: 'a' }, { cpu: '1' })]);
    const pod = podInfo(makePod('p', {}, { cpu: '1' }));
    const d = schedulePod({ profile, snapshot, nominator: new Nominator(), nextStartNodeIndex: 0 }, pod);
    if (d.ok) throw new Error('expected a failure');
    const out = preempt({ profile, snapshot, nominator: new Nominator(), pdbs: [] }, pod, d.diagnosis);
    expect(out).toEqual({ kind: 'fail', message: 'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.' });
  });

  it('refuses for preemptionPolicy Never', () => {
    const { snapshot } = cluster([makeNode('a', { cpu: '1' })], [makePod('low', { nodeName: 'a' }, { cpu: '1' })]);
    const pod = podInfo(makePod('p', { preemptionPolicy: 'Never' }, { cpu: '1', priority: 10 }));
    const d = schedulePod({ profile, snapshot, nominator: new Nominator(), nextStartNodeIndex: 0 }, pod);
    if (d.ok) throw new Error('expected a failure');
    expect(preempt({ profile, snapshot, nominator: new Nominator(), pdbs: [] }, pod, d.diagnosis)).toEqual({ kind: 'fail', message: 'preemption: not eligible due to preemptionPolicy=Never.' });
  });

  it('prefers victims not protected by a PodDisruptionBudget', () => {
    const a = podInfo(makePod('a', {}, { labels: { app: 'guarded' } }));
    const b = podInfo(makePod('b', {}, { labels: { app: 'free' } }));
    const pdb = { metadata: { name: 'pdb', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'guarded' } } }, status: { disruptionsAllowed: 0 } };
    const { violating, nonViolating } = splitByPDBViolation([a, b], [pdb]);
    expect(violating.map((p) => p.key)).toEqual(['default/a']);
    expect(nonViolating.map((p) => p.key)).toEqual(['default/b']);
  });
});
