// Cron parsing (robfig texts) and next-activation times, including descriptors, day-of-month/day-of-week rules and time zones.
import { describe, expect, it } from 'vitest';
import { nextTime, parseSchedule } from './cron.ts';

const at = (s: string): number => Date.parse(s);
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('nextTime', () => {
  it.each([
    ['* * * * *', '2024-03-01T10:00:00Z', '2024-03-01T10:01:00.000Z'],
    ['* * * * *', '2024-03-01T10:00:30Z', '2024-03-01T10:01:00.000Z'],
    ['*/15 * * * *', '2024-03-01T10:07:00Z', '2024-03-01T10:15:00.000Z'],
    ['5 4 * * *', '2024-03-01T10:07:00Z', '2024-03-02T04:05:00.000Z'],
    ['0 0 1 * *', '2024-01-31T12:00:00Z', '2024-02-01T00:00:00.000Z'],
    ['0 12 * * mon-fri', '2024-03-01T13:00:00Z', '2024-03-04T12:00:00.000Z'],
    ['0 0 29 2 *', '2024-03-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['@hourly', '2024-03-01T10:59:59Z', '2024-03-01T11:00:00.000Z'],
    ['@daily', '2024-03-01T10:00:00Z', '2024-03-02T00:00:00.000Z'],
    ['@weekly', '2024-03-01T10:00:00Z', '2024-03-03T00:00:00.000Z'],
    ['@yearly', '2024-03-01T10:00:00Z', '2025-01-01T00:00:00.000Z'],
    ['0 9 1-7 * 1', '2024-03-01T10:00:00Z', '2024-03-02T09:00:00.000Z'],
    ['0 9 * jan,jul *', '2024-03-01T10:00:00Z', '2024-07-01T09:00:00.000Z'],
    ['5/20 * * * *', '2024-03-01T10:00:00Z', '2024-03-01T10:05:00.000Z'],
  ])('%s after %s is %s', (spec, after, want) => {
    expect(iso(nextTime(parseSchedule(spec), at(after)))).toBe(want);
  });

  it('uses day-of-month OR day-of-week when both are restricted, AND when one is a star', () => {
    // "1-7 * 1": the 1st–7th of the month OR any Monday; Saturday the 2nd matches by day of month.
    expect(iso(nextTime(parseSchedule('0 9 1-7 * 1'), at('2024-03-08T10:00:00Z')))).toBe('2024-03-11T09:00:00.000Z');
    expect(iso(nextTime(parseSchedule('0 9 * * 1'), at('2024-03-01T10:00:00Z')))).toBe('2024-03-04T09:00:00.000Z');
  });

  it('computes activations in the given time zone', () => {
    // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer.
    expect(iso(nextTime(parseSchedule('0 9 * * *'), at('2024-01-10T12:00:00Z'), 'Europe/Berlin'))).toBe('2024-01-11T08:00:00.000Z');
    expect(iso(nextTime(parseSchedule('0 9 * * *'), at('2024-07-10T12:00:00Z'), 'Europe/Berlin'))).toBe('2024-07-11T07:00:00.000Z');
    expect(iso(nextTime(parseSchedule('30 0 * * *'), at('2024-01-10T12:00:00Z'), 'America/New_York'))).toBe('2024-01-11T05:30:00.000Z');
  });

  it('crosses a daylight-saving change at the right instant', () => {
    // Berlin moves from +01:00 to +02:00 at 2024-03-31 02:00 local.
    expect(iso(nextTime(parseSchedule('0 12 * * *'), at('2024-03-30T12:00:00Z'), 'Europe/Berlin'))).toBe('2024-03-31T10:00:00.000Z');
  });

  it('rejects a malformed spec with robfig/cron texts', () => {
    expect(() => parseSchedule('* * *')).toThrow('expected exactly 5 fields, found 3: [* * *]');
    expect(() => parseSchedule('61 * * * *')).toThrow('end of range (61) above maximum (59): 61');
  });
});
