// The ReplicaSet / ReplicationController reconciler: claim pods, create or delete to match replicas, write status.
import {
  ControllerExpectations, controller, controllerRefOf, isNotFound, isConflict, keyOf, objectPath, collectionPath, splitKey,
  type ApiClient, type EventRecorder, type Informer, type KubeObject, type ReconcileContext, type ResourceType, type Action,
} from '../runtime/index.ts';
import type { ControllerContext } from '../manager.ts';
import {
  controllerRef, isPodActive, isPodAvailable, isPodReady, podFromTemplate, rankPodsForDeletion, selectorMatches,
  type LabelSelector, type Pod, type PodTemplate,
} from './pod-utils.ts';
import { Resources } from '../runtime/index.ts';

/** Upstream's BurstReplicas: at most this many creates or deletes per sync. */
export const BURST_REPLICAS = 500;
/** controller.SlowStartInitialBatchSize. */
const SLOW_START_INITIAL_BATCH = 1;

export interface ReplicaSetLike extends KubeObject {
  spec?: { replicas?: number; minReadySeconds?: number; selector?: unknown; template?: PodTemplate };
  status?: ReplicaSetStatus;
}

export interface ReplicaSetStatus {
  replicas: number;
  fullyLabeledReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: Array<{ type: string; status: string; lastTransitionTime?: string; reason?: string; message?: string }>;
}

/** What differs between ReplicaSets and ReplicationControllers. */
export interface ReplicaKind {
  name: string;
  rt: ResourceType<ReplicaSetLike>;
  component: string;
  selectorOf(obj: ReplicaSetLike): LabelSelector | undefined;
}

export const REPLICA_SET: ReplicaKind = {
  name: 'replicaset',
  rt: Resources.ReplicaSet as ResourceType<ReplicaSetLike>,
  component: 'replicaset-controller',
  selectorOf: (rs) => rs.spec?.selector as LabelSelector | undefined,
};

export const REPLICATION_CONTROLLER: ReplicaKind = {
  name: 'replicationcontroller',
  rt: Resources.ReplicationController as ResourceType<ReplicaSetLike>,
  component: 'replication-controller',
  // An RC's selector is a plain map; defaulting fills it from the template labels when empty.
  selectorOf: (rc) => {
    const sel = (rc.spec?.selector as Record<string, string> | undefined) ?? rc.spec?.template?.metadata?.labels;
    return sel ? { matchLabels: sel } : undefined;
  },
};

/** controller.SlowStartBatch: batches of 1, 2, 4, … run concurrently; stops after the first batch with an error. */
export async function slowStartBatch(count: number, initial: number, fn: () => Promise<void>): Promise<{ successes: number; error?: unknown }> {
  let remaining = count;
  let successes = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    successes += results.length - results.filter((r) => r.status === 'rejected').length;
    if (failed) return { successes, error: failed.reason };
    remaining -= batch;
  }
  return { successes };
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Registers one replica controller (RS or RC). Guarantees, as upstream: never more creates or deletes
 * in flight than expectations allow (a sync waits until its own writes were observed); adopts
 * matching orphans and releases non-matching pods; status carries observedGeneration.
 */
export function registerReplicaController(ctx: ControllerContext, kind: ReplicaKind): void {
  const rsInf = ctx.informers.informerOf(kind.rt);
  const podInf = ctx.informers.informerOf(Resources.Pod as ResourceType<Pod>);
  const recorder = ctx.recorder(kind.component);
  const exp = new ControllerExpectations();
  const ownerKey = (pod: Pod): string | undefined => {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== kind.rt.kind) return undefined;
    return rsInf.lister.get(`${pod.metadata.namespace}/${ref.name}`)?.metadata.uid === ref.uid ? `${pod.metadata.namespace}/${ref.name}` : undefined;
  };
  const matchingKeys = (pod: Pod): string[] =>
    rsInf.lister
      .listNamespace(pod.metadata.namespace ?? '')
      .filter((rs) => selectorMatches(kind.selectorOf(rs), pod.metadata.labels))
      .map(keyOf);
  const keysFor = (pod: Pod): string[] => {
    const owner = ownerKey(pod);
    if (owner) return [owner];
    if (controllerRefOf(pod)) return [];
    return matchingKeys(pod);
  };
  const podKey = (pod: Pod): string => keyOf(pod);
  podInf.addEventHandler({
    onAdd(pod) {
      const owner = ownerKey(pod);
      if (!owner) return;
      if (pod.metadata.deletionTimestamp) exp.deletionObserved(owner, podKey(pod));
      else exp.creationObserved(owner);
    },
    onUpdate(old, pod) {
      if (pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) {
        // A graceful delete shows up as an update: count it now, the final delete will not count twice.
        const owner = ownerKey(pod);
        if (owner) exp.deletionObserved(owner, podKey(pod));
      }
    },
    onDelete(pod) {
      const owner = ownerKey(pod);
      if (owner) exp.deletionObserved(owner, podKey(pod));
    },
  });
  const c = controller(kind.name, rsInf).watches(podInf, keysFor);
  const reconcile = (key: string, rctx: ReconcileContext): Promise<Action | void> =>
    syncReplicaSet({ ctx, kind, rsInf, podInf, recorder, exp, client: ctx.client }, key, rctx);
  ctx.run(kind.name, c.run(reconcile, { workers: 2, signal: ctx.signal, log: ctx.log }));
}

