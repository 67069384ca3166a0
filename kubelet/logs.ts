// Container logs in CRI format (`<RFC3339Nano> <stream> <P|F> <text>`): parsing, filtering and following, as `kubectl logs` wants them.
import { open, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  sinceMs?: number;
  timestamps?: boolean;
  limitBytes?: number;
}

export interface LogLine {
  /** The timestamp text as written (RFC 3339 with nanoseconds). */
  time: string;
  ms: number;
  stream: 'stdout' | 'stderr';
  /** The full line, partial pieces joined, newline included when the line ended. */
  text: string;
}

/**
 * Splits CRI log text into complete lines; partial ("P") pieces are joined with what follows. Returns the
 * lines and the unconsumed tail (an incomplete last record) for the next chunk.
 */
export function parseCriLog(text: string, pending: { partial?: LogLine } = {}): { lines: LogLine[]; rest: string } {
  const lines: LogLine[] = [];
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    if (nl < 0) break;
    const record = text.slice(start, nl);
    start = nl + 1;
    const m = /^(\S+) (stdout|stderr) (P|F) ?(.*)$/s.exec(record);
    if (!m) continue;
    const [, time, stream, tag, content] = m as unknown as [string, string, 'stdout' | 'stderr', string, string];
    const prev = pending.partial;
    if (tag === 'P') {
      pending.partial = prev ? { ...prev, text: prev.text + content } : { time, ms: Date.parse(time), stream, text: content };
      continue;
    }
    pending.partial = undefined;
    lines.push(prev ? { ...prev, text: prev.text + content + '\n' } : { time, ms: Date.parse(time), stream, text: content + '\n' });
  }
  return { lines, rest: text.slice(start) };
}

/** What one line looks like on the wire. */
export function renderLine(l: LogLine, timestamps: boolean): string {
  return timestamps ? `${l.time} ${l.text}` : l.text;
}

/**
 * Writes the log at `path` to `out` with upstream's semantics: sinceMs filters by timestamp, tailLines keeps
 * the last N lines, limitBytes stops after that many bytes, follow keeps reading appended records until
 * `stillRunning()` turns false (and nothing more arrives) or `signal` aborts. Resolves when done.
 */
export async function streamLog(path: string, out: Writable, o: LogOptions, stillRunning: () => boolean, signal: AbortSignal): Promise<void> {
  let budget = o.limitBytes && o.limitBytes > 0 ? o.limitBytes : Infinity;
  const write = (lines: LogLine[]): boolean => {
    for (const l of lines) {
      if (o.sinceMs !== undefined && l.ms < o.sinceMs) continue;
      let s = Buffer.from(renderLine(l, o.timestamps === true));
      if (s.length > budget) s = s.subarray(0, budget);
      budget -= s.length;
      out.write(s);
      if (budget <= 0) return false;
    }
    return true;
  };
  const fh = await open(path, 'r').catch(() => undefined);
  if (!fh) return;
  try {
    const pending: { partial?: LogLine } = {};
    let offset = 0;
    let carry = '';
    const readMore = async (): Promise<LogLine[]> => {
      const { size } = await fh.stat();
      if (size < offset) offset = 0; // rotated or truncated
      if (size === offset) return [];
      const buf = Buffer.alloc(size - offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      offset += bytesRead;
      const { lines, rest } = parseCriLog(carry + buf.subarray(0, bytesRead).toString('utf8'), pending);
      carry = rest;
      return lines;
    };
    let first = await readMore();
    if (o.tailLines !== undefined && o.tailLines >= 0) first = o.tailLines === 0 ? [] : first.slice(-o.tailLines);
    if (!write(first) || !o.follow) return;
    while (!signal.aborted) {
      await new Promise((r) => setTimeout(r, 200));
      const running = stillRunning();
      const more = await readMore();
      if (!write(more)) return;
      if (!running && more.length === 0) return;
    }
  } finally {
    await fh.close();
  }
}

/** True when the file exists. */
export async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
