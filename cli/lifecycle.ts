// Running a component until SIGINT/SIGTERM: one place for the keep-alive, the stop order and the bounded exit.
import type { Logger } from '../server/log.ts';

/**
 * Keeps the process alive (the runtimes' own timers are unref'd, so a standby or backing-off component would
 * otherwise exit with 0 when no socket is open) until SIGINT/SIGTERM, then runs `stops` in order and exits 0,
 * or 1 when one fails or they take longer than `graceMs`.
 */
export function runUntilSignal(log: Logger, stops: ReadonlyArray<(() => Promise<unknown>) | undefined>, graceMs = 5000): void {
  const keepAlive = setInterval(() => undefined, 1 << 30);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    log.info('stopping', { signal });
    setTimeout(() => process.exit(1), graceMs).unref();
    let failed = false;
    const chain = stops.reduce<Promise<void>>(
      (done, next) =>
        done.then(() =>
          next?.().then(
            () => undefined,
            (e: unknown) => {
              failed = true;
              log.error('stop failed', { error: e instanceof Error ? e.message : String(e) });
            },
          ),
        ),
      Promise.resolve(),
    );
    void chain.then(() => process.exit(failed ? 1 : 0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
