// The Job controller's pure rules: pod-failure back-off, completed-index sets, how many pods should run, pod finish times.
import type { KubeObject } from '../runtime/index.ts';
import { arr, num, podPhase, rec, spec, status } from '../podutil/index.ts';

/** Upstream's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff (pkg/controller/job). */
export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;
/** Upstream's MaxUncountedPods and MaxPodCreateDeletePerSync. */
export const MAX_UNCOUNTED_PODS = 500;
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

export const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** Failures since the last success and when the latest of them happened (upstream's backoffRecord). */
export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime: number | undefined;
}

/**
 * When a pod finished: the latest container finishedAt, else the Ready=False transition, else the
 * deletion timestamp, else `now` (upstream's getFinishedTime order).
 */
export function podFinishTime(pod: KubeObject, now: number): number {
  const st = status(pod);
  let latest: number | undefined;
  for (const cs of [...arr(st.containerStatuses), ...arr(st.initContainerStatuses)]) {
    const t = Date.parse(String(rec(rec(cs.state).terminated).finishedAt ?? ''));
    if (Number.isFinite(t) && (latest === undefined || t > latest)) latest = t;
  }
  if (latest !== undefined) return latest;
  const ready = arr(st.conditions).find((c) => c.type === 'Ready' && c.status === 'False');
  const rt = Date.parse(String(ready?.lastTransitionTime ?? ''));
  if (Number.isFinite(rt)) return rt;
  const dt = Date.parse(pod.metadata.deletionTimestamp ?? '');
  return Number.isFinite(dt) ? dt : now;
}

/**
 * The record after seeing newly finished pods: no success keeps counting failures; a success resets
 * the count to the failures that finished after the latest success.
 */
export function nextBackoffRecord(prev: BackoffRecord, newSucceeded: readonly KubeObject[], newFailed: readonly KubeObject[], now: number): BackoffRecord {
  const failedTimes = newFailed.map((p) => podFinishTime(p, now)).sort((a, b) => a - b);
  if (newSucceeded.length === 0) {
    if (failedTimes.length === 0) return prev;
    return { failuresAfterLastSuccess: prev.failuresAfterLastSuccess + failedTimes.length, lastFailureTime: failedTimes[failedTimes.length - 1] };
  }
  const lastSuccess = Math.max(...newSucceeded.map((p) => podFinishTime(p, now)));
  const after = failedTimes.filter((t) => t > lastSuccess);
  return { failuresAfterLastSuccess: after.length, lastFailureTime: after.length ? after[after.length - 1] : undefined };
}

/** How long to wait before creating a replacement pod: base · 2^(failures−1), capped, minus the time since the last failure. */
export function backoffRemainingMs(r: BackoffRecord, now: number, baseMs = DEFAULT_POD_FAILURE_BACKOFF_MS, maxMs = MAX_POD_FAILURE_BACKOFF_MS): number {
  if (r.failuresAfterLastSuccess === 0 || r.lastFailureTime === undefined) return 0;
  let d = baseMs;
  for (let i = 1; i < r.failuresAfterLastSuccess; i++) {
    d *= 2;
    if (d >= maxMs) {
      d = maxMs;
      break;
    }
  }
  const elapsed = now - r.lastFailureTime;
  return d < elapsed ? 0 : d - elapsed;
}

/** Parses `status.completedIndexes` ("1,3-5") into a sorted set of indexes; malformed parts are skipped. */
export function parseIndexes(s: string | undefined, completions: number): number[] {
  const out = new Set<number>();
  for (const part of (s ?? '').split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    for (let i = lo; i <= hi && i < completions; i++) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

/** Formats indexes the way upstream writes completedIndexes: runs of 3+ as "a-b", otherwise comma-separated ("0,1" stays, "0-2"). */
export function formatIndexes(indexes: Iterable<number>): string {
  const xs = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < xs.length; ) {
    let j = i;
    while (j + 1 < xs.length && xs[j + 1] === xs[j]! + 1) j++;
    if (j === i) parts.push(String(xs[i]));
    else if (j === i + 1) parts.push(String(xs[i]), String(xs[j]));
    else parts.push(`${xs[i]}-${xs[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** The completion index of a pod (annotation), or undefined when absent or malformed. */
export function completionIndex(pod: KubeObject): number | undefined {
  const v = pod.metadata.annotations?.[COMPLETION_INDEX_ANNOTATION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * How many pods should be active: with completions, min(parallelism, completions − succeeded);
 * without, parallelism until one pod succeeded, then only those still running.
 */
export function wantActive(job: KubeObject, active: number, succeeded: number): number {
  const s = spec(job);
  const parallelism = num(s.parallelism, 1);
  if (s.completions === undefined || s.completions === null) return succeeded > 0 ? active : parallelism;
  return Math.max(0, Math.min(parallelism, num(s.completions, 1) - succeeded));
}

/** Upstream's isPodFailed: Failed, or (unless only failed pods are replaced) deleted before succeeding. */
export function isPodFailed(pod: KubeObject, job: KubeObject): boolean {
  const phase = podPhase(pod);
  if (phase === 'Failed') return true;
  if (spec(job).podReplacementPolicy === 'Failed') return false;
  return !!pod.metadata.deletionTimestamp && phase !== 'Succeeded';
}

/** For restartPolicy OnFailure: container restarts of active pods reached backoffLimit (upstream's pastBackoffLimitOnFailure). */
export function pastBackoffLimitOnFailure(job: KubeObject, activePods: readonly KubeObject[]): boolean {
  if (rec(rec(spec(job).template).spec).restartPolicy !== 'OnFailure') return false;
  const limit = num(spec(job).backoffLimit, 6);
  let restarts = 0;
  for (const p of activePods) {
    const phase = podPhase(p);
    if (phase !== 'Running' && phase !== 'Pending') continue;
    for (const cs of [...arr(status(p).initContainerStatuses), ...arr(status(p).containerStatuses)]) restarts += num(cs.restartCount, 0);
  }
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** Whether the job has run longer than activeDeadlineSeconds since startTime. */
export function pastActiveDeadline(job: KubeObject, now: number): boolean {
  const deadline = spec(job).activeDeadlineSeconds;
  const start = Date.parse(String(status(job).startTime ?? ''));
  if (typeof deadline !== 'number' || !Number.isFinite(start)) return false;
  return now - start >= deadline * 1000;
}
