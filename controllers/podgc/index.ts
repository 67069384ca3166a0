// The pod garbage collector: deletes pods of vanished nodes (after a quarantine), unscheduled terminating pods, and terminated pods above a threshold.
import type { ControllerContext } from '../manager.ts';
import { ApiError, Resources, objectPath, sleep, type KubeObject } from '../runtime/index.ts';
import { arr, isoNow, isPodTerminal, num, spec, status, type Condition } from '../podutil/index.ts';

/** The oldest terminated pods beyond `threshold` (by creation time), as upstream's gcTerminated picks them; none when threshold ≤ 0. */
export function terminatedOverThreshold(pods: readonly KubeObject[], threshold: number): KubeObject[] {
  if (threshold <= 0) return [];
  const done = pods.filter(isPodTerminal);
  if (done.length <= threshold) return [];
  return done.sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? '')).slice(0, done.length - threshold);
}

/**
 * Registers PodGC. Settings: `podGCPeriodMs` (20000), `podGCQuarantineMs` (40000, how long a node must
 * be missing from the cache before its pods go), `terminatedPodGCThreshold` (12500).
 */
export function registerPodGC(ctx: ControllerContext): void {
  const pods = ctx.informers.informerOf(Resources.Pod);
  const nodes = ctx.informers.informerOf(Resources.Node);
  const period = num(ctx.settings.podGCPeriodMs, 20_000);
  const quarantine = num(ctx.settings.podGCQuarantineMs, 40_000);
  const threshold = num(ctx.settings.terminatedPodGCThreshold, 12_500);
  /** Node names missing from the cache, with when they were first found missing. */
  const missingSince = new Map<string, number>();

  const forceDelete = async (pod: KubeObject): Promise<void> => {
    try {
      await ctx.client.request('DELETE', objectPath(Resources.Pod, pod.metadata.namespace, pod.metadata.name!), { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 } });
    } catch (e: unknown) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  };

  /** Upstream's markFailedAndDeletePodWithCondition: a non-terminal pod is marked Failed with a DisruptionTarget condition first. */
  const failAndDelete = async (pod: KubeObject, message: string): Promise<void> => {
    if (!isPodTerminal(pod)) {
      const conds = arr<Condition>(status(pod).conditions).filter((c) => c.type !== 'DisruptionTarget');
      conds.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByPodGC', message, lastTransitionTime: isoNow(), lastProbeTime: null });
      await ctx.client.request('PUT', objectPath(Resources.Pod, pod.metadata.namespace, pod.metadata.name!, 'status'), { body: { ...structuredClone(pod), status: { ...status(pod), phase: 'Failed', conditions: conds } } }).catch(() => undefined);
    }
    await forceDelete(pod);
  };

  const pass = async (): Promise<void> => {
    const all = pods.lister.list();
    for (const pod of terminatedOverThreshold(all, threshold)) await forceDelete(pod);
    const now = Date.now();
    const known = new Set(nodes.lister.keys());
    const byMissingNode = new Map<string, KubeObject[]>();
    for (const pod of all) {
      const node = spec(pod).nodeName;
      if (typeof node !== 'string' || !node || known.has(node)) continue;
      byMissingNode.set(node, [...(byMissingNode.get(node) ?? []), pod]);
    }
    for (const name of missingSince.keys()) if (!byMissingNode.has(name) || known.has(name)) missingSince.delete(name);
    for (const [name, orphans] of byMissingNode) {
      if (!missingSince.has(name)) missingSince.set(name, now);
      if (missingSince.get(name)! + quarantine > now) continue;
      // The cache could lag behind a re-created node: ask the server before deleting.
      try {
        await ctx.client.request('GET', objectPath(Resources.Node, undefined, name));
        missingSince.delete(name);
        continue;
      } catch (e: unknown) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
      for (const pod of orphans) {
        ctx.log.info('deleting orphaned pod', { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, node: name });
        await failAndDelete(pod, 'PodGC: node no longer exists');
      }
    }
    for (const pod of all) if (pod.metadata.deletionTimestamp && !spec(pod).nodeName) await forceDelete(pod);
  };

  ctx.run('podgc', (async () => {
    if (!(await pods.waitForSync(ctx.signal)) || !(await nodes.waitForSync(ctx.signal))) return;
    while (!ctx.signal.aborted) {
      try {
        await pass();
      } catch (e: unknown) {
        ctx.log.warn('pod gc pass failed', { error: e instanceof Error ? e.message : String(e) });
      }
      await sleep(period, ctx.signal).catch(() => undefined);
    }
  })());
}
