// batch/v1 jobs and cronjobs: defaults, generated selectors, schedule checks, immutable templates and printers.
import type { Column, FieldError, KubeObject, ResourceDef } from './types.ts';
import { child, defaultString, defaultValue, get, isEmpty, jsonEqual, num, obj, records, str, type Obj } from './object.ts';
import { ageColumn, containerColumns, humanDuration, printBoolPtr, since, stringColumn } from './columns.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta-validation.ts';
import { defaultPodTemplate } from './podspec-defaults.ts';
import { templateLabels, validatePodTemplateSpec } from './podspec-validation.ts';
import { formatLabelSelector, selectorMatches, validateLabelSelector } from './selector.ts';
import { cronScheduleError, isTimeZone } from './cron.ts';
import { SELECTOR_MISMATCH } from './workloads.ts';
import { fp, goLabelSelector, goStringMap, GoText, invalid, nonNegative, notSupported, required } from './validation.ts';

export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';

const META = { namespaced: true, name: nameIsDNSSubdomain } as const;
const MAX_INT32 = 2147483647;

// ---- jobs ----

/** SetDefaults_Job (the pod template's defaults included). */
function defaultJobSpec(spec: Obj): void {
  if ((spec.completions === undefined || spec.completions === null) && (spec.parallelism === undefined || spec.parallelism === null)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  defaultValue(spec, 'parallelism', 1);
  defaultValue(spec, 'backoffLimit', spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? MAX_INT32 : 6);
  defaultValue(spec, 'completionMode', 'NonIndexed');
  defaultValue(spec, 'suspend', false);
  const pfp = obj(spec.podFailurePolicy);
  if (pfp) {
    for (const rule of records(pfp.rules)) for (const c of records(rule.onPodConditions)) defaultString(c, 'status', 'True');
  }
  defaultValue(spec, 'podReplacementPolicy', pfp ? 'Failed' : 'TerminatingOrFailed');
  defaultValue(spec, 'manualSelector', false);
  defaultPodTemplate(child(spec, 'template'));
}

function defaultJob(job: KubeObject): void {
  defaultJobSpec(child(job, 'spec'));
}

/**
 * generateSelector: unless `manualSelector`, the template gets the job-name and controller-uid labels
 * (both spellings) and the selector matches the uid. Keys the user set are kept (validation reports conflicts).
 */
export function generateJobSelector(job: KubeObject): void {
  const spec = child(job, 'spec');
  if (spec.manualSelector === true) return;
  const labels = child(child(child(spec, 'template'), 'metadata'), 'labels');
  const name = job.metadata.name ?? '';
  const uid = job.metadata.uid ?? '';
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(k in labels)) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(k in labels)) labels[k] = uid;
  const matchLabels = child(child(spec, 'selector'), 'matchLabels');
  if (!(CONTROLLER_UID_LABEL in matchLabels)) matchLabels[CONTROLLER_UID_LABEL] = uid;
}

/** Upstream's defaulting copies the template's labels to a job without labels (its maps alias). */
function copyTemplateLabels(job: KubeObject): void {
  const labels = templateLabels(get(job, 'spec.template'));
  if (labels && Object.keys(labels).length > 0 && isEmpty(job.metadata.labels)) job.metadata.labels = { ...labels };
}

/** validateJobSpec: counts, completion mode, the template and its restart policy (OnFailure or Never). */
function validateJobSpecBody(spec: Obj, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished'] as const) {
    errs.push(...nonNegative(fp(field, k), spec[k]));
  }
  const mode = spec.completionMode;
  if (mode !== undefined && mode !== null) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(fp(field, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) errs.push(required(fp(field, 'completions'), 'when completion mode is Indexed'));
  }
  const template = obj(spec.template);
  if (!template) return [...errs, required(fp(field, 'template'))];
  errs.push(...validatePodTemplateSpec(template, fp(field, 'template')));
  const restart = str(get(template, 'spec.restartPolicy'));
  const restartPath = fp(field, 'template', 'spec', 'restartPolicy');
  if (restart === 'Always' || restart === '') errs.push(required(restartPath, 'valid values: "OnFailure", "Never"'));
  else if (restart !== 'OnFailure' && restart !== 'Never') errs.push(notSupported(restartPath, restart, ['OnFailure', 'Never']));
  return errs;
}

/** ValidateJobSpec: the body plus a selector that matches the template. */
function validateJobSpec(spec: Obj, field: string): FieldError[] {
  const errs = validateJobSpecBody(spec, field);
  const selector = spec.selector;
  if (selector === undefined || selector === null) errs.push(required(fp(field, 'selector')));
  else errs.push(...validateLabelSelector(selector, fp(field, 'selector')));
  const labels = templateLabels(spec.template);
  if (obj(spec.template) && !selectorMatches(selector, labels)) {
    errs.push(invalid(fp(field, 'template', 'metadata', 'labels'), new GoText(goStringMap(labels)), SELECTOR_MISMATCH));
  }
  return errs;
}