interface Deps {
  ctx: ControllerContext;
  kind: ReplicaKind;
  rsInf: Informer<ReplicaSetLike>;
  podInf: Informer<Pod>;
  recorder: EventRecorder;
  exp: ControllerExpectations;
  client: ApiClient;
}

async function syncReplicaSet(d: Deps, key: string, rctx: ReconcileContext): Promise<Action | void> {
  const rs = d.rsInf.lister.get(key);
  if (!rs) {
    d.exp.delete(key);
    return 'done';
  }
  const needsSync = d.exp.satisfied(key);
  const selector = d.kind.selectorOf(rs);
  const { namespace } = splitKey(key);
  const active = d.podInf.lister.listNamespace(namespace).filter(isPodActive);
  const pods = await claimPods(d, rs, selector, active);
  let manageErr: unknown;
  if (needsSync && !rs.metadata.deletionTimestamp && !rctx.signal.aborted) manageErr = await manageReplicas(d, key, rs, pods);
  const status = calculateStatus(rs, pods, manageErr);
  const updated = await updateStatus(d, rs, status);
  if (manageErr) throw manageErr;
  const minReady = rs.spec?.minReadySeconds ?? 0;
  const replicas = rs.spec?.replicas ?? 1;
  if (minReady > 0 && (updated.readyReplicas ?? 0) === replicas && (updated.availableReplicas ?? 0) !== replicas) {
    return { requeueAfter: minReady * 1000 };
  }
  return 'done';
}

/** PodControllerRefManager.ClaimPods: keep owned matching pods, adopt matching orphans, release owned non-matching ones. */
async function claimPods(d: Deps, rs: ReplicaSetLike, selector: LabelSelector | undefined, pods: Pod[]): Promise<Pod[]> {
  const claimed: Pod[] = [];
  let canAdopt: boolean | undefined;
  const ref = controllerRef(rs);
  for (const pod of pods) {
    const owner = controllerRefOf(pod);
    const matches = selectorMatches(selector, pod.metadata.labels);
    if (owner) {
      if (owner.uid !== rs.metadata.uid) continue;
      if (matches) {
        claimed.push(pod);
        continue;
      }
      if (rs.metadata.deletionTimestamp) continue;
      await patchOwners(d, pod, (pod.metadata.ownerReferences ?? []).filter((r) => r.uid !== rs.metadata.uid)).catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
      continue;
    }
    if (!matches || rs.metadata.deletionTimestamp || pod.metadata.deletionTimestamp) continue;
    canAdopt ??= await recheckOwner(d, rs);
    if (!canAdopt) continue;
    try {
      await patchOwners(d, pod, [...(pod.metadata.ownerReferences ?? []), ref]);
      claimed.push(pod);
    } catch (e: unknown) {
      if (!isNotFound(e)) throw e;
    }
  }
  return claimed;
}

