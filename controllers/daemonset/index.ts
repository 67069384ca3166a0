// The DaemonSet controller: one pod per eligible node, pinned by node affinity, RollingUpdate or OnDelete, ControllerRevisions and status.
import type { ControllerContext } from '../manager.ts';
import { ControllerExpectations, Indexers, Resources, controller, controllerRefOf, keyOf, objectPath, type Action, type KubeObject } from '../runtime/index.ts';
import { putStatus as putStatusOf, arr, controllerRef, createPod, deletePod, isPodAvailable, isPodReady, num, ownedBy, podFromTemplate, podPhase, rec, selects, slowStartBatch, spec, status } from '../podutil/index.ts';
import { REVISION_HASH_LABEL, cleanupRevisions, syncRevision } from '../podutil/history.ts';
import type { Toleration } from '../podutil/scheduling.ts';
import { daemonTolerations, isUpdated, nodeShouldRunDaemonPod, pinToNode, rollingUpdatePlan, targetNodeName, withTolerations, type NodePods } from './logic.ts';

const COMPONENT = 'daemonset-controller';

export function registerDaemonSet(ctx: ControllerContext): void {
  const dsets = ctx.informers.informerOf(Resources.DaemonSet);
  const pods = ctx.informers.informerOf(Resources.Pod);
  const nodes = ctx.informers.informerOf(Resources.Node);
  const revisions = ctx.informers.informerOf(Resources.ControllerRevision);
  pods.addIndexers({ controllerUid: Indexers.byControllerUid });
  const recorder = ctx.recorder(COMPONENT);
  const expectations = new ControllerExpectations();
  const dsKeyOf = (p: KubeObject): string | undefined => {
    const ref = controllerRefOf(p);
    return ref?.kind === 'DaemonSet' ? `${p.metadata.namespace}/${ref.name}` : undefined;
  };
  pods.addEventHandler({
    onAdd: (p) => {
      const k = dsKeyOf(p);
      if (k) expectations.creationObserved(k);
    },
    onDelete: (p) => {
      const k = dsKeyOf(p);
      if (k) expectations.deletionObserved(k, keyOf(p));
    },
  });

  const newPodFor = (ds: KubeObject, nodeName: string, hash: string): KubeObject => {
    const pod = podFromTemplate(spec(ds).template, controllerRef(ds, 'apps/v1', 'DaemonSet'), ds.metadata.namespace!, `${ds.metadata.name}-`);
    pod.metadata.labels = { ...pod.metadata.labels, [REVISION_HASH_LABEL]: hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) };
    const ps = pod.spec as Record<string, unknown>;
    ps.tolerations = withTolerations(arr<Toleration>(ps.tolerations), daemonTolerations(ps.hostNetwork === true));
    pinToNode(ps, nodeName);
    return pod;
  };

  const reconcile = async (key: string): Promise<Action> => {
    const ds = dsets.lister.get(key);
    if (!ds) {
      expectations.delete(key);
      return 'done';
    }
    if (ds.metadata.deletionTimestamp) return 'done';
    const now = Date.now();
    const allNodes = nodes.lister.list();
    const dsPods = ownedBy(pods.lister.byIndex('controllerUid', ds.metadata.uid!), ds).filter((p) => selects(spec(ds).selector, p.metadata.labels));
    const rev = await syncRevision(ctx.client, revisions.lister, ds, 'DaemonSet', (count) => putStatus(ds, { ...status(ds), collisionCount: count }));
    const hash = rev.hash;
    const byNode = new Map<string, KubeObject[]>();
    for (const p of dsPods) {
      const n = targetNodeName(p);
      if (n === undefined) continue;
      byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    const live = (ps: KubeObject[] | undefined): KubeObject[] => (ps ?? []).filter((p) => !p.metadata.deletionTimestamp);
    const maxSurgeSpec = rec(rec(spec(ds).updateStrategy).rollingUpdate).maxSurge;
    const surge = rec(spec(ds).updateStrategy).type !== 'OnDelete' && (num(maxSurgeSpec, 0) > 0 || /^0*[1-9]\d*%$/.test(String(maxSurgeSpec ?? '')));
    let requeue: number | undefined;

    if (expectations.satisfied(key)) {
      const createOn: string[] = [];
      const toDelete: KubeObject[] = [];
      const nodeNames = new Set(allNodes.map((n) => n.metadata.name!));
      for (const node of allNodes) {
        const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
        const onNode = live(byNode.get(node.metadata.name!));
        if (shouldRun && onNode.length === 0) createOn.push(node.metadata.name!);
        else if (shouldContinueRunning) {
          const running: KubeObject[] = [];
          for (const p of onNode) {
            if (podPhase(p) === 'Failed') {
              recorder.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${node.metadata.name}, will try to kill it`);
              toDelete.push(p);
            } else running.push(p);
          }
          if (running.length > 1) {
            running.sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''));
            if (!surge) toDelete.push(...running.slice(1));
            else {
              // With surge, an updated pod and one old pod may share a node until the new one is available.
              const updated = running.filter((p) => isUpdated(p, ds, hash));
              const old = running.filter((p) => !isUpdated(p, ds, hash));
              toDelete.push(...updated.slice(1), ...old.slice(1));
              if (updated[0] && old[0] && isPodAvailable(updated[0], num(spec(ds).minReadySeconds, 0), now)) toDelete.push(old[0]);
            }
          }
        } else toDelete.push(...onNode);
      }
      for (const [n, ps] of byNode) if (!nodeNames.has(n)) toDelete.push(...live(ps));
      if (createOn.length + toDelete.length > 0) {
        await syncNodes(ds, key, createOn, toDelete, hash);
      } else if ((rec(spec(ds).updateStrategy).type ?? 'RollingUpdate') === 'RollingUpdate') {
        const nodePods: NodePods[] = allNodes.map((n) => ({ node: n.metadata.name!, pods: live(byNode.get(n.metadata.name!)), shouldRun: nodeShouldRunDaemonPod(n, ds).shouldRun }));
        const desired = nodePods.filter((n) => n.shouldRun).length;
        const plan = rollingUpdatePlan(ds, nodePods.filter((n) => n.pods.length > 0 || n.shouldRun), hash, desired, now);
        if (plan.createOn.length + plan.deletePods.length > 0) await syncNodes(ds, key, plan.createOn, plan.deletePods, hash);
        // Availability after minReadySeconds is time-driven: look again then.
        if (num(spec(ds).minReadySeconds, 0) > 0) requeue = num(spec(ds).minReadySeconds, 0) * 1000;
      }
    }

    // Status, from the cache as it stands.
    let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
    for (const node of allNodes) {
      const onNode = live(byNode.get(node.metadata.name!)).sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''));
      const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
      if (shouldRun) {
        desired++;
        if (onNode.length > 0) {
          current++;
          const p = onNode.find((x) => isUpdated(x, ds, hash)) ?? onNode[0]!;
          if (isPodReady(p)) ready++;
          if (isPodAvailable(p, num(spec(ds).minReadySeconds, 0), now)) available++;
          if (isUpdated(p, ds, hash)) updated++;
        }
      } else if (onNode.length > 0) misscheduled++;
    }
    const st: Record<string, unknown> = {
      ...status(ds),
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
      observedGeneration: ds.metadata.generation,
      updatedNumberScheduled: updated,
      numberAvailable: available,
    };
    if (desired - available > 0) st.numberUnavailable = desired - available;
    else delete st.numberUnavailable;
    if (JSON.stringify(st) !== JSON.stringify(status(ds))) await putStatus(ds, st);
    const liveHashes = new Set(dsPods.map((p) => p.metadata.labels?.[REVISION_HASH_LABEL] ?? ''));
    await cleanupRevisions(ctx.client, rev.all, rev.current, (r) => liveHashes.has(r.metadata.labels?.[REVISION_HASH_LABEL] ?? ''), num(spec(ds).revisionHistoryLimit, 10));
    return requeue !== undefined ? { requeueAfter: requeue } : 'done';
  };

  const putStatus = async (ds: KubeObject, st: Record<string, unknown>): Promise<void> => {
    await putStatusOf(ctx.client, Resources.DaemonSet, ds, st);
  };

  const syncNodes = async (ds: KubeObject, key: string, createOn: string[], toDelete: KubeObject[], hash: string): Promise<void> => {
    expectations.expectDeletions(key, toDelete.map(keyOf));
    expectations.raise(key, createOn.length, 0);
    const { successes, error } = await slowStartBatch(createOn.length, 1, async (i) => {
      try {
        await createPod(ctx.client, recorder, ds, newPodFor(ds, createOn[i]!, hash), Resources.Pod);
      } catch (e: unknown) {
        expectations.creationObserved(key);
        throw e;
      }
    });
    for (let i = successes + (error ? 1 : 0); i < createOn.length; i++) expectations.creationObserved(key);
    const results = await Promise.allSettled(toDelete.map((p) => deletePod(ctx.client, recorder, ds, p, Resources.Pod)));
    results.forEach((r, i) => r.status === 'rejected' && expectations.deletionObserved(key, keyOf(toDelete[i]!)));
    if (error) throw error;
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  };

  const nodeChanged = (): string[] => dsets.lister.keys();
  const c = controller('daemonset-controller', dsets)
    .owns(pods)
    .watches(nodes, nodeChanged)
    .watches(revisions, (r) => {
      const ref = controllerRefOf(r);
      return ref?.kind === 'DaemonSet' ? `${r.metadata.namespace}/${ref.name}` : undefined;
    });
  ctx.run('daemonset', c.run(reconcile, { workers: 2, signal: ctx.signal, log: ctx.log }));
}
