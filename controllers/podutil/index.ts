// Pod, node and template helpers shared by the workload controllers (upstream's controller_utils and podutil, our own words).
import { ApiError, collectionPath, objectPath, type ApiClient, type EventRecorder, type KubeObject, type OwnerReference, type ResourceType } from '../runtime/index.ts';
import { selectorMatches } from '../../server/registry/selector.ts';

/** A plain JSON record: cached objects are read through this shape. */
export type Obj = Record<string, unknown>;

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string | null;
  lastHeartbeatTime?: string;
  [k: string]: unknown;
}

export const rec = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
export const arr = <T = Obj>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
export const num = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : dflt);
export const spec = (o: KubeObject): Obj => rec(o.spec);
export const status = (o: KubeObject): Obj => rec(o.status);

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
export function isoNow(now: number = Date.now()): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function conditionOf(o: KubeObject, type: string): Condition | undefined {
  return arr<Condition>(status(o).conditions).find((c) => c.type === type);
}

export function podPhase(pod: KubeObject): string {
  return String(status(pod).phase ?? '');
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return conditionOf(pod, 'Ready')?.status === 'True';
}

/** controller.IsPodActive: neither terminal nor being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

export function isPodTerminal(pod: KubeObject): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

/** podutil.IsPodAvailable: ready for at least minReadySeconds at `now`. */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, now: number = Date.now()): boolean {
  const c = conditionOf(pod, 'Ready');
  if (c?.status !== 'True') return false;
  if (minReadySeconds <= 0) return true;
  const since = Date.parse(c.lastTransitionTime ?? '');
  return Number.isFinite(since) && since + minReadySeconds * 1000 <= now;
}

/** Whether `labels` match a metav1.LabelSelector; an empty or missing selector matches nothing, as controllers treat it. */
export function selects(selector: unknown, labels: Record<string, string> | undefined): boolean {
  const s = rec(selector);
  if (!s.matchLabels && !s.matchExpressions) return false;
  return selectorMatches(selector, labels ?? {});
}

/** The pods of `namespace` whose controller owner is `owner` (by UID). */
export function ownedBy(pods: readonly KubeObject[], owner: KubeObject): KubeObject[] {
  return pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.controller && r.uid === owner.metadata.uid));
}

/** A controller reference to `owner` (controller and blockOwnerDeletion true, as controllers set it). */
export function controllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/**
 * A pod built from a PodTemplateSpec as upstream's GetPodFromTemplate does: the template's labels,
 * annotations and finalizers, the owner reference, generateName `<prefix>` unless a name is given.
 */
export function podFromTemplate(template: unknown, ref: OwnerReference, namespace: string, generateName: string): KubeObject {
  const t = structuredClone(rec(template)) as Obj;
  const meta = rec(t.metadata);
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace,
      generateName,
      labels: { ...(meta.labels as Record<string, string> | undefined) },
      annotations: { ...(meta.annotations as Record<string, string> | undefined) },
      ownerReferences: [ref],
    },
    spec: rec(t.spec),
  };
  if (Array.isArray(meta.finalizers)) pod.metadata.finalizers = [...(meta.finalizers as string[])];
  if (Object.keys(pod.metadata.annotations!).length === 0) delete pod.metadata.annotations;
  return pod;
}