function validateJob(job: Readonly<KubeObject>): FieldError[] {
  // Upstream generates the selector inside Validate; here generation happens in canonicalize, so check a generated copy.
  const copy = structuredClone(job) as KubeObject;
  generateJobSelector(copy);
  const errs = validateObjectMeta(copy.metadata, META);
  const spec = obj(copy.spec) ?? {};
  errs.push(...validateJobSpec(spec, 'spec'));
  const completions = num(spec.completions);
  if (spec.completionMode === 'Indexed' && completions !== undefined && completions > 0) {
    const hostname = `${copy.metadata.name ?? ''}-${completions - 1}`;
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(hostname) || hostname.length > 63) {
      errs.push(invalid('metadata.name', copy.metadata.name ?? '', `will not able to create pod with invalid DNS label: ${hostname}`));
    }
  }
  return errs;
}

function validateJobUpdate(job: Readonly<KubeObject>, old: Readonly<KubeObject>): FieldError[] {
  const spec = obj(job.spec) ?? {};
  const prev = obj(old.spec) ?? {};
  const errs = [...validateObjectMetaUpdate(job.metadata, old.metadata), ...validateJobSpec(spec, 'spec')];
  if (!jsonEqual(spec.completions, prev.completions)) {
    const elastic = spec.completionMode === 'Indexed';
    if (!elastic) errs.push(invalid('spec.completions', spec.completions ?? null, 'field is immutable'));
    else if (spec.completions !== spec.parallelism) errs.push(invalid('spec.completions', spec.completions ?? null, 'can only be modified in tandem with spec.parallelism'));
  }
  if (!jsonEqual(spec.selector, prev.selector)) errs.push(invalid('spec.selector', new GoText(goLabelSelector(spec.selector)), 'field is immutable'));
  // A suspended job that never started may change its scheduling directives.
  const oldTemplate = structuredClone(obj(prev.template) ?? {});
  if (spec.suspend === true && !get(old, 'status.startTime')) {
    const t = obj(spec.template) ?? {};
    const ot = child(oldTemplate, 'spec');
    for (const k of ['nodeSelector', 'tolerations', 'schedulingGates', 'affinity'] as const) {
      const v = get(t, `spec.${k}`);
      if (v === undefined) delete ot[k];
      else ot[k] = v;
    }
    const om = child(oldTemplate, 'metadata');
    for (const k of ['labels', 'annotations'] as const) {
      const v = get(t, `metadata.${k}`);
      if (v === undefined) delete om[k];
      else om[k] = v;
    }
  }
  if (!jsonEqual(spec.template, oldTemplate)) errs.push(invalid('spec.template', spec.template ?? null, 'field is immutable'));
  for (const k of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'managedBy', 'successPolicy'] as const) {
    if (!jsonEqual(spec[k], prev[k])) errs.push(invalid(fp('spec', k), spec[k] ?? null, 'field is immutable'));
  }
  return errs;
}

/** hasJobCondition: the first condition of the type decides. */
function jobCondition(job: KubeObject, type: string): boolean {
  const c = records(get(job, 'status.conditions')).find((x) => x.type === type);
  return c?.status === 'True';
}

