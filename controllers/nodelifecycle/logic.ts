// Node lifecycle rules: when a node counts as silent, the conditions and taints that follow, and when a pod must be evicted.
import type { KubeObject } from '../runtime/index.ts';
import { arr, isoNow, spec, status, type Condition } from '../podutil/index.ts';
import { toleratesTaint, type Taint, type Toleration } from '../podutil/scheduling.ts';

export const UNREACHABLE = 'node.kubernetes.io/unreachable';
export const NOT_READY = 'node.kubernetes.io/not-ready';
/** Conditions the node lifecycle controller turns Unknown when the kubelet goes silent. */
export const WATCHED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

/** Condition → NoSchedule taint, as upstream's nodeConditionToTaintKeyStatusMap. */
const NO_SCHEDULE_TAINTS: ReadonlyArray<[string, string, string]> = [
  ['Ready', 'False', NOT_READY],
  ['Ready', 'Unknown', UNREACHABLE],
  ['MemoryPressure', 'True', 'node.kubernetes.io/memory-pressure'],
  ['DiskPressure', 'True', 'node.kubernetes.io/disk-pressure'],
  ['NetworkUnavailable', 'True', 'node.kubernetes.io/network-unavailable'],
  ['PIDPressure', 'True', 'node.kubernetes.io/pid-pressure'],
];
const MANAGED_NO_SCHEDULE = new Set([...NO_SCHEDULE_TAINTS.map((t) => t[2]), 'node.kubernetes.io/unschedulable']);

/**
 * The conditions after the grace period passed without a heartbeat: each watched condition becomes
 * Unknown (NodeStatusUnknown, "Kubelet stopped posting node status."), or is added as Unknown
 * (NodeStatusNeverUpdated) when the kubelet never posted it. Returns undefined when nothing changes.
 */
export function silentNodeConditions(node: KubeObject, now: number): Condition[] | undefined {
  const conds = arr<Condition>(status(node).conditions).map((c) => ({ ...c }));
  let changed = false;
  for (const type of WATCHED_CONDITIONS) {
    const c = conds.find((x) => x.type === type);
    if (!c) {
      conds.push({ type, status: 'Unknown', lastHeartbeatTime: node.metadata.creationTimestamp, lastTransitionTime: isoNow(now), reason: 'NodeStatusNeverUpdated', message: 'Kubelet never posted node status.' });
      changed = true;
    } else if (c.status !== 'Unknown') {
      Object.assign(c, { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.', lastTransitionTime: isoNow(now) });
      changed = true;
    }
  }
  return changed ? conds : undefined;
}

/**
 * The node's taints with the controller-managed ones recomputed from its conditions: NoSchedule per
 * condition (and spec.unschedulable), NoExecute not-ready/unreachable for Ready False/Unknown.
 * Taints the controller does not manage are kept (NoExecute ones too while the node has no Ready
 * condition); kept managed taints keep their timeAdded.
 */
export function desiredTaints(node: KubeObject, now: number): Taint[] {
  const conds = arr<Condition>(status(node).conditions);
  const current = arr<Taint>(spec(node).taints);
  const want: Taint[] = [];
  for (const [type, st, key] of NO_SCHEDULE_TAINTS) if (conds.some((c) => c.type === type && c.status === st)) want.push({ key, effect: 'NoSchedule' });
  if (spec(node).unschedulable === true) want.push({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
  const ready = conds.find((c) => c.type === 'Ready')?.status;
  if (ready === 'False') want.push({ key: NOT_READY, effect: 'NoExecute' });
  if (ready === 'Unknown') want.push({ key: UNREACHABLE, effect: 'NoExecute' });
  // NoExecute taints are only managed once the node has a Ready condition (upstream skips eviction tainting before that).
  const managed = (t: Taint): boolean => (t.effect === 'NoSchedule' && MANAGED_NO_SCHEDULE.has(t.key)) || (ready !== undefined && t.effect === 'NoExecute' && (t.key === NOT_READY || t.key === UNREACHABLE));
  const out = current.filter((t) => !managed(t));
  for (const w of want) {
    const had = current.find((t) => t.key === w.key && t.effect === w.effect);
    out.push(had ?? { ...w, timeAdded: isoNow(now) });
  }
  return out;
}

/**
 * How long a pod may stay on a node with these NoExecute taints: 0 when one is not tolerated,
 * Infinity when the tolerations have no tolerationSeconds, else the smallest tolerationSeconds (ms).
 * Without a not-ready/unreachable toleration of its own, a pod is treated as tolerating those taints
 * for `defaultTolerationSeconds` (what the DefaultTolerationSeconds admission plugin adds), unless that is undefined.
 */
export function tolerationWindowMs(pod: KubeObject, taints: readonly Taint[], defaultTolerationSeconds: number | undefined): number {
  const tolerations = [...arr<Toleration>(spec(pod).tolerations)];
  if (defaultTolerationSeconds !== undefined) {
    for (const key of [NOT_READY, UNREACHABLE]) {
      const has = tolerations.some((t) => toleratesTaint(t, { key, effect: 'NoExecute' }));
      if (!has) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: defaultTolerationSeconds });
    }
  }
  let min = Infinity;
  for (const taint of taints.filter((t) => t.effect === 'NoExecute')) {
    const used = tolerations.filter((t) => toleratesTaint(t, taint));
    if (used.length === 0) return 0;
    for (const t of used) if (typeof t.tolerationSeconds === 'number') min = Math.min(min, Math.max(0, t.tolerationSeconds) * 1000);
  }
  return min;
}
