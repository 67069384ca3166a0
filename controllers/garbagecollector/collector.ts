// The garbage collector: deletes dependents whose owners are gone, runs foreground deletion and orphaning, as upstream's.
import {
  ApiError, isConflict, isNotFound, objectPath, Resources, resourceType, WorkQueue,
  type ApiClient, type Informer, type KubeObject, type OwnerReference, type ResourceType,
} from '../runtime/index.ts';
import type { ControllerContext } from '../manager.ts';
import type { Logger } from '../../server/log.ts';
import { ResourceResolver } from './resolver.ts';

export const FOREGROUND = 'foregroundDeletion';
export const ORPHAN = 'orphan';
const UID_INDEX = 'gc/uid';
const OWNER_INDEX = 'gc/owner-uid';
const byUid = (o: KubeObject): string[] => (o.metadata.uid ? [o.metadata.uid] : []);
const byOwner = (o: KubeObject): string[] => (o.metadata.ownerReferences ?? []).map((r) => r.uid);

/** The resources whose objects the collector tracks (owners and dependents). */
export const GC_RESOURCES: readonly ResourceType[] = [
  Resources.Pod, Resources.ReplicaSet, Resources.Deployment, Resources.ReplicationController, Resources.Job, Resources.CronJob,
  Resources.DaemonSet, Resources.StatefulSet, Resources.ControllerRevision, Resources.EndpointSlice, Resources.Endpoints,
  Resources.ConfigMap, Resources.Secret, Resources.Service, Resources.PersistentVolumeClaim, Resources.ServiceAccount,
  Resources.PodDisruptionBudget, Resources.Lease, Resources.Node, Resources.Namespace,
  resourceType('v1', 'PersistentVolume', 'persistentvolumes', false),
  resourceType('v1', 'PodTemplate', 'podtemplates'),
  resourceType('rbac.authorization.k8s.io/v1', 'Role', 'roles'),
  resourceType('rbac.authorization.k8s.io/v1', 'RoleBinding', 'rolebindings'),
];

const has = (o: KubeObject, finalizer: string): boolean => !!o.metadata.finalizers?.includes(finalizer);
const hasForeground = (o: KubeObject): boolean => !!o.metadata.deletionTimestamp && has(o, FOREGROUND);

/**
 * Registers the "garbagecollector" controller. Guarantees, as upstream: a dependent is deleted only
 * after a live read showed every owner absent (or replaced by another uid) or waiting for its
 * dependents; foreground deletion removes blocking dependents before the owner's finalizer; orphaning
 * strips the owner's references from its dependents before removing the orphan finalizer.
 */
export function registerGarbageCollector(ctx: ControllerContext): void {
  const informers = GC_RESOURCES.map((rt) => {
    const inf = ctx.informers.informerOf(rt);
    inf.addIndexers({ [UID_INDEX]: byUid, [OWNER_INDEX]: byOwner });
    return inf;
  });
  const gc = new GarbageCollector(ctx.client, informers, ctx.log.child('garbage-collector'));
  ctx.run('garbagecollector', gc.run(ctx.signal));
}

class GarbageCollector {
  readonly #client: ApiClient;
  readonly #informers: Informer<KubeObject>[];
  readonly #log: Logger;
  readonly #resolver: ResourceResolver;
  readonly #attemptToDelete = new WorkQueue();
  readonly #attemptToOrphan = new WorkQueue();

  constructor(client: ApiClient, informers: Informer<KubeObject>[], log: Logger) {
    this.#client = client;
    this.#informers = informers;
    this.#log = log;
    this.#resolver = new ResourceResolver(client, informers.map((i) => i.resource));
    for (const inf of informers) {
      inf.addEventHandler({
        onAdd: (o) => this.#observe(undefined, o),
        onUpdate: (old, o) => this.#observe(old, o),
        onDelete: (o) => this.#observeDelete(o),
      });
    }
  }

  async run(signal: AbortSignal): Promise<void> {
    const synced = await Promise.all(this.#informers.map((i) => i.waitForSync(signal)));
    if (!synced.every(Boolean)) return;
    this.#log.info('all resource monitors have synced, proceeding to collect garbage');
    const stop = new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
    const workers = [
      this.#work(this.#attemptToDelete, (uid) => this.#attemptToDeleteItem(uid)),
      this.#work(this.#attemptToDelete, (uid) => this.#attemptToDeleteItem(uid)),
      this.#work(this.#attemptToOrphan, (uid) => this.#attemptToOrphanItem(uid)),
    ];
    await stop;
    this.#attemptToDelete.shutDown();
    this.#attemptToOrphan.shutDown();
    await Promise.all(workers);
  }

  async #work(queue: WorkQueue, fn: (uid: string) => Promise<void>): Promise<void> {
    for (let uid = await queue.get(); uid !== undefined; uid = await queue.get()) {
      try {
        await fn(uid);
        queue.forget(uid);
      } catch (e: unknown) {
        this.#log.warn('garbage collection failed, will retry', { uid, error: e instanceof Error ? e.message : String(e) });
        queue.addRateLimited(uid);
      } finally {
        queue.done(uid);
      }
    }
  }

