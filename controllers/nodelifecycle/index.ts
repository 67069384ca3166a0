// The node lifecycle and taint-eviction controllers: silent nodes become Unknown and tainted; pods on NoExecute-tainted nodes are evicted after their toleration.
import type { ControllerContext } from '../manager.ts';
import { ApiError, Indexers, Resources, objectPath, sleep, type Informer, type KubeObject } from '../runtime/index.ts';
import { arr, conditionOf, isoNow, num, spec, status, type Condition } from '../podutil/index.ts';
import { canonicalJson } from '../podutil/hash.ts';
import type { Taint } from '../podutil/scheduling.ts';
import { desiredTaints, silentNodeConditions, tolerationWindowMs } from './logic.ts';

interface Health {
  probe: number;
  heartbeat: string | undefined;
  renew: string | undefined;
}

/** Runs `step` every `periodMs` once the informers synced, until the manager's signal aborts; a failing step is logged. */
async function every(ctx: ControllerContext, name: string, informers: Informer<KubeObject>[], periodMs: number, step: () => Promise<void>): Promise<void> {
  for (const i of informers) if (!(await i.waitForSync(ctx.signal))) return;
  while (!ctx.signal.aborted) {
    try {
      await step();
    } catch (e: unknown) {
      ctx.log.warn(`${name} pass failed`, { error: e instanceof Error ? e.message : String(e) });
    }
    await sleep(periodMs, ctx.signal).catch(() => undefined);
  }
}

/**
 * Registers the node lifecycle controller. Settings (ms unless said): `nodeMonitorPeriodMs` (5000),
 * `nodeMonitorGracePeriodMs` (40000), `nodeStartupGracePeriodMs` (60000).
 */
