// The CronJob controller's pure rules: which scheduled time is due, job names, the Job built from the template.
import type { KubeObject } from '../runtime/index.ts';
import { arr, rec, spec, status, type Condition } from '../podutil/index.ts';
import { formatInZone } from './cron.ts';
import { nextTime, type Schedule } from '../../server/registry/cron.ts';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** The outcome of upstream's mostRecentScheduleTime: the latest due time (if any) and how many were missed. */
export interface DueTime {
  /** The latest activation ≤ now after the earliest time considered; undefined when nothing is due. */
  scheduled: number | undefined;
  missed: number;
}

/**
 * Looks for the latest unmet activation: from lastScheduleTime (or creation), moved forward to
 * now − startingDeadlineSeconds when that is later; counts every activation up to `now`.
 */
export function mostRecentScheduleTime(cj: KubeObject, now: number, sched: Schedule, tz: string): DueTime {
  const last = Date.parse(String(status(cj).lastScheduleTime ?? ''));
  let earliest = Number.isFinite(last) ? last : Date.parse(cj.metadata.creationTimestamp ?? '') || now;
  const sds = spec(cj).startingDeadlineSeconds;
  if (typeof sds === 'number' && now - sds * 1000 > earliest) earliest = now - sds * 1000;
  if (earliest > now) return { scheduled: undefined, missed: 0 };
  let t = nextTime(sched, earliest, tz);
  let scheduled: number | undefined;
  let missed = 0;
  while (t !== undefined && t <= now) {
    scheduled = t;
    missed++;
    // Upstream stops counting precisely beyond 100 misses; the latest time is all that matters after that.
    if (missed > 100 && sched.everyMs === undefined) {
      let probe = t;
      for (let n = nextTime(sched, probe, tz); n !== undefined && n <= now; n = nextTime(sched, probe, tz)) probe = n;
      scheduled = probe;
      break;
    }
    t = nextTime(sched, t, tz);
  }
  return { scheduled, missed };
}

/** `<cronjob>-<minutes since the epoch of the scheduled time>`, as upstream's getJobName. */
export function jobNameFor(cj: KubeObject, scheduled: number): string {
  return `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;
}

/** The Job for one activation: template labels/annotations, the scheduled-timestamp annotation, a controller reference. */
export function jobFromTemplate(cj: KubeObject, scheduled: number, tz: string): KubeObject {
  const tpl = structuredClone(rec(spec(cj).jobTemplate));
  const meta = rec(tpl.metadata);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: cj.metadata.namespace,
      labels: { ...(meta.labels as Record<string, string> | undefined) },
      annotations: { ...(meta.annotations as Record<string, string> | undefined), [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduled, tz) },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cj.metadata.name!, uid: cj.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: rec(tpl.spec),
  };
}

/** The Complete or Failed condition of a finished job. */
export function finishedCondition(job: KubeObject): Condition | undefined {
  return arr<Condition>(status(job).conditions).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

/**
 * Finished jobs beyond the history limits, oldest first (by start time, then name): what
 * upstream's cleanupFinishedJobs deletes.
 */
export function jobsOverHistoryLimit(cj: KubeObject, jobs: readonly KubeObject[]): KubeObject[] {
  const out: KubeObject[] = [];
  const start = (j: KubeObject): number => Date.parse(String(status(j).startTime ?? '')) || Date.parse(j.metadata.creationTimestamp ?? '') || 0;
  for (const [type, field] of [['Complete', 'successfulJobsHistoryLimit'], ['Failed', 'failedJobsHistoryLimit']] as const) {
    const limit = spec(cj)[field];
    if (typeof limit !== 'number') continue;
    const done = jobs.filter((j) => finishedCondition(j)?.type === type).sort((a, b) => start(a) - start(b) || (a.metadata.name! < b.metadata.name! ? -1 : 1));
    if (done.length > limit) out.push(...done.slice(0, done.length - limit));
  }
  return out;
}
