// The DaemonSet controller's pure rules: which nodes should run a daemon pod, the pod pinned to a node, the rolling-update choice.
import type { KubeObject } from '../runtime/index.ts';
import { arr, isPodAvailable, num, rec, scaledValue, spec, type Obj } from '../podutil/index.ts';
import { findUntoleratedTaint, nodeTaints, podFitsNodeAffinity, type Toleration } from '../podutil/scheduling.ts';
import { REVISION_HASH_LABEL } from '../podutil/history.ts';

/** The tolerations upstream adds to every daemon pod (AddOrUpdateDaemonPodTolerations). */
export function daemonTolerations(hostNetwork: boolean): Toleration[] {
  const t: Toleration[] = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ];
  if (hostNetwork) t.push({ key: 'node.kubernetes.io/network-unavailable', operator: 'Exists', effect: 'NoSchedule' });
  return t;
}

/** Adds each toleration unless an equal one (key, operator, value, effect) is there; same key and effect is replaced. */
export function withTolerations(existing: readonly Toleration[], add: readonly Toleration[]): Toleration[] {
  const out = [...existing];
  for (const t of add) {
    const i = out.findIndex((x) => (x.key ?? '') === (t.key ?? '') && (x.effect ?? '') === (t.effect ?? '') && (x.operator ?? 'Equal') === (t.operator ?? 'Equal') && (x.value ?? '') === (t.value ?? ''));
    if (i >= 0) out[i] = t;
    else out.push(t);
  }
  return out;
}

/**
 * NodeShouldRunDaemonPod: `shouldRun` when the template's nodeName (if any), nodeSelector, required
 * node affinity and NoSchedule/NoExecute taints (with the daemon tolerations) all allow the node;
 * `shouldContinueRunning` unless name/affinity fail or an untolerated NoExecute taint is present.
 */
export function nodeShouldRunDaemonPod(node: KubeObject, ds: KubeObject): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const podSpec = rec(rec(spec(ds).template).spec);
  if (podSpec.nodeName && podSpec.nodeName !== node.metadata.name) return { shouldRun: false, shouldContinueRunning: false };
  if (!podFitsNodeAffinity(podSpec, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = withTolerations(arr<Toleration>(podSpec.tolerations), daemonTolerations(podSpec.hostNetwork === true));
  const taints = nodeTaints(node);
  if (findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')) {
    return { shouldRun: false, shouldContinueRunning: !findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute') };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

/** ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become one matchFields term on metadata.name. */
export function pinToNode(podSpec: Obj, nodeName: string): void {
  const affinity = { ...rec(podSpec.affinity) };
  const nodeAffinity = { ...rec(affinity.nodeAffinity) };
  nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = {
    nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }],
  };
  affinity.nodeAffinity = nodeAffinity;
  podSpec.affinity = affinity;
}

/** The node a daemon pod targets: spec.nodeName, else the metadata.name in its required affinity (GetTargetNodeName). */
export function targetNodeName(pod: KubeObject): string | undefined {
  const ps = spec(pod);
  if (typeof ps.nodeName === 'string' && ps.nodeName) return ps.nodeName;
  const terms = arr(rec(rec(rec(ps.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution).nodeSelectorTerms);
  for (const t of terms) for (const f of arr(t.matchFields)) if (f.key === 'metadata.name' && f.operator === 'In' && arr(f.values).length === 1) return String(arr(f.values)[0]);
  return undefined;
}

/** Whether a daemon pod runs the current template: its hash label, or (legacy) its template generation. */
export function isUpdated(pod: KubeObject, ds: KubeObject, hash: string): boolean {
  const labels = pod.metadata.labels ?? {};
  if (labels[REVISION_HASH_LABEL] !== undefined) return labels[REVISION_HASH_LABEL] === hash;
  return labels['pod-template-generation'] === String(ds.metadata.generation ?? '');
}

/** maxSurge and maxUnavailable against the desired count (both round up); both zero means one unavailable. */
export function rollingLimits(ds: KubeObject, desired: number): { maxSurge: number; maxUnavailable: number } {
  const ru = rec(rec(spec(ds).updateStrategy).rollingUpdate);
  const maxSurge = scaledValue(ru.maxSurge ?? 0, desired, true, 0);
  let maxUnavailable = scaledValue(ru.maxUnavailable ?? 1, desired, true, 1);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1;
  return { maxSurge, maxUnavailable };
}

export interface NodePods {
  node: string;
  pods: KubeObject[];
  shouldRun: boolean;
}

/**
 * One step of a RollingUpdate (upstream's rollingUpdate): which old pods to delete and, with surge,
 * on which nodes to add a new pod. Pods being deleted must already be filtered out.
 */
export function rollingUpdatePlan(ds: KubeObject, nodes: readonly NodePods[], hash: string, desired: number, now: number): { deletePods: KubeObject[]; createOn: string[] } {
  const { maxSurge, maxUnavailable } = rollingLimits(ds, desired);
  const minReady = num(spec(ds).minReadySeconds, 0);
  const avail = (p: KubeObject): boolean => isPodAvailable(p, minReady, now);
  const split = (pods: KubeObject[]): { ok: boolean; newPod?: KubeObject; oldPod?: KubeObject } => {
    let newPod: KubeObject | undefined;
    let oldPod: KubeObject | undefined;
    for (const p of pods) {
      if (isUpdated(p, ds, hash)) {
        if (newPod) return { ok: false };
        newPod = p;
      } else {
        if (oldPod) return { ok: false };
        oldPod = p;
      }
    }
    return { ok: true, newPod, oldPod };
  };
  if (maxSurge === 0) {
    let unavailable = 0;
    const allowed: KubeObject[] = [];
    const candidates: KubeObject[] = [];
    for (const n of nodes) {
      const { ok, newPod, oldPod } = split(n.pods);
      if (!ok) {
        unavailable++;
        continue;
      }
      if ((!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
      else if (newPod) {
        if (!avail(newPod)) unavailable++;
      } else if (!avail(oldPod!)) allowed.push(oldPod!);
      else if (unavailable < maxUnavailable) candidates.push(oldPod!);
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    return { deletePods: [...allowed, ...candidates.slice(0, remaining)], createOn: [] };
  }
  let surge = 0;
  const allowedNodes: string[] = [];
  const candidateNodes: string[] = [];
  const deletePods: KubeObject[] = [];
  for (const n of nodes) {
    const { ok, newPod, oldPod } = split(n.pods);
    if (!ok) {
      surge++;
      continue;
    }
    if (!n.shouldRun) {
      if (oldPod) deletePods.push(oldPod);
      continue;
    }
    if (!oldPod) continue;
    if (!newPod) {
      if (!avail(oldPod)) allowedNodes.push(n.node);
      else if (surge < maxSurge) candidateNodes.push(n.node);
    } else if (!avail(newPod)) surge++;
    else deletePods.push(oldPod);
  }
  const remaining = Math.min(Math.max(0, maxSurge - surge), candidateNodes.length);
  return { deletePods, createOn: [...allowedNodes, ...candidateNodes.slice(0, remaining)] };
}
