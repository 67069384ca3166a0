// DefaultPreemption (PostFilter): which lower-priority pods to evict, and on which node, so a pod that fits nowhere fits.
import { fitErrorMessage, runFiltersWithNominated, runPreFilter, type CycleState, type Diagnosis, type Profile } from './framework.ts';
import type { Nominator } from './cache.ts';
import { labelSelectorMatches } from './matching.ts';
import { snapshotOf, type NodeInfo, type PodInfo, type Snapshot } from './node-info.ts';
import { unresolvable, type PodDisruptionBudget, type Status } from './types.ts';

export const ErrNoVictims = 'No preemption victims found for incoming pod';
export const ErrNotHelpful = 'Preemption is not helpful for scheduling';

export interface Candidate {
  node: string;
  /** Highest priority first. */
  victims: PodInfo[];
  numPDBViolations: number;
}

export type PreemptionOutcome =
  | { kind: 'nominate'; candidate: Candidate }
  /** `message` becomes the PostFilter part of the FitError ("preemption: …"). */
  | { kind: 'fail'; message: string };

/** A pod is being terminated by an earlier preemption (deleted, with the DisruptionTarget condition the scheduler sets). */
function terminatingByPreemption(p: PodInfo): boolean {
  if (!p.pod.metadata.deletionTimestamp) return false;
  return (p.pod.status?.conditions ?? []).some((c) => c.type === 'DisruptionTarget' && c.reason === 'PreemptionByScheduler');
}

/** Upstream's PodEligibleToPreemptOthers: the message explains a refusal. */
export function eligibleToPreempt(pod: PodInfo, snapshot: Snapshot, diagnosis: Diagnosis): { ok: boolean; message?: string } {
  if (pod.pod.spec?.preemptionPolicy === 'Never') return { ok: false, message: 'not eligible due to preemptionPolicy=Never.' };
  const nominated = pod.pod.status?.nominatedNodeName;
  if (nominated) {
    if (diagnosis.nodeStatuses.get(nominated)?.code === 'UnschedulableAndUnresolvable') return { ok: true };
    const n = snapshot.get(nominated);
    if (n && [...n.pods.values()].some((p) => p.priority < pod.priority && terminatingByPreemption(p))) {
      return { ok: false, message: 'not eligible due to a terminating pod on the nominated node.' };
    }
  }
  return { ok: true };
}

/** Orders victims as upstream's MoreImportantPod: higher priority first, then the one that started earlier. */
function moreImportant(a: PodInfo, b: PodInfo): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  const ta = Date.parse(a.pod.status?.startTime ?? a.pod.metadata.creationTimestamp ?? '') || 0;
  const tb = Date.parse(b.pod.status?.startTime ?? b.pod.metadata.creationTimestamp ?? '') || 0;
  return ta - tb;
}

/** Splits pods (in order) into those whose eviction would exceed a PodDisruptionBudget and the rest. */
export function splitByPDBViolation(pods: readonly PodInfo[], pdbs: readonly PodDisruptionBudget[]): { violating: PodInfo[]; nonViolating: PodInfo[] } {
  const allowed = pdbs.map((p) => p.status?.disruptionsAllowed ?? 0);
  const violating: PodInfo[] = [];
  const nonViolating: PodInfo[] = [];
  for (const p of pods) {
    let violated = false;
    pdbs.forEach((pdb, i) => {
      if (pdb.metadata.namespace !== p.namespace) return;
      const sel = pdb.spec?.selector;
      // A nil or empty selector matches nothing here, as upstream's preemption treats it.
      if (!sel || Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) return;
      if (!labelSelectorMatches(sel, p.labels)) return;
      if (pdb.status?.disruptedPods && p.pod.metadata.name && p.pod.metadata.name in pdb.status.disruptedPods) return;
      allowed[i]--;
      if (allowed[i] < 0) violated = true;
    });
    (violated ? violating : nonViolating).push(p);
  }
  return { violating, nonViolating };
}

export interface PreemptionContext {
  profile: Profile;
  snapshot: Snapshot;
  nominator: Nominator;
  pdbs: readonly PodDisruptionBudget[];
}

