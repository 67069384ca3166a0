// The StatefulSet controller: ordinal pods with stable names and claims, OrderedReady/Parallel, partitioned rolling updates, revisions and status.
import type { ControllerContext } from '../manager.ts';
import { ApiError, Indexers, Resources, collectionPath, controller, controllerRefOf, objectPath, type Action, type KubeObject } from '../runtime/index.ts';
import { putStatus as putStatusOf, num, ownedBy, rec, selects, spec, status } from '../podutil/index.ts';
import { HISTORY_HASH_LABEL, REVISION_HASH_LABEL, cleanupRevisions, syncRevision } from '../podutil/history.ts';
import { planSync, replicasOf, runningAndAvailable, runningAndReady, statefulClaims, statefulPod } from './logic.ts';

const COMPONENT = 'statefulset-controller';

export function registerStatefulSet(ctx: ControllerContext): void {
  const sets = ctx.informers.informerOf(Resources.StatefulSet);
  const pods = ctx.informers.informerOf(Resources.Pod);
  const revisions = ctx.informers.informerOf(Resources.ControllerRevision);
  const claims = ctx.informers.informerOf(Resources.PersistentVolumeClaim);
  pods.addIndexers({ controllerUid: Indexers.byControllerUid });
  const recorder = ctx.recorder(COMPONENT);

  const putStatus = async (sts: KubeObject, st: Record<string, unknown>): Promise<void> => {
    await putStatusOf(ctx.client, Resources.StatefulSet, sts, st);
  };

  const createClaims = async (sts: KubeObject, ord: number, podName: string): Promise<void> => {
    for (const pvc of statefulClaims(sts, ord)) {
      if (claims.lister.get(`${pvc.metadata.namespace}/${pvc.metadata.name}`)) continue;
      try {
        await ctx.client.request('POST', collectionPath(Resources.PersistentVolumeClaim, pvc.metadata.namespace), { body: pvc });
        recorder.event(sts, 'Normal', 'SuccessfulCreate', `create Claim ${pvc.metadata.name} Pod ${podName} in StatefulSet ${sts.metadata.name} success`);
      } catch (e: unknown) {
        if (e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists') continue;
        recorder.event(sts, 'Warning', 'FailedCreate', `create Claim ${pvc.metadata.name} for Pod ${podName} in StatefulSet ${sts.metadata.name} failed error: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
    }
  };

  const reconcile = async (key: string): Promise<Action> => {
    const sts = sets.lister.get(key);
    if (!sts || sts.metadata.deletionTimestamp) return 'done';
    const now = Date.now();
    const ns = sts.metadata.namespace!;
    const mine = ownedBy(pods.lister.byIndex('controllerUid', sts.metadata.uid!), sts).filter((p) => selects(spec(sts).selector, p.metadata.labels));
    const rev = await syncRevision(ctx.client, revisions.lister, sts, 'StatefulSet', (count) => putStatus(sts, { ...status(sts), collisionCount: count }), HISTORY_HASH_LABEL);
    const updateRevision = rev.current.metadata.name!;
    const st0 = status(sts);
    const currentRevName = typeof st0.currentRevision === 'string' && rev.all.some((r) => r.metadata.name === st0.currentRevision) ? st0.currentRevision : updateRevision;
    const currentRev = rev.all.find((r) => r.metadata.name === currentRevName) ?? rev.current;
    const steps = planSync(sts, mine, updateRevision, currentRevName, num(st0.currentReplicas, 0), now);
    let requeue: number | undefined;
    for (const step of steps) {
      if (step.kind === 'wait') {
        ctx.log.debug(step.reason, { statefulset: key });
        if (num(spec(sts).minReadySeconds, 0) > 0) requeue = 1000;
        continue;
      }
      if (step.kind === 'create') {
        const fromCurrent = step.revision === 'current';
        const template = fromCurrent ? rec(rec(rec(currentRev.data).spec).template) : rec(spec(sts).template);
        const tpl = { ...template };
        delete tpl.$patch;
        const pod = statefulPod(sts, tpl, fromCurrent ? currentRevName : updateRevision, step.ordinal);
        await createClaims(sts, step.ordinal, pod.metadata.name!);
        try {
          await ctx.client.request('POST', collectionPath(Resources.Pod, ns), { body: pod });
          recorder.event(sts, 'Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`);
        } catch (e: unknown) {
          if (e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists') continue;
          recorder.event(sts, 'Warning', 'FailedCreate', `create Pod ${pod.metadata.name} in StatefulSet ${sts.metadata.name} failed error: ${e instanceof Error ? e.message : String(e)}`);
          throw e;
        }
      } else {
        try {
          await ctx.client.request('DELETE', objectPath(Resources.Pod, ns, step.pod.metadata.name!), { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: step.pod.metadata.uid } } });
          recorder.event(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${step.pod.metadata.name} in StatefulSet ${sts.metadata.name} successful`);
        } catch (e: unknown) {
          if (e instanceof ApiError && (e.code === 404 || e.code === 409)) continue;
          recorder.event(sts, 'Warning', 'FailedDelete', `delete Pod ${step.pod.metadata.name} in StatefulSet ${sts.metadata.name} failed error: ${e instanceof Error ? e.message : String(e)}`);
          throw e;
        }
      }
    }

    // Status from the pods as cached (the next event brings the effect of this step).
    const minReady = num(spec(sts).minReadySeconds, 0);
    let replicas = 0, ready = 0, available = 0, current = 0, updated = 0;
    for (const p of mine) {
      replicas++;
      if (runningAndReady(p)) ready++;
      if (runningAndAvailable(p, minReady, now)) available++;
      if (p.metadata.deletionTimestamp) continue;
      const r = p.metadata.labels?.[REVISION_HASH_LABEL];
      if (r === currentRevName) current++;
      if (r === updateRevision) updated++;
    }
    const st: Record<string, unknown> = {
      ...st0,
      observedGeneration: sts.metadata.generation,
      replicas,
      readyReplicas: ready,
      currentReplicas: current,
      updatedReplicas: updated,
      currentRevision: currentRevName,
      updateRevision,
      collisionCount: num(st0.collisionCount, 0),
      availableReplicas: available,
    };
    if (!ready) delete st.readyReplicas;
    if ((rec(spec(sts).updateStrategy).type ?? 'RollingUpdate') === 'RollingUpdate' && updated === replicas && ready === replicas && replicas === replicasOf(sts)) {
      st.currentRevision = updateRevision;
      st.currentReplicas = updated;
    }
    if (JSON.stringify(st) !== JSON.stringify(st0)) await putStatus(sts, st);
    const liveRevs = new Set([String(st.currentRevision), updateRevision, ...mine.map((p) => p.metadata.labels?.[REVISION_HASH_LABEL] ?? '')]);
    await cleanupRevisions(ctx.client, rev.all, rev.current, (r) => liveRevs.has(r.metadata.name!), num(spec(sts).revisionHistoryLimit, 10));
    return requeue !== undefined ? { requeueAfter: requeue } : 'done';
  };

  const c = controller('statefulset-controller', sets)
    .owns(pods)
    .watches(revisions, (r) => {
      const ref = controllerRefOf(r);
      return ref?.kind === 'StatefulSet' ? `${r.metadata.namespace}/${ref.name}` : undefined;
    });
  ctx.run('statefulset', c.run(reconcile, { workers: 2, signal: ctx.signal, log: ctx.log }));
}