/** printJob's STATUS: Complete, Failed, Terminating, Suspended, FailureTarget or Running, in that precedence. */
export function jobStatus(job: KubeObject): string {
  if (jobCondition(job, 'Complete')) return 'Complete';
  if (jobCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (jobCondition(job, 'Suspended')) return 'Suspended';
  if (jobCondition(job, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** printJob's COMPLETIONS: `succeeded/completions`, or `succeeded/1 of parallelism` for work queues. */
export function jobCompletions(job: KubeObject): string {
  const succeeded = num(get(job, 'status.succeeded')) ?? 0;
  const completions = num(get(job, 'spec.completions'));
  if (completions !== undefined) return `${succeeded}/${completions}`;
  const parallelism = num(get(job, 'spec.parallelism')) ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

/** printJob's DURATION: empty before start, running time until completion, then start → completion. */
export function jobDuration(job: KubeObject, now: Date): string {
  const start = Date.parse(str(get(job, 'status.startTime')));
  if (Number.isNaN(start)) return '';
  const completion = Date.parse(str(get(job, 'status.completionTime')));
  return humanDuration((Number.isNaN(completion) ? now.getTime() : completion) - start);
}

const JOB_SELECTOR_DESCRIPTION = 'A label query over pods that should match the pod count. Normally, the system sets this field for you.';

const JOB_COLUMNS: readonly Column[] = [
  stringColumn('Status', 'Status of the job.', 0, jobStatus),
  stringColumn('Completions', 'The number of pods which reached phase Succeeded.', 0, jobCompletions),
  stringColumn('Duration', 'Time required to complete the job.', 0, jobDuration),
  ageColumn,
  ...containerColumns('spec.template.spec'),
  stringColumn('Selector', JOB_SELECTOR_DESCRIPTION, 1, (o) => formatLabelSelector(get(o, 'spec.selector'))),
];

export const jobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  singular: 'job',
  namespaced: true,
  categories: ['all'],
  hasGeneration: true,
  subresources: { status: true },
  strategy: {
    prepareForCreate(job) {
      defaultJob(job);
      job.status = {};
    },
    prepareForUpdate: defaultJob,
    validate: validateJob,
    validateUpdate: validateJobUpdate,
    canonicalize(job) {
      // Only on create (the store keeps the old resourceVersion on updates): the selector is then immutable.
      if (!job.metadata.resourceVersion) generateJobSelector(job);
      copyTemplateLabels(job);
    },
  },
  fieldSelectors: { 'status.successful': (o) => String(num(get(o, 'status.succeeded')) ?? 0) },
  columns: JOB_COLUMNS,
};

// ---- cronjobs ----

function defaultCronJob(cj: KubeObject): void {
  const spec = child(cj, 'spec');
  defaultString(spec, 'concurrencyPolicy', 'Allow');
  defaultValue(spec, 'suspend', false);
  defaultValue(spec, 'successfulJobsHistoryLimit', 3);
  defaultValue(spec, 'failedJobsHistoryLimit', 1);
  const jt = child(spec, 'jobTemplate');
  const meta = child(jt, 'metadata');
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  defaultPodTemplate(child(child(jt, 'spec'), 'template'));
}

function validateCronJobSpec(cj: Readonly<KubeObject>): FieldError[] {
  const spec = obj(cj.spec) ?? {};
  const errs: FieldError[] = [];
  const schedule = str(spec.schedule);
  if (!schedule) errs.push(required('spec.schedule'));
  else {
    const e = cronScheduleError(schedule);
    if (e) errs.push(invalid('spec.schedule', schedule, e));
    if (schedule.includes('TZ')) errs.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  errs.push(...nonNegative('spec.startingDeadlineSeconds', spec.startingDeadlineSeconds));
  const policy = str(spec.concurrencyPolicy);
  if (!policy) errs.push(required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(policy)) errs.push(notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  const jobSpec = obj(get(spec, 'jobTemplate.spec')) ?? {};
  errs.push(...validateJobSpecBody(jobSpec, 'spec.jobTemplate.spec'));
  if (jobSpec.selector !== undefined && jobSpec.selector !== null) {
    errs.push(invalid('spec.jobTemplate.spec.selector', new GoText(goLabelSelector(jobSpec.selector)), '`selector` will be auto-generated'));
  }
  if (jobSpec.manualSelector === true) errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...nonNegative('spec.successfulJobsHistoryLimit', spec.successfulJobsHistoryLimit));
  errs.push(...nonNegative('spec.failedJobsHistoryLimit', spec.failedJobsHistoryLimit));
  const tz = spec.timeZone;
  if (typeof tz === 'string') {
    if (tz.toLowerCase() === 'local') errs.push(invalid('spec.timeZone', tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
    else if (!isTimeZone(tz)) errs.push(invalid('spec.timeZone', tz, `unknown time zone ${tz}`));
  }
  return errs;
}

function validateCronJob(cj: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(cj.metadata, META);
  const name = cj.metadata.name ?? '';
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  return [...errs, ...validateCronJobSpec(cj)];
}

export const cronjobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  plural: 'cronjobs',
  singular: 'cronjob',
  namespaced: true,
  shortNames: ['cj'],
  categories: ['all'],
  hasGeneration: true,
  subresources: { status: true },
  strategy: {
    prepareForCreate(cj) {
      defaultCronJob(cj);
      cj.status = {};
    },
    prepareForUpdate: defaultCronJob,
    validate: validateCronJob,
    validateUpdate: (cj, old) => [...validateObjectMetaUpdate(cj.metadata, old.metadata), ...validateCronJobSpec(cj)],
  },
  columns: [
    stringColumn('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.', 0, (o) => str(get(o, 'spec.schedule'))),
    stringColumn('Timezone', 'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.', 0, (o) => (typeof get(o, 'spec.timeZone') === 'string' ? str(get(o, 'spec.timeZone')) : '<none>')),
    { name: 'Suspend', type: 'boolean', description: 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.', priority: 0, cell: (o) => printBoolPtr(get(o, 'spec.suspend')) },
    { name: 'Active', type: 'integer', description: 'A list of pointers to currently running jobs.', priority: 0, cell: (o) => records(get(o, 'status.active')).length },
    stringColumn('Last Schedule', 'Information when was the last time the job was successfully scheduled.', 0, (o, now) => (get(o, 'status.lastScheduleTime') ? since(get(o, 'status.lastScheduleTime'), now) : '<none>')),
    ageColumn,
    ...containerColumns('spec.jobTemplate.spec.template.spec'),
    stringColumn('Selector', JOB_SELECTOR_DESCRIPTION, 1, (o) => formatLabelSelector(get(o, 'spec.jobTemplate.spec.selector'))),
  ],
};

export const batchResources: readonly ResourceDef[] = [cronjobs, jobs];
