// The Deployment controller: claims ReplicaSets, then scales, rolls out (RollingUpdate / Recreate) and reports status as upstream.
import {
  controller, controllerRefOf, isNotFound, keyOf, objectPath, Resources, splitKey,
  type Action, type Informer, type ReconcileContext, type ResourceType,
} from '../runtime/index.ts';
import type { ControllerContext } from '../manager.ts';
import { controllerRef, selectorIsEmpty, selectorMatches, type Pod } from '../replicaset/pod-utils.ts';
import { DeploymentSync } from './sync.ts';
import type { Deployment, RS } from './util.ts';

/**
 * Registers kube-controller-manager's "deployment" controller. Guarantees: ReplicaSets are named
 * `<deployment>-<pod-template-hash>` and owned with controller references; a Deployment being
 * deleted only gets status updates; every write is derived from the caches plus the answers of the
 * writes of the same sync, so a restart resumes a rollout from the cluster's state.
 */
export function registerDeployment(ctx: ControllerContext): void {
  const dInf = ctx.informers.informerOf(Resources.Deployment as ResourceType<Deployment>);
  const rsInf = ctx.informers.informerOf(Resources.ReplicaSet as ResourceType<RS>);
  const podInf = ctx.informers.informerOf(Resources.Pod as ResourceType<Pod>);
  const recorder = ctx.recorder('deployment-controller');

  const rsKeys = (rs: RS): string[] => {
    const ref = controllerRefOf(rs);
    if (ref) {
      if (ref.kind !== 'Deployment') return [];
      const key = `${rs.metadata.namespace}/${ref.name}`;
      return dInf.lister.get(key)?.metadata.uid === ref.uid ? [key] : [];
    }
    // An orphan: every Deployment that would adopt it.
    return dInf.lister
      .listNamespace(rs.metadata.namespace ?? '')
      .filter((d) => selectorMatches(d.spec.selector, rs.metadata.labels))
      .map(keyOf);
  };
  // Recreate waits for old pods to go away: a pod deletion may unblock it.
  const podKeys = (pod: Pod): string[] => {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== 'ReplicaSet') return [];
    const rs = rsInf.lister.get(`${pod.metadata.namespace}/${ref.name}`);
    if (!rs) return [];
    return rsKeys(rs).filter((k) => dInf.lister.get(k)?.spec.strategy?.type === 'Recreate');
  };
  const c = controller('deployment', dInf).watches(rsInf, rsKeys).watches(podInf, podKeys);
  const reconcile = (key: string, rctx: ReconcileContext): Promise<Action | void> => syncDeployment(ctx, dInf, rsInf, podInf, recorder, key, rctx);
  ctx.run('deployment', c.run(reconcile, { workers: 2, signal: ctx.signal, log: ctx.log }));
}

async function syncDeployment(
  ctx: ControllerContext,
  dInf: Informer<Deployment>,
  rsInf: Informer<RS>,
  podInf: Informer<Pod>,
  recorder: ReturnType<ControllerContext['recorder']>,
  key: string,
  rctx: ReconcileContext,
): Promise<Action | void> {
  const cached = dInf.lister.get(key);
  if (!cached || rctx.signal.aborted) return 'done';
  const d = structuredClone(cached);
  if (selectorIsEmpty(d.spec.selector)) {
    recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
    if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
      d.status = { ...d.status, observedGeneration: d.metadata.generation };
      await ctx.client.request('PUT', objectPath(Resources.Deployment, d.metadata.namespace, d.metadata.name!, 'status'), { body: d });
    }
    return 'done';
  }
  const rsList = await claimReplicaSets(ctx, d, rsInf.lister.listNamespace(splitKey(key).namespace));
  const s = new DeploymentSync({ client: ctx.client, recorder, pods: podInf.lister }, d, rsList);
  const result = (): Action => (s.requeueAfterMs !== undefined ? { requeueAfter: s.requeueAfterMs } : 'done');
  if (d.metadata.deletionTimestamp) {
    await s.syncStatusOnly();
    return 'done';
  }
  await s.checkPausedConditions();
  if (s.d.spec.paused) {
    await s.sync();
    return 'done';
  }
  if (await s.isScalingEvent()) {
    await s.sync();
    return 'done';
  }
  if (s.d.spec.strategy?.type === 'Recreate') await s.rolloutRecreate();
  else await s.rolloutRolling();
  return result();
}

/** ReplicaSetControllerRefManager.ClaimReplicaSets: owned and matching kept, orphans adopted, owned non-matching released. */
async function claimReplicaSets(ctx: ControllerContext, d: Deployment, all: RS[]): Promise<RS[]> {
  const claimed: RS[] = [];
  let canAdopt: boolean | undefined;
  for (const rs of all) {
    const owner = controllerRefOf(rs);
    const matches = selectorMatches(d.spec.selector, rs.metadata.labels);
    if (owner) {
      if (owner.uid !== d.metadata.uid) continue;
      if (matches) claimed.push(rs);
      else if (!d.metadata.deletionTimestamp) await patchOwners(ctx, rs, (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== d.metadata.uid));
      continue;
    }
    if (!matches || d.metadata.deletionTimestamp || rs.metadata.deletionTimestamp) continue;
    canAdopt ??= await recheck(ctx, d);
    if (!canAdopt) continue;
    const adopted = await patchOwners(ctx, rs, [...(rs.metadata.ownerReferences ?? []), controllerRef(d)]);
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}

async function recheck(ctx: ControllerContext, d: Deployment): Promise<boolean> {
  try {
    const fresh = await ctx.client.request<Deployment>('GET', objectPath(Resources.Deployment, d.metadata.namespace, d.metadata.name!));
    return fresh.metadata.uid === d.metadata.uid && !fresh.metadata.deletionTimestamp;
  } catch (e: unknown) {
    if (isNotFound(e)) return false;
    throw e;
  }
}

async function patchOwners(ctx: ControllerContext, rs: RS, refs: unknown[]): Promise<RS | undefined> {
  try {
    return await ctx.client.request<RS>('PATCH', objectPath(Resources.ReplicaSet, rs.metadata.namespace, rs.metadata.name!), {
      body: { metadata: { ownerReferences: refs, resourceVersion: rs.metadata.resourceVersion, uid: rs.metadata.uid } },
      contentType: 'application/merge-patch+json',
    });
  } catch (e: unknown) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}