/** RecheckDeletionTimestamp: a live read makes sure an owner that is going away adopts nothing. */
async function recheckOwner(d: Deps, rs: ReplicaSetLike): Promise<boolean> {
  try {
    const fresh = await d.client.request<ReplicaSetLike>('GET', objectPath(d.kind.rt, rs.metadata.namespace, rs.metadata.name!));
    return fresh.metadata.uid === rs.metadata.uid && !fresh.metadata.deletionTimestamp;
  } catch (e: unknown) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

/** Rewrites a pod's ownerReferences, conditional on the version we decided from. */
async function patchOwners(d: Deps, pod: Pod, refs: unknown[]): Promise<void> {
  await d.client.request('PATCH', objectPath(Resources.Pod, pod.metadata.namespace, pod.metadata.name!), {
    body: { metadata: { ownerReferences: refs, resourceVersion: pod.metadata.resourceVersion, uid: pod.metadata.uid } },
    contentType: 'application/merge-patch+json',
  });
}

async function manageReplicas(d: Deps, key: string, rs: ReplicaSetLike, pods: Pod[]): Promise<unknown> {
  const want = rs.spec?.replicas ?? 1;
  let diff = pods.length - want;
  const ns = rs.metadata.namespace!;
  if (diff < 0) {
    diff = Math.min(-diff, BURST_REPLICAS);
    d.exp.expectCreations(key, diff);
    const template = rs.spec?.template ?? {};
    const { successes, error } = await slowStartBatch(diff, SLOW_START_INITIAL_BATCH, async () => {
      try {
        const created = await d.client.request<Pod>('POST', collectionPath(Resources.Pod, ns), { body: podFromTemplate(template, rs) });
        d.recorder.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (e: unknown) {
        if (isNamespaceTerminating(e)) return;
        d.recorder.event(rs, 'Warning', 'FailedCreate', `Error creating: ${errText(e)}`);
        throw e;
      }
    });
    for (let i = 0; i < diff - successes; i++) d.exp.creationObserved(key);
    return error;
  }
  if (diff > 0) {
    diff = Math.min(diff, BURST_REPLICAS);
    const related = relatedPods(d, rs);
    const onNode = new Map<string, number>();
    for (const p of related) if (isPodActive(p)) onNode.set(p.spec?.nodeName ?? '', (onNode.get(p.spec?.nodeName ?? '') ?? 0) + 1);
    const victims = rankPodsForDeletion(pods, (p) => onNode.get(p.spec?.nodeName ?? '') ?? 0, Date.now()).slice(0, diff);
    d.exp.expectDeletions(key, victims.map(keyOf));
    const results = await Promise.allSettled(
      victims.map(async (pod) => {
        try {
          await d.client.request('DELETE', objectPath(Resources.Pod, ns, pod.metadata.name!));
          d.recorder.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
        } catch (e: unknown) {
          d.exp.deletionObserved(key, keyOf(pod));
          if (isNotFound(e)) return;
          d.recorder.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${errText(e)}`);
          throw e;
        }
      }),
    );
    return results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason;
  }
  return undefined;
}

/** The NamespaceLifecycle refusal (cause NamespaceTerminating upstream; the message as a fallback). */
function isNamespaceTerminating(e: unknown): boolean {
  const status = (e as { status?: { code?: number; message?: string; details?: { causes?: Array<{ reason?: string }> } } }).status;
  return !!status?.details?.causes?.some((c) => c.reason === 'NamespaceTerminating') || (status?.code === 403 && /because it is being terminated$/.test(status.message ?? ''));
}

/** Pods of every ReplicaSet with the same controller owner as `rs` (for the colocation rank), or rs's own. */
function relatedPods(d: Deps, rs: ReplicaSetLike): Pod[] {
  const owner = controllerRefOf(rs);
  const siblings = owner ? d.rsInf.lister.listNamespace(rs.metadata.namespace!).filter((o) => controllerRefOf(o)?.uid === owner.uid) : [rs];
  const uids = new Set(siblings.map((s) => s.metadata.uid));
  return d.podInf.lister.listNamespace(rs.metadata.namespace!).filter((p) => uids.has(controllerRefOf(p)?.uid));
}

/** calculateStatus, with the ReplicaFailure condition set on a failed create/delete and cleared otherwise. */
export function calculateStatus(rs: ReplicaSetLike, pods: Pod[], manageErr: unknown, now = Date.now()): ReplicaSetStatus {
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fully = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (Object.entries(templateLabels).every(([k, v]) => p.metadata.labels?.[k] === v)) fully++;
    if (isPodReady(p)) {
      ready++;
      if (isPodAvailable(p, minReady, now)) available++;
    }
  }
  const status: ReplicaSetStatus = { replicas: pods.length };
  if (fully) status.fullyLabeledReplicas = fully;
  if (ready) status.readyReplicas = ready;
  if (available) status.availableReplicas = available;
  status.observedGeneration = rs.metadata.generation;
  let conditions = [...(rs.status?.conditions ?? [])];
  const failure = conditions.find((c) => c.type === 'ReplicaFailure');
  if (manageErr && !failure) {
    const reason = pods.length - (rs.spec?.replicas ?? 1) < 0 ? 'FailedCreate' : 'FailedDelete';
    conditions.push({ type: 'ReplicaFailure', status: 'True', lastTransitionTime: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'), reason, message: errText(manageErr) });
  } else if (!manageErr && failure) {
    conditions = conditions.filter((c) => c.type !== 'ReplicaFailure');
  }
  if (conditions.length) status.conditions = conditions;
  return status;
}

function sameStatus(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  return JSON.stringify(a ?? {}) === JSON.stringify(b);
}

/** updateReplicaSetStatus: skip when nothing moved; on conflict re-read once and try again. */
async function updateStatus(d: Deps, rs: ReplicaSetLike, status: ReplicaSetStatus): Promise<ReplicaSetStatus> {
  if (sameStatus(rs.status, status)) return status;
  let current: ReplicaSetLike = rs;
  for (let attempt = 0; ; attempt++) {
    try {
      await d.client.request('PUT', objectPath(d.kind.rt, current.metadata.namespace, current.metadata.name!, 'status'), { body: { ...current, status } });
      return status;
    } catch (e: unknown) {
      if (isNotFound(e)) return status;
      if (!isConflict(e) || attempt >= 1) throw e;
      current = await d.client.request<ReplicaSetLike>('GET', objectPath(d.kind.rt, rs.metadata.namespace, rs.metadata.name!));
    }
  }
}
