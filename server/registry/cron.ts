// CronJob schedules as robfig/cron v3's ParseStandard reads them (exact error texts) and their next activation times.

interface Bounds {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: readonly Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** robfig's starBit: set on a field written `*` or `?` (matters for the day-of-month/day-of-week rule). */
const STAR = 1n << 63n;

/** A parsed schedule: bit sets per field (bit 63 marks a `*`), or a constant delay for `@every`. */
export interface Schedule {
  minute: bigint;
  hour: bigint;
  dom: bigint;
  month: bigint;
  dow: bigint;
  everyMs?: number;
  /** The zone of a `TZ=`/`CRON_TZ=` prefix, when the spec had one. */
  location?: string;
}

/** Go's strconv.Atoi error text inside robfig's `failed to parse int from …`. */
function mustParseInt(expr: string): number {
  if (!/^[+-]?\d+$/.test(expr)) throw new Error(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (!Number.isSafeInteger(n) || Math.abs(n) > 2 ** 63) throw new Error(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: value out of range`);
  if (n < 0) throw new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, names?: Readonly<Record<string, number>>): number {
  const named = names?.[expr.toLowerCase()];
  return named !== undefined ? named : mustParseInt(expr);
}

/** robfig's getRange: the bits of one comma-separated part of a field. */
function getRange(expr: string, r: Bounds): bigint {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  let start: number;
  let end: number;
  let extra = 0n;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = r.min;
    end = r.max;
    extra = STAR;
  } else {
    start = parseIntOrName(lowAndHigh[0], r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], r.names);
    else throw new Error(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]);
    // "N/step" means "N-max/step".
    if (lowAndHigh.length === 1) end = r.max;
    if (step > 1) extra = 0n;
  } else if (rangeAndStep.length > 2) {
    throw new Error(`too many slashes: ${expr}`);
  }
  if (start < r.min) throw new Error(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > r.max) throw new Error(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  let bits = extra;
  for (let i = start; i <= end; i += step) bits |= 1n << BigInt(i);
  return bits;
}

function getField(field: string, r: Bounds): bigint {
  let bits = 0n;
  for (const part of field.split(',')) bits |= getRange(part, r);
  return bits;
}

const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, μs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration in milliseconds, enough for what `@every` takes; undefined when Go rejects it. */
function parseGoDurationMs(s: string): number | undefined {
  if (s === '0') return 0;
  if (!/^[+-]?((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) total += Number(m[1]) * DURATION_UNIT_MS[m[2]!]!;
  return s.startsWith('-') ? -total : total;
}

/**
 * Parses `spec` as robfig/cron's ParseStandard: 5 fields with names, ranges and steps, an optional
 * `TZ=`/`CRON_TZ=` prefix, `@hourly`-style descriptors and `@every <duration>` (at least 1s, whole seconds).
 * @throws Error with robfig/cron's exact text, e.g. `expected exactly 5 fields, found 1: [foo]`.
 */
export function parseSchedule(spec: string): Schedule {
  let s = spec;
  if (s.length === 0) throw new Error('empty spec string');
  let location: string | undefined;
  if (s.startsWith('TZ=') || s.startsWith('CRON_TZ=')) {
    const i = s.indexOf(' ');
    const zone = s.slice(s.indexOf('=') + 1, i < 0 ? undefined : i);
    if (!isTimeZone(zone)) throw new Error(`provided bad location ${zone}: unknown time zone ${zone}`);
    location = zone === '' ? 'UTC' : zone;
    s = i < 0 ? '' : s.slice(i).trim();
  }
  const at = location === undefined ? {} : { location };
  if (s.startsWith('@')) {
    if (s.startsWith('@every ')) {
      const d = s.slice('@every '.length);
      const ms = parseGoDurationMs(d);
      if (ms === undefined) throw new Error(`failed to parse duration ${s}: time: invalid duration ${JSON.stringify(d)}`);
      return { minute: 0n, hour: 0n, dom: 0n, month: 0n, dow: 0n, everyMs: Math.max(1000, Math.floor(ms / 1000) * 1000), ...at };
    }
    const expanded = DESCRIPTORS[s];
    if (expanded === undefined) throw new Error(`unrecognized descriptor: ${s}`);
    s = expanded;
  }
  const fields = s.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) throw new Error(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  const [minute, hour, dom, month, dow] = fields.map((f, i) => getField(f, FIELDS[i])) as [bigint, bigint, bigint, bigint, bigint];
  return { minute, hour, dom, month, dow, ...at };
}

/**
 * The error robfig/cron's ParseStandard returns for `spec`, or undefined when it parses.
 * Guarantees the same texts as parseSchedule throws.
 */
export function cronScheduleError(spec: string): string | undefined {
  try {
    parseSchedule(spec);
    return undefined;
  } catch (e: unknown) {
    return e instanceof Error ? e.message : String(e);
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** True when the IANA zone exists (what Go's time.LoadLocation accepts, `Local` aside; '' is UTC). */
export function isTimeZone(zone: string): boolean {
  if (zone === '' || zone === 'UTC') return true;
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
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

function has(bits: bigint, i: number): boolean {
  return (bits & (1n << BigInt(i))) !== 0n;
}

/** robfig's dayMatches: day-of-month OR day-of-week, unless either is a `*` (then both must hold). */
function dayMatches(s: Schedule, d: Date): boolean {
  const dom = has(s.dom, d.getUTCDate());
  const dow = has(s.dow, d.getUTCDay());
  return (s.dom & STAR) !== 0n || (s.dow & STAR) !== 0n ? dom && dow : dom || dow;
}

/**
 * The first activation strictly after `after` (ms since epoch) in time zone `tz` (default: the spec's
 * TZ= prefix, else UTC), following robfig/cron's search: month, day, hour, minute; undefined when none
 * within five years.
 */
export function nextTime(s: Schedule, after: number, tz = s.location ?? 'UTC'): number | undefined {
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