  // ---- the graph, read from the caches ----
  #byUid(uid: string): { obj: KubeObject; rt: ResourceType } | undefined {
    for (const inf of this.#informers) {
      const [obj] = inf.lister.byIndex(UID_INDEX, uid);
      if (obj) return { obj, rt: inf.resource };
    }
    return undefined;
  }

  #dependents(uid: string): KubeObject[] {
    return this.#informers.flatMap((inf) => inf.lister.byIndex(OWNER_INDEX, uid));
  }

  #observe(old: KubeObject | undefined, obj: KubeObject): void {
    const uid = obj.metadata.uid;
    if (!uid) return;
    if (obj.metadata.deletionTimestamp && has(obj, ORPHAN)) this.#attemptToOrphan.add(uid);
    if (hasForeground(obj)) {
      this.#attemptToDelete.add(uid);
      for (const dep of this.#dependents(uid)) this.#attemptToDelete.add(dep.metadata.uid!);
    }
    // Owners not (yet) known: have the dependent checked against the live API.
    for (const ref of obj.metadata.ownerReferences ?? []) if (!this.#byUid(ref.uid)) this.#attemptToDelete.add(uid);
    // References dropped or unblocked: an owner waiting for its dependents may be done.
    if (old) {
      const now = new Map((obj.metadata.ownerReferences ?? []).map((r) => [r.uid, r]));
      for (const ref of old.metadata.ownerReferences ?? []) {
        if (ref.blockOwnerDeletion && !now.get(ref.uid)?.blockOwnerDeletion) this.#wakeOwner(ref.uid);
      }
    }
  }

  #observeDelete(obj: KubeObject): void {
    for (const dep of this.#dependents(obj.metadata.uid ?? '')) this.#attemptToDelete.add(dep.metadata.uid!);
    for (const ref of obj.metadata.ownerReferences ?? []) this.#wakeOwner(ref.uid);
  }

  #wakeOwner(uid: string): void {
    const owner = this.#byUid(uid);
    if (owner && hasForeground(owner.obj)) this.#attemptToDelete.add(uid);
  }

  // ---- attemptToDelete ----
  async #attemptToDeleteItem(uid: string): Promise<void> {
    const found = this.#byUid(uid);
    if (!found) return;
    const { obj, rt } = found;
    if (obj.metadata.deletionTimestamp && !has(obj, FOREGROUND)) return;
    const latest = await this.#get(rt, obj);
    if (!latest) return;
    if (latest.metadata.deletionTimestamp && has(latest, FOREGROUND)) return this.#processDeletingDependents(rt, latest);
    if (latest.metadata.deletionTimestamp) return;
    const refs = latest.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const owner = await this.#lookupOwner(ref, latest);
      if (owner === 'unknown') solid.push(ref);
      else if (!owner) dangling.push(ref);
      else if (owner.metadata.deletionTimestamp && has(owner, FOREGROUND)) waiting.push(ref);
      else solid.push(ref);
    }
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Not garbage: drop the references to owners that are gone or going.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      await this.#patchOwnerRefs(rt, latest, (rs) => rs.filter((r) => !drop.has(r.uid)));
      return;
    }
    if (waiting.length > 0 && this.#dependents(uid).length > 0) {
      if (this.#dependents(uid).some(hasForeground)) {
        // A possible cycle: make our references non-blocking first, as upstream.
        const waitingUids = new Set(waiting.map((r) => r.uid));
        await this.#patchOwnerRefs(rt, latest, (rs) => rs.map((r) => (waitingUids.has(r.uid) ? { ...r, blockOwnerDeletion: false } : r)));
      }
      return this.#delete(rt, latest, 'Foreground');
    }
    const policy = has(latest, ORPHAN) ? 'Orphan' : has(latest, FOREGROUND) ? 'Foreground' : 'Background';
    return this.#delete(rt, latest, policy);
  }

  async #processDeletingDependents(rt: ResourceType, obj: KubeObject): Promise<void> {
    const uid = obj.metadata.uid!;
    const blocking = this.#dependents(uid).filter((d) => d.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
    if (blocking.length === 0) return this.#removeFinalizer(rt, obj, FOREGROUND);
    for (const dep of blocking) if (!hasForeground(dep)) this.#attemptToDelete.add(dep.metadata.uid!);
  }

  /** The owner as the API serves it now: the object, undefined when absent (or another uid), 'unknown' when its kind cannot be resolved. */
  async #lookupOwner(ref: OwnerReference, dependent: KubeObject): Promise<KubeObject | undefined | 'unknown'> {
    const rt = await this.#resolver.resolve(ref.apiVersion, ref.kind);
    if (!rt) {
      this.#log.warn('cannot resolve owner kind; leaving the dependent alone', { apiVersion: ref.apiVersion, kind: ref.kind });
      return 'unknown';
    }
    if (!rt.namespaced || dependent.metadata.namespace) {
      try {
        const owner = await this.#client.request<KubeObject>('GET', objectPath(rt, dependent.metadata.namespace, ref.name));
        return owner.metadata.uid === ref.uid ? owner : undefined;
      } catch (e: unknown) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    }
    // A cluster-scoped dependent cannot have a namespaced owner: the reference is invalid, hence absent.
    return undefined;
  }

  // ---- attemptToOrphan ----
  async #attemptToOrphanItem(uid: string): Promise<void> {
    const found = this.#byUid(uid);
    if (!found) return;
    const { obj, rt } = found;
    if (!obj.metadata.deletionTimestamp || !has(obj, ORPHAN)) return;
    for (const dep of this.#dependents(uid)) {
      const depRt = this.#informers.find((i) => i.lister.byIndex(UID_INDEX, dep.metadata.uid!).length > 0)?.resource;
      if (!depRt) continue;
      const latest = await this.#get(depRt, dep);
      if (latest) await this.#patchOwnerRefs(depRt, latest, (rs) => rs.filter((r) => r.uid !== uid));
    }
    const latestOwner = await this.#get(rt, obj);
    if (latestOwner) await this.#removeFinalizer(rt, latestOwner, ORPHAN);
  }

  // ---- writes ----
  async #get(rt: ResourceType, obj: KubeObject): Promise<KubeObject | undefined> {
    try {
      const latest = await this.#client.request<KubeObject>('GET', objectPath(rt, obj.metadata.namespace, obj.metadata.name!));
      return latest.metadata.uid === obj.metadata.uid ? latest : undefined;
    } catch (e: unknown) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async #delete(rt: ResourceType, obj: KubeObject, policy: 'Orphan' | 'Foreground' | 'Background'): Promise<void> {
    this.#log.info('deleting object', { kind: rt.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, propagationPolicy: policy });
    try {
      await this.#client.request('DELETE', objectPath(rt, obj.metadata.namespace, obj.metadata.name!), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy, preconditions: { uid: obj.metadata.uid } },
      });
    } catch (e: unknown) {
      if (isNotFound(e) || (e instanceof ApiError && e.code === 409)) return;
      throw e;
    }
  }

  /** Merge-patches ownerReferences, conditional on the version read; re-reads on conflict. */
  async #patchOwnerRefs(rt: ResourceType, obj: KubeObject, change: (refs: OwnerReference[]) => OwnerReference[]): Promise<void> {
    let current: KubeObject | undefined = obj;
    for (let attempt = 0; current && attempt < 5; attempt++) {
      const refs = change(current.metadata.ownerReferences ?? []);
      if (JSON.stringify(refs) === JSON.stringify(current.metadata.ownerReferences ?? [])) return;
      try {
        await this.#mergePatch(rt, current, { ownerReferences: refs.length ? refs : null });
        return;
      } catch (e: unknown) {
        if (isNotFound(e)) return;
        if (!isConflict(e)) throw e;
        current = await this.#get(rt, current);
      }
    }
  }

  async #removeFinalizer(rt: ResourceType, obj: KubeObject, finalizer: string): Promise<void> {
    let current: KubeObject | undefined = obj;
    for (let attempt = 0; current && attempt < 5; attempt++) {
      if (!has(current, finalizer)) return;
      const rest = (current.metadata.finalizers ?? []).filter((f) => f !== finalizer);
      try {
        await this.#mergePatch(rt, current, { finalizers: rest.length ? rest : null });
        return;
      } catch (e: unknown) {
        if (isNotFound(e)) return;
        if (!isConflict(e)) throw e;
        current = await this.#get(rt, current);
      }
    }
  }

  async #mergePatch(rt: ResourceType, obj: KubeObject, metadata: Record<string, unknown>): Promise<void> {
    await this.#client.request('PATCH', objectPath(rt, obj.metadata.namespace, obj.metadata.name!), {
      body: { metadata: { ...metadata, resourceVersion: obj.metadata.resourceVersion, uid: obj.metadata.uid } },
      contentType: 'application/merge-patch+json',
    });
  }
}
