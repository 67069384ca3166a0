// Structured logs: one JSON line per event, component first; quiet (warn+) by default, verbose with -v.
export type Level = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(component: string): Logger;
}

let threshold: Level = (process.env.TSKUBE_LOG_LEVEL as Level | undefined) ?? 'warn';

/** -v gives info, -v=2 (or more) gives debug. */
export function setVerbosity(v: number): void {
  threshold = v >= 2 ? 'debug' : v >= 1 ? 'info' : 'warn';
}

export function createLogger(component: string, sink: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (level: Level, msg: string, fields?: Record<string, unknown>): void => {
    if (ORDER[level] < ORDER[threshold]) return;
    sink(JSON.stringify({ component, level, ts: new Date().toISOString(), msg, ...fields }));
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (sub) => createLogger(`${component}/${sub}`, sink),
  };
}
