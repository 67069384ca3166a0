// Standard 5-field cron schedules (robfig/cron v3 ParseStandard semantics) and their next activation times in an IANA time zone.
import { cronScheduleError } from '../../server/registry/cron.ts';

const STAR = 1n << 63n;

interface Field {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}
const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: readonly Field[] = [{ min: 0, max: 59 }, { min: 0, max: 23 }, { min: 1, max: 31 }, { min: 1, max: 12, names: MONTHS }, { min: 0, max: 6, names: DAYS }];
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0', '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

/** A parsed schedule: bit sets per field (bit 63 marks a `*`), or a constant delay for `@every`. */
export interface Schedule {
  minute: bigint;
  hour: bigint;
  dom: bigint;
  month: bigint;
  dow: bigint;
  everyMs?: number;
}

/**
 * Parses a standard cron spec (5 fields, names, ranges, steps, `@hourly`-style descriptors, `@every`).
 * @throws Error with robfig/cron's message when the spec does not parse.
 */
export function parseSchedule(specText: string): Schedule {
  const err = cronScheduleError(specText);
  if (err) throw new Error(err);
  let s = specText.trim();
  if (s.startsWith('@every ')) return { minute: 0n, hour: 0n, dom: 0n, month: 0n, dow: 0n, everyMs: Math.max(1000, Math.floor(goDurationMs(s.slice(7).trim()) / 1000) * 1000) };
  s = DESCRIPTORS[s.toLowerCase()] ?? s;
  const parts = s.split(/\s+/);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]!)) as [bigint, bigint, bigint, bigint, bigint];
  return { minute, hour, dom, month, dow };
}

function parseField(text: string, f: Field): bigint {
  let bits = 0n;
  for (const expr of text.split(',')) {
    const [range, stepText] = expr.split('/') as [string, string | undefined];
    const lh = range.split('-');
    let start: number;
    let end: number;
    let extra = 0n;
    if (lh[0] === '*' || lh[0] === '?') {
      start = f.min;
      end = f.max;
      extra = STAR;
    } else {
      start = value(lh[0]!, f);
      end = lh.length === 2 ? value(lh[1]!, f) : start;
    }
    let step = 1;
    if (stepText !== undefined) {
      step = Number(stepText);
      if (lh.length === 1 && extra === 0n) end = f.max;
      if (step > 1) extra = 0n;
    }
    for (let i = start; i <= end; i += step) bits |= 1n << BigInt(i);
    bits |= extra;
  }
  return bits;
}

function value(t: string, f: Field): number {
  return f.names?.[t.toLowerCase()] ?? Number(t);
}

function goDurationMs(s: string): number {
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(m[1]) * unit[m[2]!]!;
  return total;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Whether `tz` names a time zone Intl knows (as Go's time.LoadLocation would). */
export function isValidTimeZone(tz: string): boolean {
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** The UTC offset of `tz` at instant `ms`, in ms (wall clock = instant + offset). */
export function tzOffsetMs(tz: string, ms: number): number {
  if (tz === 'UTC' || tz === 'Etc/UTC') return 0;
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The instant whose wall clock in `tz` reads `wall` (a UTC-encoded wall time); in a DST gap, the later offset's reading. */
function wallToInstant(tz: string, wall: number): number {
  const o1 = tzOffsetMs(tz, wall - tzOffsetMs(tz, wall));
  const inst = wall - o1;
  const o2 = tzOffsetMs(tz, inst);
  return o2 === o1 ? inst : wall - o2;
}

/**
 * The first activation strictly after `after` (ms since epoch) in time zone `tz` (default UTC),
 * following robfig/cron's search: month, day (day-of-month OR day-of-week unless one is `*`), hour,
 * minute; undefined when none within five years.
 */
export function nextTime(s: Schedule, after: number, tz = 'UTC'): number | undefined {
  if (s.everyMs !== undefined) return Math.floor(after / 1000) * 1000 + s.everyMs;
  let wall = Math.floor((after + tzOffsetMs(tz, after)) / 60_000) * 60_000 + 60_000;
  const limit = new Date(wall).getUTCFullYear() + 5;
  for (;;) {
    const d = new Date(wall);
    if (d.getUTCFullYear() > limit) return undefined;
    if (!has(s.month, d.getUTCMonth() + 1)) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      continue;
    }
    if (!dayMatches(s, d)) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
      continue;
    }
    if (!has(s.hour, d.getUTCHours())) {
      wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1);
      continue;
    }
    if (!has(s.minute, d.getUTCMinutes())) {
      wall += 60_000;
      continue;
    }
    const inst = wallToInstant(tz, wall);
    if (inst > after) return inst;
    wall += 60_000;
  }
}

function has(bits: bigint, i: number): boolean {
  return (bits & (1n << BigInt(i))) !== 0n;
}

function dayMatches(s: Schedule, d: Date): boolean {
  const dom = has(s.dom, d.getUTCDate());
  const dow = has(s.dow, d.getUTCDay());
  return (s.dom & STAR) !== 0n || (s.dow & STAR) !== 0n ? dom && dow : dom || dow;
}

/** RFC 3339 of `ms` as seen in `tz` ("…Z" for UTC, "…+02:00" otherwise), as Go's Time.In(tz).Format(time.RFC3339). */
export function formatInZone(ms: number, tz = 'UTC'): string {
  const off = tzOffsetMs(tz, ms);
  const base = new Date(Math.floor(ms / 1000) * 1000 + off).toISOString().slice(0, 19);
  if (off === 0) return `${base}Z`;
  const a = Math.abs(off) / 60_000;
  return `${base}${off < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
