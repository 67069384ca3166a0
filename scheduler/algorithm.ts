// One scheduling decision: PreFilter, Filter (up to the adaptive number of feasible nodes), Score, pick the best.
import { runFiltersWithNominated, runPreFilter, runScore, runFilters, type CycleState, type Diagnosis, type Profile } from './framework.ts';
import type { Nominator } from './cache.ts';
import type { NodeInfo, PodInfo, Snapshot } from './node-info.ts';
import type { Status } from './types.ts';

/** Upstream's numFeasibleNodesToFind with the adaptive percentageOfNodesToScore (50% − nodes/125, at least 5%, at least 100 nodes). */
export function numFeasibleNodesToFind(numAllNodes: number): number {
  const minFeasible = 100;
  if (numAllNodes < minFeasible) return numAllNodes;
  const pct = Math.max(5, 50 - Math.trunc(numAllNodes / 125));
  return Math.max(minFeasible, Math.trunc((numAllNodes * pct) / 100));
}

export type Decision =
  | { ok: true; node: string; evaluated: number; feasible: number }
  | { ok: false; diagnosis: Diagnosis; state: CycleState };

export interface ScheduleContext {
  profile: Profile;
  snapshot: Snapshot;
  nominator: Nominator;
  /** Round-robin start among nodes, so successive pods do not always examine the same nodes first. */
  nextStartNodeIndex: number;
  random?: () => number;
}

/** Upstream's errNoNodesAvailable text. */
export const ErrNoNodesAvailable = 'no nodes available to schedule pods';

/**
 * Decides where the pod goes, as upstream's schedulePod: a nominated node that still fits is taken at once;
 * otherwise every node is filtered (stopping once enough feasible nodes are found), a single feasible node is
 * taken without scoring, and among several the highest total score wins, ties broken uniformly at random.
 * On failure, the Diagnosis holds every evaluated node's rejection. Updates ctx.nextStartNodeIndex.
 */
export function schedulePod(ctx: ScheduleContext, pod: PodInfo): Decision {
  const { profile, snapshot, nominator } = ctx;
  const nodes = snapshot.nodes;
  const state: CycleState = new Map();
  const diagnosis: Diagnosis = { numAllNodes: nodes.length, nodeStatuses: new Map() };
  const pre = runPreFilter(profile, state, pod, snapshot);
  if (pre) {
    for (const n of nodes) diagnosis.nodeStatuses.set(n.name, pre);
    diagnosis.preFilterMsg = pre.reasons.join(', ');
    return { ok: false, diagnosis, state };
  }
  const nominated = pod.pod.status?.nominatedNodeName;
  if (nominated) {
    const n = snapshot.get(nominated);
    if (n && !runFiltersWithNominated(profile, state, pod, n, nominator.podsOn(n.name))) return { ok: true, node: n.name, evaluated: 1, feasible: 1 };
  }
  const want = numFeasibleNodesToFind(nodes.length);
  const feasible: NodeInfo[] = [];
  let evaluated = 0;
  for (let i = 0; i < nodes.length && feasible.length < want; i++) {
    const n = nodes[(ctx.nextStartNodeIndex + i) % nodes.length];
    evaluated++;
    const s: Status | undefined = runFiltersWithNominated(profile, state, pod, n, nominator.podsOn(n.name));
    if (s) diagnosis.nodeStatuses.set(n.name, s);
    else feasible.push(n);
  }
  if (nodes.length > 0) ctx.nextStartNodeIndex = (ctx.nextStartNodeIndex + evaluated) % nodes.length;
  if (feasible.length === 0) return { ok: false, diagnosis, state };
  if (feasible.length === 1) return { ok: true, node: feasible[0].name, evaluated, feasible: 1 };
  const scores = runScore(profile, state, pod, feasible, snapshot);
  return { ok: true, node: selectHost(feasible, scores, ctx.random ?? Math.random), evaluated, feasible: feasible.length };
}

/** The highest score; among equal scores each node is equally likely (reservoir sampling, as upstream). */
export function selectHost(nodes: readonly NodeInfo[], scores: readonly number[], random: () => number): string {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < nodes.length; i++) {
    if (scores[i] > scores[best]) {
      best = i;
      ties = 1;
    } else if (scores[i] === scores[best]) {
      ties++;
      if (random() * ties < 1) best = i;
    }
  }
  return nodes[best].name;
}

export { runFilters };