export function registerNodeLifecycle(ctx: ControllerContext): void {
  const nodes = ctx.informers.informerOf(Resources.Node);
  const leases = ctx.informers.informerOf(Resources.Lease, { namespace: 'kube-node-lease' });
  const pods = ctx.informers.informerOf(Resources.Pod);
  pods.addIndexers({ nodeName: Indexers.byNodeName });
  const recorder = ctx.recorder('node-controller');
  const period = num(ctx.settings.nodeMonitorPeriodMs, 5000);
  const grace = num(ctx.settings.nodeMonitorGracePeriodMs, 40_000);
  const startupGrace = num(ctx.settings.nodeStartupGracePeriodMs, 60_000);
  const health = new Map<string, Health>();

  const monitor = async (): Promise<void> => {
    const now = Date.now();
    const seen = new Set<string>();
    for (const cached of nodes.lister.list()) {
      const name = cached.metadata.name!;
      seen.add(name);
      const heartbeat = conditionOf(cached, 'Ready')?.lastHeartbeatTime;
      const renew = leases.lister.get(`kube-node-lease/${name}`)?.spec as { renewTime?: string } | undefined;
      let h = health.get(name);
      if (!h) health.set(name, (h = { probe: now, heartbeat, renew: renew?.renewTime }));
      if (heartbeat !== h.heartbeat) Object.assign(h, { heartbeat, probe: now });
      if (renew?.renewTime && renew.renewTime !== h.renew) Object.assign(h, { renew: renew.renewTime, probe: now });
      let node = cached;
      const wasReady = conditionOf(node, 'Ready')?.status;
      const limit = conditionOf(node, 'Ready') ? grace : startupGrace;
      if (now > h.probe + limit) {
        const conds = silentNodeConditions(node, now);
        if (conds) {
          node = await ctx.client.request<KubeObject>('PUT', objectPath(Resources.Node, undefined, name, 'status'), { body: { ...structuredClone(node), status: { ...status(node), conditions: conds } } });
          if (wasReady === 'True' || wasReady === undefined) recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
        }
      }
      const ready = conditionOf(node, 'Ready')?.status;
      const taints = desiredTaints(node, now);
      if (canonicalJson(taints) !== canonicalJson(arr(spec(node).taints))) {
        const body = structuredClone(node);
        (body.spec as Record<string, unknown>) = { ...spec(node), taints: taints.length ? taints : undefined };
        try {
          node = await ctx.client.request<KubeObject>('PUT', objectPath(Resources.Node, undefined, name), { body });
        } catch (e: unknown) {
          if (!(e instanceof ApiError && e.code === 409)) throw e;
        }
      }
      if (ready !== undefined && ready !== 'True') await markPodsNotReady(name, now);
    }
    for (const name of health.keys()) if (!seen.has(name)) health.delete(name);
  };

  const markPodsNotReady = async (nodeName: string, now: number): Promise<void> => {
    for (const pod of pods.lister.byIndex('nodeName', nodeName)) {
      const conds = arr<Condition>(status(pod).conditions);
      if (!conds.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const next = conds.map((c) => (c.type === 'Ready' ? { ...c, status: 'False', lastTransitionTime: isoNow(now) } : c));
      try {
        await ctx.client.request('PUT', objectPath(Resources.Pod, pod.metadata.namespace, pod.metadata.name!, 'status'), { body: { ...structuredClone(pod), status: { ...status(pod), conditions: next } } });
        recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
      } catch (e: unknown) {
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
      }
    }
  };

  ctx.run('nodelifecycle', every(ctx, 'node monitor', [nodes, leases, pods] as Informer<KubeObject>[], period, monitor));
}

/**
 * Registers the taint-eviction controller. Settings: `taintEvictionPeriodMs` (1000),
 * `defaultTolerationSeconds` (300; what pods without their own not-ready/unreachable toleration are
 * given, as the DefaultTolerationSeconds admission plugin would; null disables the fallback).
 */
export function registerTaintEviction(ctx: ControllerContext): void {
  const nodes = ctx.informers.informerOf(Resources.Node);
  const pods = ctx.informers.informerOf(Resources.Pod);
  pods.addIndexers({ nodeName: Indexers.byNodeName });
  const recorder = ctx.recorder('taint-eviction-controller');
  const dts = ctx.settings.defaultTolerationSeconds === null ? undefined : num(ctx.settings.defaultTolerationSeconds, 300);
  /** When each pod was first seen under NoExecute taints (upstream measures tolerations from then). */
  const since = new Map<string, number>();

  const pass = async (): Promise<void> => {
    const now = Date.now();
    const live = new Set<string>();
    for (const node of nodes.lister.list()) {
      const taints = arr<Taint>(spec(node).taints).filter((t) => t.effect === 'NoExecute');
      if (taints.length === 0) continue;
      for (const pod of pods.lister.byIndex('nodeName', node.metadata.name!)) {
        if (pod.metadata.deletionTimestamp) continue;
        const id = `${pod.metadata.uid}@${node.metadata.name}`;
        live.add(id);
        if (!since.has(id)) since.set(id, now);
        const window = tolerationWindowMs(pod, taints, dts);
        if (window === Infinity || since.get(id)! + window > now) continue;
        await evict(pod, now);
      }
    }
    for (const id of since.keys()) if (!live.has(id)) since.delete(id);
  };

  const evict = async (pod: KubeObject, now: number): Promise<void> => {
    recorder.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${pod.metadata.namespace}/${pod.metadata.name}`);
    try {
      const conds = arr<Condition>(status(pod).conditions).filter((c) => c.type !== 'DisruptionTarget');
      conds.push({ type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: isoNow(now), lastProbeTime: null });
      await ctx.client.request('PUT', objectPath(Resources.Pod, pod.metadata.namespace, pod.metadata.name!, 'status'), { body: { ...structuredClone(pod), status: { ...status(pod), conditions: conds } } }).catch(() => undefined);
      await ctx.client.request('DELETE', objectPath(Resources.Pod, pod.metadata.namespace, pod.metadata.name!));
    } catch (e: unknown) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  };

  ctx.run('taint-eviction', every(ctx, 'taint eviction', [nodes, pods] as Informer<KubeObject>[], num(ctx.settings.taintEvictionPeriodMs, 1000), pass));
}
