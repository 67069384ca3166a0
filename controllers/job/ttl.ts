// The TTL-after-finished controller: deletes finished Jobs (foreground) once ttlSecondsAfterFinished has passed.
import type { ControllerContext } from '../manager.ts';
import { ApiError, Resources, controller, objectPath, splitKey, type Action, type KubeObject } from '../runtime/index.ts';
import { arr, spec, type Condition, status } from '../podutil/index.ts';

/**
 * When a finished job expires: its Complete/Failed condition's lastTransitionTime plus the TTL, or
 * undefined when it has no TTL or has not finished (upstream's timeLeft).
 */
export function jobExpiresAt(job: KubeObject): number | undefined {
  const ttl = spec(job).ttlSecondsAfterFinished;
  if (typeof ttl !== 'number' || job.metadata.deletionTimestamp) return undefined;
  const c = arr<Condition>(status(job).conditions).find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  if (!c) return undefined;
  const finished = Date.parse(c.lastTransitionTime ?? '');
  return (Number.isFinite(finished) ? finished : Date.now()) + ttl * 1000;
}

export function registerTTLAfterFinished(ctx: ControllerContext): void {
  const jobs = ctx.informers.informerOf(Resources.Job);
  const reconcile = async (key: string): Promise<Action> => {
    const cached = jobs.lister.get(key);
    if (!cached) return 'done';
    const at = jobExpiresAt(cached);
    if (at === undefined) return 'done';
    if (at > Date.now()) return { requeueAfter: at - Date.now() + 50 };
    // The cache may be stale (e.g. the TTL was just raised): decide on a fresh copy, as upstream does.
    const { namespace, name } = splitKey(key);
    let fresh: KubeObject;
    try {
      fresh = await ctx.client.request<KubeObject>('GET', objectPath(Resources.Job, namespace, name));
    } catch (e: unknown) {
      if (e instanceof ApiError && e.code === 404) return 'done';
      throw e;
    }
    const freshAt = jobExpiresAt(fresh);
    if (freshAt === undefined) return 'done';
    if (freshAt > Date.now()) return { requeueAfter: freshAt - Date.now() + 50 };
    try {
      await ctx.client.request('DELETE', objectPath(Resources.Job, namespace, name), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground', preconditions: { uid: fresh.metadata.uid, resourceVersion: fresh.metadata.resourceVersion } },
      });
    } catch (e: unknown) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
    }
    return 'done';
  };
  ctx.run('ttl-after-finished', controller('ttl-after-finished-controller', jobs).run(reconcile, { signal: ctx.signal, log: ctx.log }));
}
