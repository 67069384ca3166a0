// A counting semaphore: at most `max` tasks at once, the rest wait in FIFO order (caps concurrent sandbox starts).

/** Runs tasks with at most `max` of them in flight; `max` ≤ 0 means no limit. */
export class Limiter {
  readonly max: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(max: number) {
    this.max = max;
  }

  /** Runs `fn` once a slot is free; the slot is released however `fn` ends. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.max > 0 && this.#active >= this.max) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await fn();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so #active stays counted for it.
      if (next) next();
      else this.#active--;
    }
  }

  /** Tasks waiting for a slot. */
  get waiting(): number {
    return this.#waiting.length;
  }
}
