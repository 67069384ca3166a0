import { describe, expect, it } from 'vitest';
import { PodTopologySpreadFilter, PodTopologySpreadScore } from './topology-spread.ts';
import { cluster, makeNode, makePod, podInfo } from '../test-helpers.ts';
import type { Pod, TopologySpreadConstraint } from '../types.ts';

const labels = { app: 'web' };
const hard = (o: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels }, ...o });
const bound = (name: string, node: string, l = labels): Pod => makePod(name, { nodeName: node }, { labels: l });

function filterAll(pods: Pod[], pod: Pod, nodes = [makeNode('a1', { labels: { zone: 'a' } }), makeNode('a2', { labels: { zone: 'a' } }), makeNode('b1', { labels: { zone: 'b' } }), makeNode('x')]): Record<string, string> {
  const { infos, snapshot } = cluster(nodes, pods);
  const state = new Map<string, unknown>();
  const pi = podInfo(pod);
  expect(PodTopologySpreadFilter.preFilter!(state, pi, snapshot)).toBeUndefined();
  return Object.fromEntries(infos.map((n) => [n.name, PodTopologySpreadFilter.filter(state, pi, n)?.reasons[0] ?? 'fits']));
}

describe('PodTopologySpread filter', () => {
  it('lets the first pod go to any node with the topology label', () => {
    expect(filterAll([], makePod('p', { topologySpreadConstraints: [hard()] }, { labels }))).toEqual({
      a1: 'fits', a2: 'fits', b1: 'fits', x: "node(s) didn't match pod topology spread constraints (missing required label)",
    });
  });

  it('rejects the domain that would exceed maxSkew', () => {
    expect(filterAll([bound('e1', 'a1')], makePod('p', { topologySpreadConstraints: [hard()] }, { labels }))).toMatchObject({
      a1: "node(s) didn't match pod topology spread constraints", a2: "node(s) didn't match pod topology spread constraints", b1: 'fits',
    });
  });

  it('ignores pods that do not match the selector or live in another namespace', () => {
    const other = makePod('o', { nodeName: 'a1' }, { labels, namespace: 'other' });
    expect(filterAll([bound('e1', 'a1', { app: 'db' }), other], makePod('p', { topologySpreadConstraints: [hard()] }, { labels }))).toMatchObject({ a1: 'fits', b1: 'fits' });
  });

  it('counts a domain without matching pods as the minimum unless minDomains asks for more domains', () => {
    const pods = [bound('e1', 'a1'), bound('e2', 'b1')];
    expect(filterAll(pods, makePod('p', { topologySpreadConstraints: [hard()] }, { labels }))).toMatchObject({ a1: 'fits', b1: 'fits' });
    expect(filterAll(pods, makePod('p', { topologySpreadConstraints: [hard({ minDomains: 3 })] }, { labels }))).toMatchObject({
      a1: "node(s) didn't match pod topology spread constraints", b1: "node(s) didn't match pod topology spread constraints",
    });
  });

  it('spreads over hostnames', () => {
    const nodes = ['h1', 'h2', 'h3'].map((n) => makeNode(n));
    const c = hard({ topologyKey: 'kubernetes.io/hostname' });
    expect(filterAll([bound('e1', 'h1'), bound('e2', 'h2')], makePod('p', { topologySpreadConstraints: [c] }, { labels }), nodes)).toEqual({
      h1: "node(s) didn't match pod topology spread constraints", h2: "node(s) didn't match pod topology spread constraints", h3: 'fits',
    });
  });
});

describe('PodTopologySpread score', () => {
  it('prefers the node in the emptier domain for ScheduleAnyway constraints', () => {
    const nodes = [makeNode('a1', { labels: { zone: 'a' } }), makeNode('b1', { labels: { zone: 'b' } })];
    const { infos, snapshot } = cluster(nodes, [bound('e1', 'a1'), bound('e2', 'a1')]);
    const pod = podInfo(makePod('p', { topologySpreadConstraints: [hard({ whenUnsatisfiable: 'ScheduleAnyway' })] }, { labels }));
    const state = new Map<string, unknown>();
    expect(PodTopologySpreadScore.preScore!(state, pod, infos, snapshot)).toBe(true);
    const scores = infos.map((n) => PodTopologySpreadScore.score(state, pod, n, snapshot));
    PodTopologySpreadScore.normalize!(state, pod, scores, infos);
    expect(scores[1]).toBe(100);
    expect(scores[0]).toBeLessThan(scores[1]);
  });

  it('is skipped without soft constraints', () => {
    const { infos, snapshot } = cluster([makeNode('a')]);
    expect(PodTopologySpreadScore.preScore!(new Map(), podInfo(makePod('p', { topologySpreadConstraints: [hard()] })), infos, snapshot)).toBe(false);
  });
});
