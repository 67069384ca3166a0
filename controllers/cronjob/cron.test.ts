// The CronJob controller's time helpers: scheduled-time formatting, job names and missed-activation counting.
import { describe, expect, it } from 'vitest';
import { parseSchedule } from '../../server/registry/cron.ts';
import { formatInZone } from './cron.ts';
import { jobNameFor, mostRecentScheduleTime } from './logic.ts';

const at = (s: string): number => Date.parse(s);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('cron job helpers', () => {
  it('formats the scheduled time in the CronJob time zone', () => {
    expect(formatInZone(at('2024-01-10T08:00:00Z'), 'Europe/Berlin')).toBe('2024-01-10T09:00:00+01:00');
    expect(formatInZone(at('2024-01-10T08:00:00Z'))).toBe('2024-01-10T08:00:00Z');
  });

  it('names jobs after the scheduled minutes since the epoch', () => {
    expect(jobNameFor({ metadata: { name: 'hello' } }, at('2024-01-10T08:00:00Z'))).toBe('hello-28414560');
  });

  it('finds the latest missed activation and counts the misses', () => {
    const cj = { metadata: { name: 'x', creationTimestamp: '2024-03-01T10:00:30Z' }, spec: { schedule: '* * * * *' } };
    const due = mostRecentScheduleTime(cj, at('2024-03-01T10:03:10Z'), parseSchedule('* * * * *'), 'UTC');
    expect(iso(due.scheduled)).toBe('2024-03-01T10:03:00.000Z');
    expect(due.missed).toBe(3);
  });

  it('ignores activations older than startingDeadlineSeconds', () => {
    const cj = { metadata: { name: 'x', creationTimestamp: '2024-03-01T00:00:00Z' }, spec: { startingDeadlineSeconds: 90 } };
    const due = mostRecentScheduleTime(cj, at('2024-03-01T10:03:10Z'), parseSchedule('* * * * *'), 'UTC');
    expect(due.missed).toBe(2);
  });

  it('reports nothing due before the first activation', () => {
    const cj = { metadata: { name: 'x', creationTimestamp: '2024-03-01T10:00:30Z' }, status: {} };
    expect(mostRecentScheduleTime(cj, at('2024-03-01T10:00:50Z'), parseSchedule('* * * * *'), 'UTC').scheduled).toBeUndefined();
  });
});
