// How the CronJob controller prints a scheduled time; schedules themselves are parsed by server/registry/cron.ts.
import { tzOffsetMs } from '../../server/registry/cron.ts';

/** RFC 3339 of `ms` as seen in `tz` ("…Z" for UTC, "…+02:00" otherwise), as Go's Time.In(tz).Format(time.RFC3339). */
export function formatInZone(ms: number, tz = 'UTC'): string {
  const off = tzOffsetMs(tz, ms);
  const base = new Date(Math.floor(ms / 1000) * 1000 + off).toISOString().slice(0, 19);
  if (off === 0) return `${base}Z`;
  const a = Math.abs(off) / 60_000;
  return `${base}${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
