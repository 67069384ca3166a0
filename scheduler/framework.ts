// The plugin framework: extension points (PreFilter, Filter, PreScore, Score, NormalizeScore) and the FitError text.
import type { NodeInfo, PodInfo, Snapshot } from './node-info.ts';
import type { Status } from './types.ts';

/** Per-cycle scratch space: what a plugin's PreFilter/PreScore computed for its Filter/Score. */
export type CycleState = Map<string, unknown>;

/** A filter plugin; `undefined` means success. */
export interface FilterPlugin {
  readonly name: string;
  /** Once per cycle over the whole snapshot. A Status here rejects every node with it. */
  preFilter?(state: CycleState, pod: PodInfo, snapshot: Snapshot): Status | undefined;
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined;
}

/** A score plugin: raw scores per feasible node, optionally normalized to 0..100, then multiplied by `weight`. */
export interface ScorePlugin {
  readonly name: string;
  readonly weight: number;
  /** Returns false when the plugin has nothing to say for this pod (upstream's Skip): it then scores 0 everywhere. */
  preScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): boolean;
  score(state: CycleState, pod: PodInfo, node: NodeInfo, snapshot: Snapshot): number;
  normalize?(state: CycleState, pod: PodInfo, scores: number[], nodes: readonly NodeInfo[]): void;
}

export interface Profile {
  readonly schedulerName: string;
  readonly filters: readonly FilterPlugin[];
  readonly scorers: readonly ScorePlugin[];
}

/** Runs every PreFilter; the first rejection wins (as upstream, later plugins are not consulted). */
export function runPreFilter(profile: Profile, state: CycleState, pod: PodInfo, snapshot: Snapshot): Status | undefined {
  for (const p of profile.filters) {
    const s = p.preFilter?.(state, pod, snapshot);
    if (s) return s;
  }
  return undefined;
}

/** Runs the filters on one node in order, stopping at the first rejection. */
export function runFilters(profile: Profile, state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
  for (const p of profile.filters) {
    const s = p.filter(state, pod, node);
    if (s) return s;
  }
  return undefined;
}

/**
 * Filters as upstream's RunFilterPluginsWithNominatedPods: when pods of equal or higher priority are
 * nominated to the node, the pod must fit both with them added and without them.
 */
export function runFiltersWithNominated(profile: Profile, state: CycleState, pod: PodInfo, node: NodeInfo, nominated: readonly PodInfo[]): Status | undefined {
  const ahead = nominated.filter((n) => n.key !== pod.key && n.priority >= pod.priority && !node.pods.has(n.key));
  if (ahead.length > 0) {
    const withNominated = node.clone();
    for (const n of ahead) withNominated.addPod(n);
    const s = runFilters(profile, state, pod, withNominated);
    if (s) return s;
  }
  return runFilters(profile, state, pod, node);
}

/** Weighted total per node, as upstream's RunScorePlugins: each plugin's (normalized) score times its weight. */
export function runScore(profile: Profile, state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snapshot: Snapshot): number[] {
  const totals = new Array<number>(nodes.length).fill(0);
  for (const p of profile.scorers) {
    if (p.preScore && !p.preScore(state, pod, nodes, snapshot)) continue;
    const scores = nodes.map((n) => p.score(state, pod, n, snapshot));
    p.normalize?.(state, pod, scores, nodes);
    for (let i = 0; i < nodes.length; i++) totals[i] += scores[i] * p.weight;
  }
  return totals;
}

/** Upstream's DefaultNormalizeScore: scale to 0..max by the highest score, optionally reversed. */
export function defaultNormalize(scores: number[], reverse: boolean, maxPriority = 100): void {
  let maxCount = 0;
  for (const s of scores) if (s > maxCount) maxCount = s;
  if (maxCount === 0) {
    if (reverse) scores.fill(maxPriority);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc((maxPriority * scores[i]) / maxCount);
    if (reverse) s = maxPriority - s;
    scores[i] = s;
  }
}

/** Why a pod fits nowhere: per-node statuses (or one PreFilter status for all), and what PostFilter said. */
export interface Diagnosis {
  numAllNodes: number;
  nodeStatuses: Map<string, Status>;
  preFilterMsg?: string;
  postFilterMsg?: string;
}

/**
 * FitError.Error() in upstream's words: "0/N nodes are available: <count> <reason>, …." with reasons
 * sorted as strings, then " <PreFilter message>." and " <PostFilter message>." when present.
 */
export function fitErrorMessage(d: Diagnosis): string {
  let msg = `0/${d.numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  const counts = new Map<string, number>();
  for (const s of d.nodeStatuses.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const reasons = [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (reasons.length > 0) msg += ` ${reasons.join(', ')}.`;
  // Since 1.30 a PostFilter message that already ends a sentence gets no second period.
  if (d.postFilterMsg) msg += d.postFilterMsg.endsWith('.') ? ` ${d.postFilterMsg}` : ` ${d.postFilterMsg}.`;
  return msg;
}
