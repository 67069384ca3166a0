import { describe, expect, it } from 'vitest';
import { InterPodAffinityFilter, InterPodAffinityScore } from './inter-pod-affinity.ts';
import { cluster, makeNode, makePod, podInfo } from '../test-helpers.ts';
import type { Affinity, Pod } from '../types.ts';

const nodes = [makeNode('a1', { labels: { zone: 'a' } }), makeNode('a2', { labels: { zone: 'a' } }), makeNode('b1', { labels: { zone: 'b' } })];
const term = (app: string, topologyKey = 'zone') => ({ labelSelector: { matchLabels: { app } }, topologyKey });

function filterAll(existing: Pod[], pod: Pod): Record<string, string> {
  const { infos, snapshot } = cluster(nodes, existing);
  const state = new Map<string, unknown>();
  const pi = podInfo(pod);
  InterPodAffinityFilter.preFilter!(state, pi, snapshot);
  return Object.fromEntries(infos.map((n) => [n.name, InterPodAffinityFilter.filter(state, pi, n)?.reasons[0] ?? 'fits']));
}

describe('InterPodAffinity filter', () => {
  const db = makePod('db', { nodeName: 'a1' }, { labels: { app: 'db' } });

  it.each<[string, Pod[], Affinity, Record<string, string>]>([
    ['required affinity to a pod in zone a', [db], { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } },
      { a1: 'fits', a2: 'fits', b1: "node(s) didn't match pod affinity rules" }],
    ['required anti-affinity to a pod in zone a', [db], { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } },
      { a1: "node(s) didn't match pod anti-affinity rules", a2: "node(s) didn't match pod anti-affinity rules", b1: 'fits' }],
    ['required affinity to a pod that does not exist', [], { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } },
      { a1: "node(s) didn't match pod affinity rules", a2: "node(s) didn't match pod affinity rules", b1: "node(s) didn't match pod affinity rules" }],
    ['required affinity to its own group while none exist yet', [], { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] } },
      { a1: 'fits', a2: 'fits', b1: 'fits' }],
  ])('judges %s', (_n, existing, affinity, want) => {
    expect(filterAll(existing, makePod('p', { affinity }, { labels: { app: 'web' } }))).toEqual(want);
  });

  it("honours existing pods' anti-affinity towards the incoming pod", () => {
    const guard = makePod('guard', { nodeName: 'b1', affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('web')] } } }, { labels: { app: 'guard' } });
    expect(filterAll([guard], makePod('p', {}, { labels: { app: 'web' } }))).toEqual({ a1: 'fits', a2: 'fits', b1: "node(s) didn't satisfy existing pods anti-affinity rules" });
  });

  it('matches only pods in the namespaces of the term', () => {
    const elsewhere = makePod('db', { nodeName: 'a1' }, { labels: { app: 'db' }, namespace: 'other' });
    expect(filterAll([elsewhere], makePod('p', { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term('db')] } } }))).toEqual({ a1: 'fits', a2: 'fits', b1: 'fits' });
  });
});

describe('InterPodAffinity score', () => {
  it('favours the zone of a preferred pod and normalizes to 0..100', () => {
    const { infos, snapshot } = cluster(nodes, [makePod('db', { nodeName: 'a1' }, { labels: { app: 'db' } })]);
    const pod = podInfo(makePod('p', { affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('db') }] } } }));
    const state = new Map<string, unknown>();
    expect(InterPodAffinityScore.preScore!(state, pod, infos, snapshot)).toBe(true);
    const scores = infos.map((n) => InterPodAffinityScore.score(state, pod, n, snapshot));
    InterPodAffinityScore.normalize!(state, pod, scores, infos);
    expect(scores).toEqual([100, 100, 0]);
  });
});
