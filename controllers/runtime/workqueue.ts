// A rate-limited work queue with client-go's promises: fair FIFO, de-duplicated, one worker per key at a time.

/** Decides how long an item waits before it is retried. */
export interface RateLimiter {
  when(key: string): number;
  forget(key: string): void;
  retries(key: string): number;
}

/** Per-key exponential back-off: base, 2·base, 4·base, … capped at max (client-go's ItemExponentialFailureRateLimiter). */
export class ExponentialRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();
  constructor(readonly baseMs = 5, readonly maxMs = 1_000_000) {}

  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }
  forget(key: string): void {
    this.#failures.delete(key);
  }
  retries(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/** One token bucket over all keys (client-go's BucketRateLimiter): `qps` refill, `burst` capacity. */
export class BucketRateLimiter implements RateLimiter {
  #tokens: number;
  #last: number;
  constructor(readonly qps = 10, readonly burst = 100, readonly now: () => number = Date.now) {
    this.#tokens = burst;
    this.#last = now();
  }

  /** Reserves a token; the wait is how long until that token exists (tokens may go negative, as in x/time/rate). */
  when(_key: string): number {
    const t = this.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((t - this.#last) * this.qps) / 1000);
    this.#last = t;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : Math.ceil((-this.#tokens * 1000) / this.qps);
  }
  forget(_key: string): void {}
  retries(_key: string): number {
    return 0;
  }
}

/** The longest wait of several limiters (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: RateLimiter[];
  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }
  when(key: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.when(key)));
  }
  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }
  retries(key: string): number {
    return Math.max(0, ...this.#limiters.map((l) => l.retries(key)));
  }
}

/** client-go's DefaultControllerRateLimiter: 5 ms doubling to 1000 s per key, and 10 qps / 100 burst overall. */
export function defaultControllerRateLimiter(): RateLimiter {
  return new MaxOfRateLimiter(new ExponentialRateLimiter(5, 1_000_000), new BucketRateLimiter(10, 100));
}

/**
 * The queue. Guarantees:
 * - a key queued several times before a worker takes it is handed out once (de-duplication);
 * - a key is never handed to two workers at once: re-adding it while it is processed queues it
 *   again only when `done(key)` is called;
 * - keys are handed out in the order they became ready, waiting `get()` callers are served in order;
 * - delayed adds keep the earliest wanted time per key; their timers never keep the process alive;
 * - after `shutDown()` adds are ignored and every pending or later `get()` resolves to undefined.
 */
export class WorkQueue {
  readonly #queue: string[] = [];
  #head = 0;
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiters: Array<(key: string | undefined) => void> = [];
  readonly #delayed = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  readonly #limiter: RateLimiter;
  #shuttingDown = false;

  constructor(rateLimiter: RateLimiter = defaultControllerRateLimiter()) {
    this.#limiter = rateLimiter;
  }

  /** Queues `key` unless it is already queued; a key being processed is queued again at `done`. */
  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#wake();
  }

  /** Adds `key` after `ms`; if it is already waiting for an earlier time, that earlier time wins. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) return this.add(key);
    const at = Date.now() + ms;
    const pending = this.#delayed.get(key);
    if (pending && pending.at <= at) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.#delayed.set(key, { at, timer });
  }

  /** Adds `key` when the rate limiter allows: per-key back-off grows with each call until `forget(key)`. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.#limiter.when(key));
  }

  /** Ends the back-off of `key` (call after a successful reconcile); does not remove it from the queue. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  /** How many rate-limited retries `key` has had since it was last forgotten. */
  numRequeues(key: string): number {
    return this.#limiter.retries(key);
  }

  /** The next key to process, marked as processing until `done(key)`; undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    if (this.#waiters.length === 0 && this.#head < this.#queue.length) return Promise.resolve(this.#take());
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
    });
  }

  /** Marks `key` as no longer processed; if it was added meanwhile, it is queued again now. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) {
      this.#queue.push(key);
      this.#wake();
    }
  }

  /** Stops the queue: drops waiting timers, ignores later adds, releases every waiting `get()` with undefined. */
  shutDown(): void {
    this.#shuttingDown = true;
    for (const { timer } of this.#delayed.values()) clearTimeout(timer);
    this.#delayed.clear();
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Keys ready to be handed out (not counting delayed or processing ones). */
  len(): number {
    return this.#queue.length - this.#head;
  }

  #take(): string {
    const key = this.#queue[this.#head++]!;
    // Compact now and then instead of shifting on every take.
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #wake(): void {
    while (this.#waiters.length > 0 && this.#head < this.#queue.length) this.#waiters.shift()!(this.#take());
  }
}
