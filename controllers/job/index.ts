// The Job controller: runs pods to completion with parallelism, back-off, deadlines and finalizer-based tracking, like upstream's job-controller.
import type { ControllerContext } from '../manager.ts';
import { ControllerExpectations, Resources, isConflict, controller, controllerRefOf, keyOf, objectPath, type Action, type KubeObject } from '../runtime/index.ts';
import {
  arr, compareForDeletion, conditionOf, controllerRef, createPod, deletePod, isoNow, isPodActive, isPodReady, num, ownedBy, podFromTemplate,
  podPhase, rec, removeFinalizer, selects, slowStartBatch, spec, status, type Condition,
} from '../podutil/index.ts';
import {
  COMPLETION_INDEX_ANNOTATION, MAX_POD_CREATE_DELETE_PER_SYNC, MAX_UNCOUNTED_PODS, TRACKING_FINALIZER, backoffRemainingMs, completionIndex,
  formatIndexes, isPodFailed, nextBackoffRecord, parseIndexes, pastActiveDeadline, pastBackoffLimitOnFailure, wantActive, type BackoffRecord,
} from './logic.ts';
export { registerTTLAfterFinished } from './ttl.ts';

const COMPONENT = 'job-controller';

/** Whether a Job has finished: a Complete or Failed condition with status True. */
export function isJobFinished(job: KubeObject): Condition | undefined {
  return arr<Condition>(status(job).conditions).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

interface Uncounted {
  succeeded: string[];
  failed: string[];
}

/**
 * Registers the Job controller. Settings read: `jobBackoffBaseMs` / `jobBackoffMaxMs` (tests shorten
 * upstream's 10 s / 10 min pod-failure back-off).
 */
export function registerJob(ctx: ControllerContext): void {
  const jobs = ctx.informers.informerOf(Resources.Job);
  const pods = ctx.informers.informerOf(Resources.Pod);
  const recorder = ctx.recorder(COMPONENT);
  const expectations = new ControllerExpectations();
  const backoffs = new Map<string, BackoffRecord>();
  /** UIDs of pods whose tracking finalizer we removed (the cache may not show it yet). */
  const finalizerGone = new Set<string>();
  /** The resourceVersion of our last status write per job: a cache older than it is not acted on. */
  const written = new Map<string, number>();
  const baseMs = num(ctx.settings.jobBackoffBaseMs, 10_000);
  const maxMs = num(ctx.settings.jobBackoffMaxMs, 600_000);
  const jobKeyOf = (pod: KubeObject): string | undefined => {
    const ref = controllerRefOf(pod);
    return ref && ref.kind === 'Job' && ref.apiVersion.startsWith('batch/') ? `${pod.metadata.namespace}/${ref.name}` : undefined;
  };
  pods.addEventHandler({
    onAdd: (p) => {
      const k = jobKeyOf(p);
      if (k) expectations.creationObserved(k);
    },
    onDelete: (p) => {
      const k = jobKeyOf(p);
      if (k) expectations.deletionObserved(k, keyOf(p));
      if (p.metadata.uid) finalizerGone.delete(p.metadata.uid);
    },
  });

  const hasFinalizer = (p: KubeObject): boolean => !!p.metadata.finalizers?.includes(TRACKING_FINALIZER) && !finalizerGone.has(p.metadata.uid ?? '');

  const dropFinalizer = async (p: KubeObject): Promise<void> => {
    await removeFinalizer(ctx.client, Resources.Pod, p, TRACKING_FINALIZER);
    finalizerGone.add(p.metadata.uid ?? '');
  };

  const putStatus = async (key: string, job: KubeObject, st: Record<string, unknown>): Promise<KubeObject> => {
    const body = { ...structuredClone(job), status: omitEmpty(st) } as KubeObject;
    const updated = await ctx.client.request<KubeObject>('PUT', objectPath(Resources.Job, job.metadata.namespace, job.metadata.name!, 'status'), { body });
    written.set(key, Number(updated.metadata.resourceVersion));
    return updated;
  };

  const reconcile = async (key: string): Promise<Action> => {
    try {
      return await syncJob(key);
    } catch (e: unknown) {
      // A conflict means a newer Job is on its way through the watch, which queues the key again.
      if (isConflict(e)) return 'done';
      throw e;
    }
  };

  const syncJob = async (key: string): Promise<Action> => {
    const cached = jobs.lister.get(key);
    if (!cached) {
      expectations.delete(key);
      backoffs.delete(key);
      written.delete(key);
      return 'done';
    }
    if (Number(cached.metadata.resourceVersion) < (written.get(key) ?? 0)) return 'done';
    let job = cached;
    const now = Date.now();
    const jobPods = ownedBy(pods.lister.listNamespace(job.metadata.namespace!), job).filter((p) => selects(spec(job).selector, p.metadata.labels));
    if (isJobFinished(job)) {
      // Finished jobs only release their pods (the pods stay until the TTL controller or a user deletes the job).
      await Promise.all(jobPods.filter(hasFinalizer).map(dropFinalizer));
      return 'done';
    }
    if (spec(job).managedBy !== undefined && spec(job).managedBy !== 'kubernetes.io/job-controller') return 'done';
    const satisfied = expectations.satisfied(key);
    const st = structuredClone(status(job));
    const completions = typeof spec(job).completions === 'number' ? (spec(job).completions as number) : undefined;
    const indexed = spec(job).completionMode === 'Indexed' && completions !== undefined;
    const suspended = spec(job).suspend === true;
    const uncounted: Uncounted = { succeeded: [...arr<string>(rec(st.uncountedTerminatedPods).succeeded)], failed: [...arr<string>(rec(st.uncountedTerminatedPods).failed)] };
    const conditions = arr<Condition>(st.conditions);
    let requeue: number | undefined;

    let active = jobPods.filter(isPodActive);
    const terminating = jobPods.filter((p) => p.metadata.deletionTimestamp && podPhase(p) !== 'Succeeded' && podPhase(p) !== 'Failed').length;
    // Pods finished but not yet in uncountedTerminatedPods (they still carry our finalizer).
    const newSucceeded: KubeObject[] = [];
    const newFailed: KubeObject[] = [];
    for (const p of jobPods) {
      if (!hasFinalizer(p)) continue;
      const uid = p.metadata.uid!;
      if (uncounted.succeeded.includes(uid) || uncounted.failed.includes(uid)) continue;
      if (podPhase(p) === 'Succeeded') newSucceeded.push(p);
      else if (isPodFailed(p, job)) newFailed.push(p);
    }
    let succeededIdx = indexed ? parseIndexes(st.completedIndexes as string | undefined, completions) : [];
    if (indexed) {
      for (const p of newSucceeded) {
        const ix = completionIndex(p);
        if (ix !== undefined && ix < completions) succeededIdx.push(ix);
      }
      succeededIdx = [...new Set(succeededIdx)].sort((a, b) => a - b);
    }
    const succeeded = indexed ? succeededIdx.length : num(st.succeeded, 0) + newSucceeded.length + uncounted.succeeded.length;
    const failed = num(st.failed, 0) + newFailed.length + uncounted.failed.length;
    if (!st.startTime && !suspended) st.startTime = isoNow(now);

    const record = nextBackoffRecord(backoffs.get(key) ?? { failuresAfterLastSuccess: 0, lastFailureTime: undefined }, newSucceeded, newFailed, now);
    let finished: Condition | undefined;
    const interim = conditions.find((c) => (c.type === 'SuccessCriteriaMet' || c.type === 'FailureTarget') && c.status === 'True');
    if (interim) finished = interim;
    else if (failed > num(spec(job).backoffLimit, 6) || pastBackoffLimitOnFailure(job, active)) {
      finished = newCondition('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
    } else if (pastActiveDeadline(job, now)) {
      finished = newCondition('FailureTarget', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
    } else if (typeof spec(job).activeDeadlineSeconds === 'number' && !suspended && st.startTime) {
      requeue = Math.max(0, Date.parse(String(st.startTime)) + (spec(job).activeDeadlineSeconds as number) * 1000 - now);
    }

    let needsFlush = newSucceeded.length + newFailed.length > 0;
    if (finished?.type === 'FailureTarget') {
      // A failing job removes its running pods (keeping their finalizers until they are counted).
      await Promise.all(active.map((p) => deletePod(ctx.client, recorder, job, p, Resources.Pod)));
      for (const p of active) if (hasFinalizer(p) && !uncounted.failed.includes(p.metadata.uid!) && !newFailed.includes(p)) newFailed.push(p);
      active = [];
      needsFlush = true;
    } else if (!finished) {
      if (satisfied && !job.metadata.deletionTimestamp) {
        const r = await manageJob(job, active, succeeded, succeededIdx, record, now);
        if (r.requeue !== undefined) requeue = Math.min(requeue ?? Infinity, r.requeue);
        active = r.active;
      }
      const complete = completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions && active.length === 0;
      if (complete) finished = newCondition('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
      else if (satisfied) needsFlush = updateSuspended(job, conditions, suspended, st, now) || needsFlush;
    }
    if (finished && !conditions.some((c) => c.type === finished!.type)) {
      conditions.push(finished);
      needsFlush = true;
    }
    st.conditions = conditions;
    const ready = active.filter(isPodReady).length;
    if (num(st.active, 0) !== active.length || st.ready !== ready || st.terminating !== terminating) needsFlush = true;
    st.active = active.length;
    st.ready = ready;
    st.terminating = terminating;

    // Step 1: record newly finished pods as uncounted (indexed successes are tracked by index).
    for (const p of newFailed.slice(0, MAX_UNCOUNTED_PODS)) uncounted.failed.push(p.metadata.uid!);
    if (!indexed) for (const p of newSucceeded.slice(0, MAX_UNCOUNTED_PODS)) uncounted.succeeded.push(p.metadata.uid!);
    if (indexed) st.completedIndexes = formatIndexes(succeededIdx);
    st.uncountedTerminatedPods = compactUncounted(uncounted);
    if (!needsFlush && uncounted.succeeded.length + uncounted.failed.length === 0 && !(finished && terminating === 0)) {
      return requeue !== undefined ? { requeueAfter: requeue + 100 } : 'done';
    }
    job = await putStatus(key, job, st);
    backoffs.set(key, record);

    // Step 2: release the finished pods, then count every uncounted UID whose pod no longer holds the finalizer.
    const release = jobPods.filter((p) => hasFinalizer(p) && (uncounted.succeeded.includes(p.metadata.uid!) || uncounted.failed.includes(p.metadata.uid!) || (indexed && podPhase(p) === 'Succeeded')));
    await Promise.all(release.map(dropFinalizer));
    const stillHeld = new Set(jobPods.filter(hasFinalizer).map((p) => p.metadata.uid!));
    const st2 = structuredClone(status(job));
    const moveS = uncounted.succeeded.filter((u) => !stillHeld.has(u));
    const moveF = uncounted.failed.filter((u) => !stillHeld.has(u));
    if (!indexed) st2.succeeded = num(st2.succeeded, 0) + moveS.length;
    else st2.succeeded = succeededIdx.length;
    st2.failed = num(st2.failed, 0) + moveF.length;
    const left: Uncounted = { succeeded: uncounted.succeeded.filter((u) => stillHeld.has(u)), failed: uncounted.failed.filter((u) => stillHeld.has(u)) };
    st2.uncountedTerminatedPods = compactUncounted(left);
    // Step 3: the terminal condition, once every pod is counted and none is still terminating.
    let event: [string, string, string] | undefined;
    if (finished && left.succeeded.length + left.failed.length === 0 && terminating === 0) {
      const conds = arr<Condition>(st2.conditions);
      const type = finished.type === 'SuccessCriteriaMet' ? 'Complete' : 'Failed';
      if (!conds.some((c) => c.type === type)) {
        conds.push({ ...finished, type, lastProbeTime: isoNow(now), lastTransitionTime: isoNow(now) });
        st2.conditions = conds;
        if (type === 'Complete') st2.completionTime = isoNow(now);
        event = type === 'Complete' ? ['Normal', 'Completed', 'Job completed'] : ['Warning', finished.reason!, finished.message!];
      }
    }
    if (JSON.stringify(omitEmpty(st2)) !== JSON.stringify(status(job))) job = await putStatus(key, job, st2);
    if (event) recorder.event(job, event[0] as 'Normal' | 'Warning', event[1], event[2]);
    if (left.succeeded.length + left.failed.length > 0) return { requeueAfter: 1000 };
    return requeue !== undefined ? { requeueAfter: requeue + 100 } : 'done';
  };

  /** Creates or deletes pods toward the wanted number of active pods; returns the active pods afterwards. */
  const manageJob = async (job: KubeObject, active: KubeObject[], succeeded: number, succeededIdx: number[], record: BackoffRecord, now: number): Promise<{ active: KubeObject[]; requeue?: number }> => {
    const key = keyOf(job);
    if (spec(job).suspend === true) {
      const victims = [...active].sort(compareForDeletion);
      expectations.expectDeletions(key, victims.map(keyOf));
      await Promise.all(victims.map((p) => deletePod(ctx.client, recorder, job, p, Resources.Pod)));
      return { active: [] };
    }
    const indexed = spec(job).completionMode === 'Indexed';
    const completions = num(spec(job).completions, 1);
    let excess: KubeObject[] = [];
    let keep = active;
    if (indexed) {
      // Active pods with a bad, succeeded or duplicated index are surplus.
      const seen = new Set<number>();
      keep = [];
      for (const p of [...active].sort((a, b) => Date.parse(a.metadata.creationTimestamp ?? '') - Date.parse(b.metadata.creationTimestamp ?? ''))) {
        const ix = completionIndex(p);
        if (ix === undefined || ix >= completions || succeededIdx.includes(ix) || seen.has(ix)) excess.push(p);
        else {
          seen.add(ix);
          keep.push(p);
        }
      }
    }
    const want = wantActive(job, keep.length, succeeded);
    if (keep.length > want) excess = [...excess, ...[...keep].sort(compareForDeletion).slice(0, keep.length - want)];
    if (excess.length > 0) {
      const victims = excess.slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
      expectations.expectDeletions(key, victims.map(keyOf));
      await Promise.all(victims.map((p) => deletePod(ctx.client, recorder, job, p, Resources.Pod)));
      return { active: active.filter((p) => !victims.includes(p)) };
    }
    if (keep.length >= want) return { active };
    const wait = backoffRemainingMs(record, now, baseMs, maxMs);
    if (wait > 0) return { active, requeue: wait };
    let indexes: number[] = [];
    if (indexed) {
      const taken = new Set([...succeededIdx, ...keep.map((p) => completionIndex(p)!)]);
      for (let i = 0; i < completions && indexes.length < want - keep.length; i++) if (!taken.has(i)) indexes.push(i);
    }
    const diff = Math.min(want - keep.length, MAX_POD_CREATE_DELETE_PER_SYNC);
    expectations.expectCreations(key, diff);
    const ref = controllerRef(job, 'batch/v1', 'Job');
    const created: KubeObject[] = [];
    const { successes, error } = await slowStartBatch(diff, 1, async (i) => {
      const ix = indexed ? indexes[i] : undefined;
      const pod = podFromTemplate(spec(job).template, ref, job.metadata.namespace!, ix === undefined ? `${job.metadata.name}-` : `${job.metadata.name}-${ix}-`);
      pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []), TRACKING_FINALIZER];
      if (ix !== undefined) addIndex(pod, job, ix);
      try {
        created.push(await createPod(ctx.client, recorder, job, pod, Resources.Pod));
      } catch (e: unknown) {
        expectations.creationObserved(key);
        throw e;
      }
    });
    // Creations never attempted after a failed batch will not be observed either.
    for (let i = successes + (error ? 1 : 0); i < diff; i++) expectations.creationObserved(key);
    if (error) throw error;
    return { active: [...active, ...created] };
  };

  const c = controller('job-controller', jobs).owns(pods);
  ctx.run('job', c.run(reconcile, { workers: 2, signal: ctx.signal, log: ctx.log }));
}

function newCondition(type: string, reason: string, message: string, now: number): Condition {
  return { type, status: 'True', lastProbeTime: isoNow(now), lastTransitionTime: isoNow(now), reason, message };
}

/** Go's omitempty on JobStatus: zero counters and an empty condition list are not written. */
function omitEmpty(st: Record<string, unknown>): Record<string, unknown> {
  const out = { ...st };
  for (const k of ['active', 'succeeded', 'failed']) if (out[k] === 0) delete out[k];
  if (Array.isArray(out.conditions) && out.conditions.length === 0) delete out.conditions;
  if (out.completedIndexes === '') delete out.completedIndexes;
  return out;
}

function compactUncounted(u: Uncounted): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (u.succeeded.length) out.succeeded = u.succeeded;
  if (u.failed.length) out.failed = u.failed;
  return out;
}

/** Suspended=True/False bookkeeping with upstream's reasons; resuming restarts the deadline clock. */
function updateSuspended(job: KubeObject, conditions: Condition[], suspended: boolean, st: Record<string, unknown>, now: number): boolean {
  const cur = conditions.find((c) => c.type === 'Suspended');
  if (suspended) {
    if (cur?.status === 'True') return false;
    const c = newCondition('Suspended', 'JobSuspended', 'Job suspended', now);
    if (cur) Object.assign(cur, c);
    else conditions.push(c);
    return true;
  }
  if (!cur || cur.status === 'False') return false;
  Object.assign(cur, { status: 'False', reason: 'JobResumed', message: 'Job resumed', lastProbeTime: isoNow(now), lastTransitionTime: isoNow(now) });
  st.startTime = isoNow(now);
  void job;
  return true;
}

/** The per-index additions upstream makes to an Indexed job's pod: annotation, label, hostname, JOB_COMPLETION_INDEX. */
function addIndex(pod: KubeObject, job: KubeObject, ix: number): void {
  pod.metadata.annotations = { ...pod.metadata.annotations, [COMPLETION_INDEX_ANNOTATION]: String(ix) };
  pod.metadata.labels = { ...pod.metadata.labels, [COMPLETION_INDEX_ANNOTATION]: String(ix) };
  const ps = pod.spec as Record<string, unknown>;
  if (!ps.hostname) ps.hostname = `${job.metadata.name}-${ix}`;
  const env = { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { fieldPath: `metadata.labels['${COMPLETION_INDEX_ANNOTATION}']` } } };
  for (const list of ['initContainers', 'containers']) {
    for (const c of arr(ps[list])) {
      const e = arr(c.env);
      if (!e.some((x) => x.name === 'JOB_COMPLETION_INDEX')) c.env = [...e, env];
    }
  }
}
