// pvc-protection and pv-protection: a claim in use by a pod, or a volume bound to a claim, is deleted only once no longer in use.
import type { ControllerContext } from '../manager.ts';
import { ApiError, Resources, controller, objectPath, resourceType, type Action, type KubeObject } from '../runtime/index.ts';
import { isPodTerminal, rec, spec, status } from '../podutil/index.ts';

import { PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER } from '../../server/registry/volumes.ts';

const PersistentVolume = resourceType('v1', 'PersistentVolume', 'persistentvolumes', false);

/** The claims a pod mounts (by name, in its namespace). */
export function claimsOf(pod: KubeObject): string[] {
  const volumes = Array.isArray(spec(pod).volumes) ? (spec(pod).volumes as unknown[]) : [];
  return volumes.map((v) => rec(rec(v).persistentVolumeClaim).claimName).filter((n): n is string => typeof n === 'string' && n !== '');
}

/** upstream's podUsesPVC: a pod that has not terminated and names the claim (scheduled or not) keeps it. */
export function claimInUse(claim: KubeObject, pods: readonly KubeObject[]): boolean {
  return pods.some((p) => p.metadata.namespace === claim.metadata.namespace && !isPodTerminal(p) && claimsOf(p).includes(claim.metadata.name ?? ''));
}

/** upstream's pv-protection: a volume is in use while its phase is Bound. */
export const volumeInUse = (pv: KubeObject): boolean => status(pv).phase === 'Bound';

/** Removes `finalizer` from a deleted object once `inUse` says it is free (a conflict retries soon). */
async function release(ctx: ControllerContext, obj: KubeObject | undefined, path: string, finalizer: string, inUse: (o: KubeObject) => boolean): Promise<Action> {
  if (!obj?.metadata.deletionTimestamp || !(obj.metadata.finalizers ?? []).includes(finalizer) || inUse(obj)) return 'done';
  try {
    await ctx.client.request('PUT', path, { body: { ...obj, metadata: { ...obj.metadata, finalizers: obj.metadata.finalizers!.filter((f) => f !== finalizer) } } });
  } catch (e: unknown) {
    if (e instanceof ApiError && e.code === 409) return { requeueAfter: 200 };
    if (!(e instanceof ApiError && e.code === 404)) throw e;
  }
  return 'done';
}

/** upstream's pvc-protection controller: a deleted claim keeps its finalizer while a pod that has not terminated uses it. */
export function registerPvcProtection(ctx: ControllerContext): void {
  const claims = ctx.informers.informerOf(Resources.PersistentVolumeClaim);
  const pods = ctx.informers.informerOf(Resources.Pod);
  const claimController = controller('pvc-protection', claims).watches(pods, (pod) => claimsOf(pod).map((name) => `${pod.metadata.namespace}/${name}`));
  ctx.run('pvc-protection', claimController.run(async (key) => {
    const claim = claims.lister.get(key);
    return release(ctx, claim, objectPath(Resources.PersistentVolumeClaim, claim?.metadata.namespace, claim?.metadata.name ?? ''), PVC_PROTECTION_FINALIZER, (c) => claimInUse(c, pods.lister.list()));
  }, { signal: ctx.signal, log: ctx.log }));
}

/** upstream's pv-protection controller: a deleted volume keeps its finalizer while it is Bound. */
export function registerPvProtection(ctx: ControllerContext): void {
  const volumes = ctx.informers.informerOf(PersistentVolume);
  ctx.run('pv-protection', controller('pv-protection', volumes).run(async (key) => {
    const pv = volumes.lister.get(key);
    return release(ctx, pv, objectPath(PersistentVolume, undefined, pv?.metadata.name ?? ''), PV_PROTECTION_FINALIZER, volumeInUse);
  }, { signal: ctx.signal, log: ctx.log }));
}
