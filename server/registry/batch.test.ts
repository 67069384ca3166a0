import { describe, expect, it } from 'vitest';
import type { KubeObject } from './types.ts';
import { cronjobs, jobs } from './batch.ts';
import { cronScheduleError } from './cron.ts';
import { cells, lines, runCreate, runUpdate } from './test-helpers.ts';

const UID = '11111111-2222-4333-8444-555555555555';

const job = (spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Partial<KubeObject> => ({
  metadata: { name: 'pi', namespace: 'default', ...meta },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34' }] } }, ...spec },
});

describe('jobs', () => {
  it('get upstream defaults and a generated selector', () => {
    const { obj, errors } = runCreate(jobs, job(), UID);
    expect(errors).toEqual([]);
    const spec = obj.spec as Record<string, unknown>;
    expect({ ...spec, template: undefined }).toEqual({
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      completions: 1,
      manualSelector: false,
      parallelism: 1,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': UID } },
      suspend: false,
      template: undefined,
    });
    const labels = { 'batch.kubernetes.io/controller-uid': UID, 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': UID, 'job-name': 'pi' };
    expect((spec.template as { metadata: { labels: unknown } }).metadata.labels).toEqual(labels);
    expect(obj.metadata.labels).toEqual(labels);
    expect(obj.status).toEqual({});
  });

  it('keep a manual selector as given', () => {
    const { obj, errors } = runCreate(jobs, job({ manualSelector: true, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x' }] } } }), UID);
    expect(errors).toEqual([]);
    expect((obj.spec as { selector: unknown }).selector).toEqual({ matchLabels: { a: 'b' } });
  });

  it.each([
    ['the default restart policy', { template: { spec: { containers: [{ name: 'c', image: 'x' }] } } }, ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']],
    ['negative parallelism', { parallelism: -1 }, ['spec.parallelism: Invalid value: -1: must be greater than or equal to 0']],
    ['a manual selector that matches nothing', { manualSelector: true, selector: { matchLabels: { a: 'b' } } }, ['spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`']],
    ['a manual job without selector', { manualSelector: true }, ['spec.selector: Required value', 'spec.template.metadata.labels: Invalid value: map[string]string(nil): `selector` does not match template `labels`']],
  ])('reject %s', (_n, spec, expected) => {
    expect(lines(runCreate(jobs, job(spec), UID).errors)).toEqual(expected);
  });

  it('keep the template immutable', () => {
    const created = runCreate(jobs, job(), UID).obj;
    const next = structuredClone(created);
    (next.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image = 'perl:5.36';
    const errs = runUpdate(jobs, next, created).errors;
    expect(errs.map((e) => [e.field, e.message.endsWith(': field is immutable')])).toEqual([['spec.template', true]]);
  });

  it('print STATUS COMPLETIONS DURATION AGE', () => {
    const j = runCreate(jobs, job(), UID).obj;
    j.status = { succeeded: 1, startTime: '2024-01-01T00:00:00Z', completionTime: '2024-01-01T00:00:07Z', conditions: [{ type: 'Complete', status: 'True' }] };
    expect(cells(jobs, j)).toMatchObject({ Status: 'Complete', Completions: '1/1', Duration: '7s', Age: '60m', Containers: 'pi', Images: 'perl:5.34' });
    expect(cells(jobs, j).Selector).toBe(`batch.kubernetes.io/controller-uid=${UID}`);
    expect(jobs.fieldSelectors!['status.successful'](j)).toBe('1');
  });

  it.each([
    [{ completions: 3 }, { succeeded: 1 }, '1/3'],
    [{ completions: null, parallelism: 4 }, { succeeded: 2 }, '2/1 of 4'],
  ])('print completions of %j', (spec, status, text) => {
    const j: KubeObject = { metadata: { name: 'x' }, spec, status };
    expect(cells(jobs, j).Completions).toBe(text);
  });

  it.each([
    [[{ type: 'Failed', status: 'True' }], {}, 'Failed'],
    [[{ type: 'Suspended', status: 'True' }], {}, 'Suspended'],
    [[], { deletionTimestamp: '2024-01-01T00:00:00Z' }, 'Terminating'],
    [[], {}, 'Running'],
  ])('print status for conditions %j', (conditions, meta, text) => {
    const j: KubeObject = { metadata: { name: 'x', ...meta }, spec: {}, status: { conditions } };
    expect(cells(jobs, j).Status).toBe(text);
  });
});

describe('cronjobs', () => {
  const cron = (spec: Record<string, unknown> = {}): Partial<KubeObject> => ({
    metadata: { name: 'hello', namespace: 'default' },
    spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } }, ...spec },
  });

  it('get upstream defaults (the job template is not defaulted as a job)', () => {
    const { obj, errors } = runCreate(cronjobs, cron());
    expect(errors).toEqual([]);
    const spec = obj.spec as Record<string, unknown>;
    expect(spec.concurrencyPolicy).toBe('Allow');
    expect(spec.suspend).toBe(false);
    expect(spec.successfulJobsHistoryLimit).toBe(3);
    expect(spec.failedJobsHistoryLimit).toBe(1);
    const jt = spec.jobTemplate as { metadata: unknown; spec: Record<string, unknown> };
    expect(jt.metadata).toEqual({ creationTimestamp: null });
    expect(jt.spec.backoffLimit).toBeUndefined();
  });

  it.each([
    ['a missing schedule', { schedule: '' }, ['spec.schedule: Required value']],
    ['a bad schedule', { schedule: 'foo' }, ['spec.schedule: Invalid value: "foo": expected exactly 5 fields, found 1: [foo]']],
    ['an hour out of range', { schedule: '0 25 * * *' }, ['spec.schedule: Invalid value: "0 25 * * *": end of range (25) above maximum (23): 25']],
    ['a TZ in the schedule', { schedule: 'TZ=UTC 0 * * * *' }, ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']],
    ['a bad concurrency policy', { concurrencyPolicy: 'Sometimes' }, ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']],
    ['an unknown time zone', { timeZone: 'Mars/Olympus' }, ['spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus']],
  ])('reject %s', (_n, spec, expected) => {
    expect(lines(runCreate(cronjobs, cron(spec)).errors)).toEqual(expected);
  });

  it('limit names to 52 characters', () => {
    const { errors } = runCreate(cronjobs, { ...cron(), metadata: { name: 'a'.repeat(53), namespace: 'default' } });
    expect(lines(errors)).toEqual([`metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`]);
  });

  it('print SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE', () => {
    const c = runCreate(cronjobs, cron()).obj;
    c.status = { active: [{ name: 'x' }], lastScheduleTime: '2024-01-01T00:59:00Z' };
    expect(cells(cronjobs, c)).toMatchObject({ Schedule: '*/1 * * * *', Timezone: '<none>', Suspend: 'False', Active: 1, 'Last Schedule': '60s', Age: '60m' });
  });
});

describe('cron schedules', () => {
  it.each([
    ['*/5 * * * *', undefined],
    ['0 0 1 jan mon', undefined],
    ['@hourly', undefined],
    ['@every 1h30m', undefined],
    ['', 'empty spec string'],
    ['@sometimes', 'unrecognized descriptor: @sometimes'],
    ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
    ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
  ])('%j', (schedule, error) => {
    expect(cronScheduleError(schedule)).toBe(error);
  });
});
