// Jittered exponential back-off and an abortable sleep, shared by the reflector and leader election.

/** Waits `ms` (timer unref'd); resolves early, without throwing, when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * initial·factor^n capped at max, each step stretched by up to `jitter`·step (as wait.Jitter does);
 * resets itself when the previous step was longer than `resetAfterMs` ago (client-go's reflector: 2 min).
 */
export class Backoff {
  #step: number;
  #lastAt = 0;
  constructor(
    readonly initialMs = 800,
    readonly maxMs = 30_000,
    readonly factor = 2,
    readonly jitter = 1,
    readonly resetAfterMs = 120_000,
    readonly random: () => number = Math.random,
  ) {
    this.#step = initialMs;
  }

  next(): number {
    const now = Date.now();
    if (this.#lastAt && now - this.#lastAt > this.resetAfterMs) this.#step = this.initialMs;
    this.#lastAt = now;
    const step = this.#step;
    this.#step = Math.min(this.#step * this.factor, this.maxMs);
    return Math.round(step + (this.jitter > 0 ? this.random() * this.jitter * step : 0));
  }

  reset(): void {
    this.#step = this.initialMs;
    this.#lastAt = 0;
  }
}
