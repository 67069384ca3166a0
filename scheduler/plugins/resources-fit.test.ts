import { describe, expect, it } from 'vitest';
import { BalancedAllocation, NodeResourcesFitFilter, NodeResourcesFitScore, balancedScore, leastRequestedScore } from './resources-fit.ts';
import { podRequests } from '../resources.ts';
import { cluster, makeNode, makePod, podInfo } from '../test-helpers.ts';
import type { Pod } from '../types.ts';

const state = new Map<string, unknown>();

describe('NodeResourcesFit filter', () => {
  const bound = makePod('bound', { nodeName: 'n' }, { cpu: '3', memory: '6Gi' });
  it.each<[string, Pod, string[]]>([
    ['a pod that fits', makePod('p', {}, { cpu: '1', memory: '1Gi' }), []],
    ['too much cpu', makePod('p', {}, { cpu: '1500m' }), ['Insufficient cpu']],
    ['too much cpu and memory', makePod('p', {}, { cpu: '2', memory: '4Gi' }), ['Insufficient cpu', 'Insufficient memory']],
    ['an extended resource the node lacks', makePod('p', { containers: [{ name: 'c', resources: { requests: { 'example.com/gpu': '1' } } }] }), ['Insufficient example.com/gpu']],
    ['a pod requesting nothing', makePod('p'), []],
  ])('reports %s', (_n, pod, reasons) => {
    const { infos } = cluster([makeNode('n', { cpu: '4', memory: '8Gi' })], [bound]);
    expect(NodeResourcesFitFilter.filter(state, podInfo(pod), infos[0])?.reasons ?? []).toEqual(reasons);
  });

  it('reports Too many pods when the pod count is reached, even for pods requesting nothing', () => {
    const { infos } = cluster([makeNode('n', { pods: '1' })], [makePod('a', { nodeName: 'n' })]);
    expect(NodeResourcesFitFilter.filter(state, podInfo(makePod('p')), infos[0])?.reasons).toEqual(['Too many pods']);
  });
});

describe('pod requests', () => {
  it('takes the larger of the app containers and each init container, plus sidecars and overhead', () => {
    const pod = makePod('p', {
      containers: [
        { name: 'a', resources: { requests: { cpu: '100m', memory: '100Mi' } } },
        { name: 'b', resources: { requests: { cpu: '200m' } } },
      ],
      initContainers: [
        { name: 'init', resources: { requests: { cpu: '1', memory: '50Mi' } } },
        { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
      ],
      overhead: { cpu: '10m' },
    });
    const r = podRequests(pod);
    expect(r.milliCPU).toBe(1000 + 10);
    expect(r.memory).toBe(100 * 1024 * 1024);
  });

  it('counts 100m cpu and 200Mi memory for containers without requests when scoring', () => {
    const r = podRequests(makePod('p', { containers: [{ name: 'a' }, { name: 'b', resources: { requests: { cpu: '1' } } }] }), true);
    expect(r.milliCPU).toBe(1100);
    expect(r.memory).toBe(400 * 1024 * 1024);
  });
});

describe('NodeResourcesFit score (LeastAllocated)', () => {
  it.each([
    [0, 4000, 100],
    [1000, 4000, 75],
    [3000, 4000, 25],
    [5000, 4000, 0],
    [1, 3, 66],
  ])('scores %d requested of %d as %d', (req, cap, score) => {
    expect(leastRequestedScore(req, cap)).toBe(score);
  });

  it('averages cpu and memory with the non-zero defaults', () => {
    const { infos, snapshot } = cluster([makeNode('n', { cpu: '1', memory: '1Gi' })]);
    // cpu: (1000-100)*100/1000 = 90; memory: (1024-200)*100/1024 = 80 → 85.
    expect(NodeResourcesFitScore.score(state, podInfo(makePod('p')), infos[0], snapshot)).toBe(85);
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  it.each([
    [[[500, 1000], [512, 1024]], 100],
    [[[1000, 1000], [0, 1024]], 50],
    [[[250, 1000], [768, 1024]], 75],
    [[[2000, 1000], [1024, 1024]], 100],
  ] as const)('scores fractions %j as %d', (pairs, score) => {
    expect(balancedScore(pairs)).toBe(score);
  });

  it('is skipped for pods that request neither cpu nor memory', () => {
    const { infos, snapshot } = cluster([makeNode('n')]);
    expect(BalancedAllocation.preScore!(state, podInfo(makePod('p')), infos, snapshot)).toBe(false);
    expect(BalancedAllocation.preScore!(state, podInfo(makePod('p', {}, { cpu: '1' })), infos, snapshot)).toBe(true);
  });
});