/** POSTs `obj` to its collection; records SuccessfulCreate/FailedCreate like upstream's RealPodControl. */
export async function createPod(client: ApiClient, recorder: EventRecorder, owner: KubeObject, pod: KubeObject, podType: ResourceType): Promise<KubeObject> {
  try {
    const created = await client.request<KubeObject>('POST', collectionPath(podType, pod.metadata.namespace), { body: pod });
    recorder.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
    return created;
  } catch (e: unknown) {
    recorder.event(owner, 'Warning', 'FailedCreate', `Error creating: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
}

/** DELETEs a pod; a pod already gone counts as deleted. Records SuccessfulDelete/FailedDelete. */
export async function deletePod(client: ApiClient, recorder: EventRecorder, owner: KubeObject, pod: KubeObject, podType: ResourceType): Promise<void> {
  try {
    await client.request('DELETE', objectPath(podType, pod.metadata.namespace, pod.metadata.name!));
    recorder.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
  } catch (e: unknown) {
    if (e instanceof ApiError && e.code === 404) return;
    recorder.event(owner, 'Warning', 'FailedDelete', `Error deleting: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
}

/** Removes `finalizer` from an object with a JSON patch that fails (409/422) if the list changed meanwhile. */
export async function removeFinalizer(client: ApiClient, rt: ResourceType, obj: KubeObject, finalizer: string): Promise<void> {
  const list = obj.metadata.finalizers ?? [];
  const i = list.indexOf(finalizer);
  if (i < 0) return;
  const patch = [
    { op: 'test', path: `/metadata/finalizers/${i}`, value: finalizer },
    { op: 'remove', path: `/metadata/finalizers/${i}` },
  ];
  try {
    await client.request('PATCH', objectPath(rt, obj.metadata.namespace, obj.metadata.name!), { body: patch, contentType: 'application/json-patch+json' });
  } catch (e: unknown) {
    if (e instanceof ApiError && e.code === 404) return;
    throw e;
  }
}

/**
 * Upstream's ActivePods ordering for deletion: unassigned before assigned, Pending before Unknown
 * before Running, not ready before ready, more recently ready first, more restarts first, newer first.
 */
export function compareForDeletion(a: KubeObject, b: KubeObject): number {
  const assigned = (p: KubeObject): number => (spec(p).nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
  const pr = (p: KubeObject): number => phaseRank[podPhase(p)] ?? 0;
  if (pr(a) !== pr(b)) return pr(a) - pr(b);
  const ready = (p: KubeObject): number => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (isPodReady(a) && isPodReady(b)) {
    const ta = Date.parse(conditionOf(a, 'Ready')?.lastTransitionTime ?? '') || 0;
    const tb = Date.parse(conditionOf(b, 'Ready')?.lastTransitionTime ?? '') || 0;
    if (ta !== tb) return tb - ta;
  }
  const restarts = (p: KubeObject): number => arr(status(p).containerStatuses).reduce((s, c) => s + num(c.restartCount, 0), 0);
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const created = (p: KubeObject): number => Date.parse(p.metadata.creationTimestamp ?? '') || 0;
  return created(b) - created(a);
}

/** Sets condition `c` (by type) in `list`, keeping lastTransitionTime when the status did not change. Returns whether anything changed. */
export function setCondition(list: Condition[], c: Condition): boolean {
  const i = list.findIndex((x) => x.type === c.type);
  if (i < 0) {
    list.push(c);
    return true;
  }
  const old = list[i]!;
  if (old.status === c.status && old.reason === c.reason && old.message === c.message) return false;
  list[i] = { ...c, lastTransitionTime: old.status === c.status ? old.lastTransitionTime : c.lastTransitionTime };
  return true;
}

/** Runs `fn` over `items` with at most `limit` in flight; resolves with the settled results. */
export async function inBatches<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = [];
  for (let i = 0; i < items.length; i += limit) out.push(...(await Promise.allSettled(items.slice(i, i + limit).map(fn))));
  return out;
}

/**
 * Upstream's slowStartBatch: creates in batches of 1, 2, 4, … and stops at the first batch with a
 * failure, so a quota or admission error costs one request, not `count`. Returns successes.
 */
export async function slowStartBatch(count: number, initialBatch: number, fn: (i: number) => Promise<unknown>): Promise<{ successes: number; error?: unknown }> {
  let done = 0;
  for (let batch = Math.min(count, initialBatch); batch > 0; batch = Math.min(2 * batch, count - done)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, (_, k) => fn(done + k)));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    done += batch;
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) return { successes: done - batch + ok, error: (failed as PromiseRejectedResult).reason };
  }
  return { successes: done };
}

/** The scalar or percentage IntOrString resolved against `total` (round up or down as asked), as intstr.GetScaledValueFromIntOrPercent. */
export function scaledValue(v: unknown, total: number, roundUp: boolean, dflt: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+%$/.test(v)) {
    const x = (Number(v.slice(0, -1)) * total) / 100;
    return roundUp ? Math.ceil(x) : Math.floor(x);
  }
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return dflt;
}

/**
 * PUTs `status` on `obj` through its status subresource. A 409 Conflict is swallowed: it means a newer
 * version is out there, whose watch event queues the object again. Returns whether the write happened.
 */
export async function putStatus(client: ApiClient, rt: ResourceType, obj: KubeObject, st: unknown): Promise<boolean> {
  try {
    await client.request('PUT', objectPath(rt, obj.metadata.namespace, obj.metadata.name!, 'status'), { body: { ...structuredClone(obj), status: st } });
    return true;
  } catch (e: unknown) {
    if (e instanceof ApiError && e.code === 409) return false;
    throw e;
  }
}
