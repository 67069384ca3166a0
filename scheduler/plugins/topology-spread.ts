// PodTopologySpread: hard constraints (DoNotSchedule) filter by skew, soft ones (ScheduleAnyway) score.
import type { CycleState, FilterPlugin, ScorePlugin } from '../framework.ts';
import { findUntoleratedTaint, labelSelectorMatches, podMatchesNodeSelectorAndAffinity } from '../matching.ts';
import type { NodeInfo, PodInfo, Snapshot } from '../node-info.ts';
import { LABEL_HOSTNAME, MAX_NODE_SCORE, unresolvable, unschedulable, type LabelSelector } from '../types.ts';

export const ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
export const ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + ' (missing required label)';

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelSelector | null;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

/** The pod's constraints of one kind, with matchLabelKeys folded into the selector. */
export function constraintsOf(pod: PodInfo, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  const out: Constraint[] = [];
  for (const c of pod.pod.spec?.topologySpreadConstraints ?? []) {
    if (c.whenUnsatisfiable !== when) continue;
    const base = c.labelSelector ?? {};
    const extra = (c.matchLabelKeys ?? []).filter((k) => Object.hasOwn(pod.labels, k)).map((k) => ({ key: k, operator: 'In', values: [pod.labels[k]] }));
    const selector: LabelSelector = { matchLabels: base.matchLabels, matchExpressions: [...(base.matchExpressions ?? []), ...extra] };
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector: c.labelSelector || extra.length ? selector : null,
      minDomains: c.minDomains ?? 1,
      honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
      honorTaints: c.nodeTaintsPolicy === 'Honor',
    });
  }
  return out;
}

function hasAllKeys(node: NodeInfo, cs: readonly Constraint[]): boolean {
  return cs.every((c) => Object.hasOwn(node.labels, c.topologyKey));
}

/** Whether a node counts for spreading under the constraint's node inclusion policies. */
function nodeCounts(pod: PodInfo, node: NodeInfo, c: Constraint): boolean {
  if (!node.node) return false;
  if (c.honorAffinity && !podMatchesNodeSelectorAndAffinity(pod.pod, node.node)) return false;
  if (c.honorTaints && findUntoleratedTaint(node.taints, pod.pod.spec?.tolerations ?? [], (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) return false;
  return true;
}

/** Pods on the node in `namespace`, not terminating, selected by `selector`. */
export function countMatching(node: NodeInfo, selector: LabelSelector | null, namespace: string): number {
  if (!selector) return 0;
  let n = 0;
  for (const p of node.pods.values()) {
    if (p.namespace !== namespace || p.pod.metadata.deletionTimestamp) continue;
    if (labelSelectorMatches(selector, p.labels)) n++;
  }
  return n;
}

interface FilterState {
  constraints: Constraint[];
  counts: Array<Map<string, number>>;
  minMatch: number[];
}

const FILTER_KEY = 'PodTopologySpread/filter';
const SCORE_KEY = 'PodTopologySpread/score';

export const PodTopologySpreadFilter: FilterPlugin = {
  name: 'PodTopologySpread',
  preFilter(state: CycleState, pod: PodInfo, snapshot: Snapshot) {
    const constraints = constraintsOf(pod, 'DoNotSchedule');
    if (constraints.length === 0) return undefined;
    const counts = constraints.map(() => new Map<string, number>());
    for (const node of snapshot.nodes) {
      if (!hasAllKeys(node, constraints)) continue;
      constraints.forEach((c, i) => {
        if (!nodeCounts(pod, node, c)) return;
        const value = node.labels[c.topologyKey];
        counts[i].set(value, (counts[i].get(value) ?? 0) + countMatching(node, c.selector, pod.namespace));
      });
    }
    const minMatch = constraints.map((c, i) => {
      if (counts[i].size < c.minDomains) return 0;
      let min = Infinity;
      for (const v of counts[i].values()) min = Math.min(min, v);
      return min === Infinity ? 0 : min;
    });
    state.set(FILTER_KEY, { constraints, counts, minMatch } satisfies FilterState);
    return undefined;
  },
  filter(state, pod, node) {
    const s = state.get(FILTER_KEY) as FilterState | undefined;
    if (!s) return undefined;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      if (!Object.hasOwn(node.labels, c.topologyKey)) return unresolvable('PodTopologySpread', ErrReasonNodeLabelNotMatch);
      const selfMatch = labelSelectorMatches(c.selector, pod.labels) ? 1 : 0;
      const matchNum = s.counts[i].get(node.labels[c.topologyKey]) ?? 0;
      if (matchNum + selfMatch - s.minMatch[i] > c.maxSkew) return unschedulable('PodTopologySpread', ErrReasonConstraintsNotMatch);
    }
    return undefined;
  },
};

interface ScoreState {
  constraints: Constraint[];
  ignored: Set<string>;
  pairCounts: Array<Map<string, number>>;
  weights: number[];
}

export const PodTopologySpreadScore: ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  preScore(state, pod, nodes, snapshot) {
    const constraints = constraintsOf(pod, 'ScheduleAnyway');
    if (constraints.length === 0) return false;
    const ignored = new Set<string>();
    const pairCounts = constraints.map(() => new Map<string, number>());
    for (const node of nodes) {
      if (!hasAllKeys(node, constraints)) {
        ignored.add(node.name);
        continue;
      }
      constraints.forEach((c, i) => {
        if (c.topologyKey !== LABEL_HOSTNAME) pairCounts[i].set(node.labels[c.topologyKey], 0);
      });
    }
    const weights = constraints.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? nodes.length - ignored.size : pairCounts[i].size) + 2));
    for (const node of snapshot.nodes) {
      if (!hasAllKeys(node, constraints)) continue;
      constraints.forEach((c, i) => {
        if (c.topologyKey === LABEL_HOSTNAME || !nodeCounts(pod, node, c)) return;
        const value = node.labels[c.topologyKey];
        const cur = pairCounts[i].get(value);
        if (cur !== undefined) pairCounts[i].set(value, cur + countMatching(node, c.selector, pod.namespace));
      });
    }
    state.set(SCORE_KEY, { constraints, ignored, pairCounts, weights } satisfies ScoreState);
    return true;
  },
  score(state, pod, node) {
    const s = state.get(SCORE_KEY) as ScoreState;
    if (s.ignored.has(node.name)) return 0;
    let score = 0;
    s.constraints.forEach((c, i) => {
      if (!Object.hasOwn(node.labels, c.topologyKey)) return;
      const cnt = c.topologyKey === LABEL_HOSTNAME ? countMatching(node, c.selector, pod.namespace) : (s.pairCounts[i].get(node.labels[c.topologyKey]) ?? 0);
      score += cnt * s.weights[i] + (c.maxSkew - 1);
    });
    return Math.round(score);
  },
  normalize(state, _pod, scores, nodes) {
    const s = state.get(SCORE_KEY) as ScoreState;
    let min = Infinity;
    let max = 0;
    nodes.forEach((n, i) => {
      if (s.ignored.has(n.name)) return;
      min = Math.min(min, scores[i]);
      max = Math.max(max, scores[i]);
    });
    nodes.forEach((n, i) => {
      if (s.ignored.has(n.name)) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - scores[i])) / max);
    });
  },
};