/** Plugins whose PreFilter state depends on other pods: rerun them when a what-if changes a node's pods. */
function stateFor(ctx: PreemptionContext, pod: PodInfo, snapshot: Snapshot): CycleState | Status {
  const state: CycleState = new Map();
  return runPreFilter(ctx.profile, state, pod, snapshot) ?? state;
}

/**
 * Upstream's SelectVictimsOnNode: remove every lower-priority pod; if the pod then fits, add them back one by
 * one (PDB-protected ones first, each in order of importance) keeping back every pod that still lets it fit.
 */
export function selectVictimsOnNode(ctx: PreemptionContext, pod: PodInfo, node: NodeInfo): Candidate | Status {
  const copy = node.clone();
  const lower = [...copy.pods.values()].filter((p) => p.priority < pod.priority);
  if (lower.length === 0) return unresolvable('DefaultPreemption', ErrNoVictims);
  for (const p of lower) copy.removePod(p.key);
  const snapshot = snapshotOf(ctx.snapshot.nodes.map((n) => (n.name === node.name ? copy : n)));
  const nominated = ctx.nominator.podsOn(node.name);
  const fits = (): Status | undefined => {
    const state = stateFor(ctx, pod, snapshot);
    if (!(state instanceof Map)) return state;
    return runFiltersWithNominated(ctx.profile, state, pod, copy, nominated);
  };
  const first = fits();
  if (first) return first;
  lower.sort(moreImportant);
  const { violating, nonViolating } = splitByPDBViolation(lower, ctx.pdbs);
  const victims: PodInfo[] = [];
  let numPDBViolations = 0;
  const reprieve = (p: PodInfo): boolean => {
    copy.addPod(p);
    if (!fits()) return true;
    copy.removePod(p.key);
    victims.push(p);
    return false;
  };
  for (const p of violating) if (!reprieve(p)) numPDBViolations++;
  for (const p of nonViolating) reprieve(p);
  victims.sort(moreImportant);
  return { node: node.name, victims, numPDBViolations };
}

/** Upstream's pickOneNodeForPreemption: fewest PDB violations, lowest top victim priority, lowest priority sum, fewest victims. */
export function pickCandidate(candidates: readonly Candidate[]): Candidate | undefined {
  const key = (c: Candidate): number[] => [
    c.numPDBViolations,
    c.victims[0]?.priority ?? -Infinity,
    // Upstream offsets each priority by MaxInt32+1 so the sum also grows with the number of victims.
    c.victims.reduce((s, v) => s + v.priority + 2147483648, 0),
    c.victims.length,
  ];
  let best: Candidate | undefined;
  let bestKey: number[] = [];
  for (const c of candidates) {
    const k = key(c);
    const i = k.findIndex((v, j) => v !== bestKey[j]);
    if (!best || (i >= 0 && k[i] < bestKey[i])) {
      best = c;
      bestKey = k;
    }
  }
  return best;
}

/**
 * The whole PostFilter: eligibility, candidates on the nodes where the filters said Unschedulable (not
 * unresolvable), the best candidate; or the message that explains why preemption cannot help.
 */
export function preempt(ctx: PreemptionContext, pod: PodInfo, diagnosis: Diagnosis): PreemptionOutcome {
  const eligible = eligibleToPreempt(pod, ctx.snapshot, diagnosis);
  if (!eligible.ok) return { kind: 'fail', message: `preemption: ${eligible.message}` };
  const statuses = new Map<string, Status>();
  const candidates: Candidate[] = [];
  for (const node of ctx.snapshot.nodes) {
    if (diagnosis.nodeStatuses.get(node.name)?.code !== 'Unschedulable') continue;
    const r = selectVictimsOnNode(ctx, pod, node);
    if ('victims' in r) candidates.push(r);
    else statuses.set(node.name, r);
  }
  if (candidates.length === 0) {
    for (const node of ctx.snapshot.nodes) if (!statuses.has(node.name)) statuses.set(node.name, unresolvable('DefaultPreemption', ErrNotHelpful));
    return { kind: 'fail', message: `preemption: ${fitErrorMessage({ numAllNodes: ctx.snapshot.nodes.length, nodeStatuses: statuses })}` };
  }
  const best = pickCandidate(candidates);
  if (!best) return { kind: 'fail', message: 'preemption: no candidate node for preemption' };
  return { kind: 'nominate', candidate: best };
}
