// Upstream's kubelet back-off (flowcontrol.Backoff): per key, 10 s doubling to 5 min, forgotten after 2 × max without failures.

export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;

/** Go's time.Duration.String() for whole seconds and minutes: 10s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = s % 60;
  return h > 0 ? `${h}h${m}m${rest}s` : `${m}m${rest}s`;
}

export class BackoffTracker {
  readonly #entries = new Map<string, { durationMs: number; lastUpdateMs: number }>();
  readonly #now: () => number;
  readonly #initial: number;
  readonly #max: number;

  constructor(opts: { now?: () => number; initialMs?: number; maxMs?: number } = {}) {
    this.#now = opts.now ?? Date.now;
    this.#initial = opts.initialMs ?? INITIAL_BACKOFF_MS;
    this.#max = opts.maxMs ?? MAX_BACKOFF_MS;
  }

  /** Current back-off of `key` (0 when none). */
  get(key: string): number {
    return this.#entries.get(key)?.durationMs ?? 0;
  }

  /** True while less than the current back-off has passed since `sinceMs` (the last failure). */
  inBackoffSince(key: string, sinceMs: number): boolean {
    const e = this.#entries.get(key);
    if (!e) return false;
    if (sinceMs - e.lastUpdateMs > 2 * this.#max) return false;
    return this.#now() - sinceMs < e.durationMs;
  }

  /** Milliseconds until the back-off since `sinceMs` ends (0 when not backing off). */
  remaining(key: string, sinceMs: number): number {
    const e = this.#entries.get(key);
    return e ? Math.max(0, sinceMs + e.durationMs - this.#now()) : 0;
  }

  /** Records a restart: the first gives the initial back-off, later ones double it up to the maximum. */
  next(key: string): void {
    const now = this.#now();
    const e = this.#entries.get(key);
    if (!e || now - e.lastUpdateMs > 2 * this.#max) this.#entries.set(key, { durationMs: this.#initial, lastUpdateMs: now });
    else this.#entries.set(key, { durationMs: Math.min(e.durationMs * 2, this.#max), lastUpdateMs: now });
  }

  /** Forget every key with this prefix (a pod went away). */
  forgetPrefix(prefix: string): void {
    for (const k of this.#entries.keys()) if (k.startsWith(prefix)) this.#entries.delete(k);
  }
}
