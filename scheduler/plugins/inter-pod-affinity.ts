// InterPodAffinity: required (anti-)affinity filters by topology domain; preferred terms of both sides score.
import type { CycleState, FilterPlugin, ScorePlugin } from '../framework.ts';
import { termMatches, type AffinityTerm, type NodeInfo, type PodInfo } from '../node-info.ts';
import { MAX_NODE_SCORE, unresolvable, unschedulable } from '../types.ts';

export const ErrReasonAffinityRulesNotMatch = "node(s) didn't match pod affinity rules";
export const ErrReasonAntiAffinityRulesNotMatch = "node(s) didn't match pod anti-affinity rules";
export const ErrReasonExistingAntiAffinityRulesNotMatch = "node(s) didn't satisfy existing pods anti-affinity rules";

/** Upstream's default hardPodAffinityWeight: how much an existing pod's required affinity counts when scoring. */
const HARD_POD_AFFINITY_WEIGHT = 1;

const pair = (key: string, value: string): string => `${key}\u0000${value}`;

interface FilterState {
  existingAnti: Map<string, number>;
  affinity: Map<string, number>;
  anti: Map<string, number>;
}

const FILTER_KEY = 'InterPodAffinity/filter';
const SCORE_KEY = 'InterPodAffinity/score';

function bump(m: Map<string, number>, node: NodeInfo, term: AffinityTerm, by = 1): void {
  const value = node.labels[term.topologyKey];
  if (value === undefined) return;
  const k = pair(term.topologyKey, value);
  m.set(k, (m.get(k) ?? 0) + by);
}

export const InterPodAffinityFilter: FilterPlugin = {
  name: 'InterPodAffinity',
  preFilter(state: CycleState, pod, snapshot) {
    const s: FilterState = { existingAnti: new Map(), affinity: new Map(), anti: new Map() };
    const own = pod.requiredAffinity.length > 0 || pod.requiredAntiAffinity.length > 0;
    for (const node of snapshot.nodes) {
      if (node.podsWithRequiredAntiAffinity > 0) {
        for (const p of node.pods.values()) for (const t of p.requiredAntiAffinity) if (termMatches(t, pod)) bump(s.existingAnti, node, t);
      }
      if (!own) continue;
      for (const p of node.pods.values()) {
        if (pod.requiredAffinity.length > 0 && pod.requiredAffinity.every((t) => termMatches(t, p))) for (const t of pod.requiredAffinity) bump(s.affinity, node, t);
        for (const t of pod.requiredAntiAffinity) if (termMatches(t, p)) bump(s.anti, node, t);
      }
    }
    state.set(FILTER_KEY, s);
    return undefined;
  },
  filter(state, pod, node) {
    const s = state.get(FILTER_KEY) as FilterState | undefined;
    if (!s) return undefined;
    if (pod.requiredAffinity.length > 0) {
      let podsExist = true;
      for (const t of pod.requiredAffinity) {
        const value = node.labels[t.topologyKey];
        if (value === undefined) return unresolvable('InterPodAffinity', ErrReasonAffinityRulesNotMatch);
        if ((s.affinity.get(pair(t.topologyKey, value)) ?? 0) <= 0) podsExist = false;
      }
      // The first pod of a group that has affinity to itself may go anywhere with the right labels.
      if (!podsExist && !(s.affinity.size === 0 && pod.requiredAffinity.every((t) => termMatches(t, pod)))) {
        return unresolvable('InterPodAffinity', ErrReasonAffinityRulesNotMatch);
      }
    }
    for (const t of pod.requiredAntiAffinity) {
      const value = node.labels[t.topologyKey];
      if (value !== undefined && (s.anti.get(pair(t.topologyKey, value)) ?? 0) > 0) return unschedulable('InterPodAffinity', ErrReasonAntiAffinityRulesNotMatch);
    }
    for (const [k, n] of s.existingAnti) {
      if (n <= 0) continue;
      const [key, value] = k.split('\u0000');
      if (node.labels[key] === value) return unschedulable('InterPodAffinity', ErrReasonExistingAntiAffinityRulesNotMatch);
    }
    return undefined;
  },
};

/** topologyKey → topology value → accumulated weight. */
type TopologyScore = Map<string, Map<string, number>>;

function addScore(ts: TopologyScore, node: NodeInfo, key: string, weight: number): void {
  const value = node.labels[key];
  if (value === undefined || weight === 0) return;
  let m = ts.get(key);
  if (!m) ts.set(key, (m = new Map()));
  m.set(value, (m.get(value) ?? 0) + weight);
}

/** What one existing pod on `node` contributes, in both directions, as upstream's processExistingPod. */
function processExistingPod(ts: TopologyScore, existing: PodInfo, node: NodeInfo, pod: PodInfo): void {
  for (const t of pod.preferredAffinity) if (termMatches(t, existing)) addScore(ts, node, t.topologyKey, t.weight);
  for (const t of pod.preferredAntiAffinity) if (termMatches(t, existing)) addScore(ts, node, t.topologyKey, -t.weight);
  for (const t of existing.requiredAffinity) if (termMatches(t, pod)) addScore(ts, node, t.topologyKey, HARD_POD_AFFINITY_WEIGHT);
  for (const t of existing.preferredAffinity) if (termMatches(t, pod)) addScore(ts, node, t.topologyKey, t.weight);
  for (const t of existing.preferredAntiAffinity) if (termMatches(t, pod)) addScore(ts, node, t.topologyKey, -t.weight);
}

export const InterPodAffinityScore: ScorePlugin = {
  name: 'InterPodAffinity',
  weight: 2,
  preScore(state, pod, _nodes, snapshot) {
    const ownPreferred = pod.preferredAffinity.length > 0 || pod.preferredAntiAffinity.length > 0;
    if (!ownPreferred && !snapshot.nodes.some((n) => n.podsWithAffinity > 0)) return false;
    const ts: TopologyScore = new Map();
    for (const node of snapshot.nodes) {
      if (!ownPreferred && node.podsWithAffinity === 0) continue;
      for (const p of node.pods.values()) processExistingPod(ts, p, node, pod);
    }
    if (ts.size === 0) return false;
    state.set(SCORE_KEY, ts);
    return true;
  },
  score(state, _pod, node) {
    const ts = state.get(SCORE_KEY) as TopologyScore;
    let score = 0;
    for (const [key, values] of ts) {
      const value = node.labels[key];
      if (value !== undefined) score += values.get(value) ?? 0;
    }
    return score;
  },
  normalize(_state, _pod, scores) {
    let min = Infinity;
    let max = -Infinity;
    for (const s of scores) {
      min = Math.min(min, s);
      max = Math.max(max, s);
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((scores[i] - min) / diff)) : 0;
  },
};
