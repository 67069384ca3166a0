// Pod helpers shared by the workload controllers: label selectors, readiness/availability, upstream's deletion ranking, pods from templates.
import type { KubeObject, OwnerReference } from '../runtime/index.ts';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
  [k: string]: unknown;
}

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; [k: string]: unknown };
  status?: {
    phase?: string;
    conditions?: PodCondition[];
    containerStatuses?: Array<{ restartCount?: number; [k: string]: unknown }>;
    [k: string]: unknown;
  };
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[]; [k: string]: unknown };
  spec?: Record<string, unknown>;
}

/**
 * Whether `labels` match `selector` with metav1.LabelSelectorAsSelector's rules. An empty selector
 * matches everything; a missing (undefined) selector matches nothing, as upstream controllers treat it.
 */
export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const r of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, r.key);
    switch (r.operator) {
      case 'In':
        if (!has || !(r.values ?? []).includes(l[r.key]!)) return false;
        break;
      case 'NotIn':
        if (has && (r.values ?? []).includes(l[r.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** True for a selector that selects everything (upstream refuses to act on those). */
export function selectorIsEmpty(selector: LabelSelector | undefined): boolean {
  return !!selector && Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0;
}

/** controller.IsPodActive: not Succeeded, not Failed, not being deleted. */
export function isPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

function readyCondition(pod: Pod): PodCondition | undefined {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

export function isPodReady(pod: Pod): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** podutil.IsPodAvailable: ready, and ready for at least minReadySeconds. */
export function isPodAvailable(pod: Pod, minReadySeconds: number, now: number): boolean {
  if (!isPodReady(pod)) return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(readyCondition(pod)?.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 < now;
}

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function deletionCost(pod: Pod): number {
  const raw = pod.metadata.annotations?.['controller.kubernetes.io/pod-deletion-cost'];
  const n = raw === undefined ? 0 : Number(raw);
  return Number.isInteger(n) ? n : 0;
}

function readyTime(pod: Pod): number {
  const c = readyCondition(pod);
  return c?.status === 'True' ? Date.parse(c.lastTransitionTime ?? '') || 0 : 0;
}

function maxRestarts(pod: Pod): number {
  return Math.max(0, ...(pod.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

/** afterOrZero: a zero time sorts first, otherwise the later one. */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

function logRankDiff(t1: number, t2: number, now: number): number {
  // Durations in nanoseconds, as upstream takes log2 of a time.Duration.
  const r = (t: number): number => (now - t > 0 ? Math.floor(Math.log2((now - t) * 1e6)) : -1);
  return r(t1) - r(t2);
}

/**
 * Sorts pods so that the ones to delete first come first, with upstream's ActivePodsWithRanks rules
 * (unassigned, phase, not ready, deletion cost, doubled-up rank, ready time and creation time on a
 * logarithmic scale with UID tie-break, restarts). `rank` gives each pod's colocated-pod count.
 */
export function rankPodsForDeletion(pods: Pod[], rank: (p: Pod) => number, now: number): Pod[] {
  const ranks = new Map(pods.map((p) => [p, rank(p)]));
  const less = (a: Pod, b: Pod): boolean => {
    const na = a.spec?.nodeName ?? '';
    const nb = b.spec?.nodeName ?? '';
    if (na !== nb && (na === '' || nb === '')) return na === '';
    const pa = PHASE_ORDINAL[a.status?.phase ?? ''] ?? 0;
    const pb = PHASE_ORDINAL[b.status?.phase ?? ''] ?? 0;
    if (pa !== pb) return pa < pb;
    if (isPodReady(a) !== isPodReady(b)) return !isPodReady(a);
    if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) < deletionCost(b);
    if (ranks.get(a) !== ranks.get(b)) return ranks.get(a)! > ranks.get(b)!;
    if (isPodReady(a) && isPodReady(b)) {
      const ra = readyTime(a);
      const rb = readyTime(b);
      if (ra !== rb) {
        if (ra === 0 || rb === 0) return afterOrZero(ra, rb);
        const d = logRankDiff(ra, rb, now);
        return d === 0 ? (a.metadata.uid ?? '') < (b.metadata.uid ?? '') : d < 0;
      }
    }
    if (maxRestarts(a) !== maxRestarts(b)) return maxRestarts(a) > maxRestarts(b);
    const ca = Date.parse(a.metadata.creationTimestamp ?? '') || 0;
    const cb = Date.parse(b.metadata.creationTimestamp ?? '') || 0;
    if (ca !== cb) {
      if (ca === 0 || cb === 0) return afterOrZero(ca, cb);
      const d = logRankDiff(ca, cb, now);
      return d === 0 ? (a.metadata.uid ?? '') < (b.metadata.uid ?? '') : d < 0;
    }
    return false;
  };
  return [...pods].sort((a, b) => (less(a, b) ? -1 : less(b, a) ? 1 : 0));
}

/** The controller owner reference a controller puts on what it creates or adopts. */
export function controllerRef(owner: KubeObject): OwnerReference {
  return { apiVersion: owner.apiVersion!, kind: owner.kind!, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** controller.GetPodFromTemplate: labels, annotations, finalizers and spec of the template, named `<owner>-xxxxx`. */
export function podFromTemplate(template: PodTemplate, owner: KubeObject): KubeObject {
  const meta = template.metadata ?? {};
  const metadata: KubeObject['metadata'] = {
    generateName: `${owner.metadata.name}-`,
    namespace: owner.metadata.namespace,
    ownerReferences: [controllerRef(owner)],
  };
  if (meta.labels) metadata.labels = { ...meta.labels };
  if (meta.annotations) metadata.annotations = { ...meta.annotations };
  if (meta.finalizers) metadata.finalizers = [...meta.finalizers];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: structuredClone(template.spec ?? {}) };
}
