// The CronJob controller (upstream's cronjob-controller v2): creates Jobs on schedule with concurrency policy, deadlines and history limits.
import type { ControllerContext } from '../manager.ts';
import { ApiError, Resources, collectionPath, controller, controllerRefOf, objectPath, type Action, type KubeObject, type ObjectReference } from '../runtime/index.ts';
import { arr, isoNow, ownedBy, putStatus, spec, status } from '../podutil/index.ts';
import { isTimeZone, nextTime, parseSchedule } from '../../server/registry/cron.ts';
import { finishedCondition, jobFromTemplate, jobNameFor, jobsOverHistoryLimit, mostRecentScheduleTime } from './logic.ts';

const COMPONENT = 'cronjob-controller';

export function registerCronJob(ctx: ControllerContext): void {
  const cronjobs = ctx.informers.informerOf(Resources.CronJob);
  const jobs = ctx.informers.informerOf(Resources.Job);
  const recorder = ctx.recorder(COMPONENT);

  const reconcile = async (key: string): Promise<Action> => {
    const cached = cronjobs.lister.get(key);
    if (!cached) return 'done';
    const cj = structuredClone(cached);
    const now = Date.now();
    const st = status(cj);
    const ns = cj.metadata.namespace!;
    let active = arr<ObjectReference>(st.active);
    const before = JSON.stringify(st);
    const children = ownedBy(jobs.lister.listNamespace(ns), cj);
    const childUids = new Set(children.map((j) => j.metadata.uid));
    for (const j of children) {
      const found = active.some((r) => r.uid === j.metadata.uid);
      const fin = finishedCondition(j);
      if (!found && !fin) {
        recorder.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      } else if (found && fin) {
        active = active.filter((r) => r.uid !== j.metadata.uid);
        recorder.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, condition: ${fin.type}`);
      }
      if (fin?.type === 'Complete') {
        const done = Date.parse(String(status(j).completionTime ?? ''));
        const last = Date.parse(String(st.lastSuccessfulTime ?? ''));
        if (Number.isFinite(done) && (!Number.isFinite(last) || done > last)) st.lastSuccessfulTime = status(j).completionTime;
      }
    }
    for (const r of [...active]) {
      if (childUids.has(r.uid)) continue;
      // The job cache may lag: ask the server before declaring the job missing.
      try {
        await ctx.client.request('GET', objectPath(Resources.Job, ns, r.name!));
      } catch (e: unknown) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
        recorder.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${r.name}`);
        active = active.filter((x) => x.uid !== r.uid);
      }
    }
    st.active = active.length ? active : undefined;
    if (st.active === undefined) delete st.active;
    const flush = async (): Promise<void> => {
      if (JSON.stringify(st) === before) return;
      await putStatus(ctx.client, Resources.CronJob, cj, st);
    };
    const cleanup = async (): Promise<void> => {
      for (const j of jobsOverHistoryLimit(cj, children)) {
        try {
          await ctx.client.request('DELETE', objectPath(Resources.Job, ns, j.metadata.name!), { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
          recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
        } catch (e: unknown) {
          if (!(e instanceof ApiError && e.code === 404)) recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    };

    if (cj.metadata.deletionTimestamp) {
      await flush();
      return 'done';
    }
    const tz = typeof spec(cj).timeZone === 'string' ? (spec(cj).timeZone as string) : 'UTC';
    // Go's LoadLocation reads '' as UTC, but the controller reports an empty zone as unknown.
    if (tz === '' || !isTimeZone(tz)) {
      recorder.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}`);
      await flush();
      return 'done';
    }
    if (spec(cj).suspend === true) {
      await flush();
      await cleanup();
      return 'done';
    }
    let sched;
    try {
      sched = parseSchedule(String(spec(cj).schedule ?? ''));
    } catch (e: unknown) {
      recorder.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(spec(cj).schedule)} : ${e instanceof Error ? e.message : String(e)}`);
      await flush();
      return 'done';
    }
    const requeueNext = (): Action => {
      const next = nextTime(sched, now, tz);
      return next === undefined ? 'done' : { requeueAfter: Math.max(0, next - Date.now()) + 100 };
    };
    const due = mostRecentScheduleTime(cj, now, sched, tz);
    if (due.missed > 100) {
      recorder.event(cj, 'Warning', 'TooManyMissedTimes', `too many missed start times: ${due.missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`);
    }
    if (due.scheduled === undefined) {
      await flush();
      await cleanup();
      return requeueNext();
    }
    const sds = spec(cj).startingDeadlineSeconds;
    if (typeof sds === 'number' && due.scheduled + sds * 1000 < now) {
      recorder.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(due.scheduled)}`);
      await flush();
      await cleanup();
      return requeueNext();
    }
    const name = jobNameFor(cj, due.scheduled);
    const lastSched = Date.parse(String(st.lastScheduleTime ?? ''));
    if (active.some((r) => r.name === name) || lastSched === due.scheduled) {
      await flush();
      return requeueNext();
    }
    const policy = spec(cj).concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active.length > 0) {
      recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      await flush();
      return requeueNext();
    }
    if (policy === 'Replace') {
      for (const r of [...active]) {
        try {
          await ctx.client.request('DELETE', objectPath(Resources.Job, ns, r.name!), { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } });
        } catch (e: unknown) {
          if (!(e instanceof ApiError && e.code === 404)) {
            recorder.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${e instanceof Error ? e.message : String(e)}`);
            throw e;
          }
        }
        recorder.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${r.name}`);
        active = active.filter((x) => x.uid !== r.uid);
      }
      st.active = active.length ? active : undefined;
      if (st.active === undefined) delete st.active;
    }
    let job: KubeObject;
    try {
      job = await ctx.client.request<KubeObject>('POST', collectionPath(Resources.Job, ns), { body: jobFromTemplate(cj, due.scheduled, tz) });
      recorder.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${job.metadata.name}`);
    } catch (e: unknown) {
      if (!(e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists')) {
        recorder.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${e instanceof Error ? e.message : String(e)}`);
        throw e;
      }
      // Created earlier (e.g. before a restart): adopt it into the status when it is ours.
      job = await ctx.client.request<KubeObject>('GET', objectPath(Resources.Job, ns, name));
      if (controllerRefOf(job)?.uid !== cj.metadata.uid || finishedCondition(job)) {
        st.lastScheduleTime = isoNow(due.scheduled);
        await flush();
        return requeueNext();
      }
    }
    active.push({ kind: 'Job', namespace: ns, name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion });
    st.active = active;
    st.lastScheduleTime = isoNow(due.scheduled);
    await flush();
    await cleanup();
    return requeueNext();
  };

  const c = controller('cronjob-controller', cronjobs).owns(jobs);
  ctx.run('cronjob', c.run(reconcile, { workers: 1, signal: ctx.signal, log: ctx.log }));
}

/** Go's time.RFC1123Z in UTC: "Mon, 02 Jan 2006 15:04:05 +0000". */
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}
