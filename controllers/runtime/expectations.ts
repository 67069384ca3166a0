// Controller expectations: how many creates/deletes of its own a controller waits to see before acting again.

/** Upstream's ExpectationsTimeout: expectations older than this count as satisfied (a watch event may have been lost). */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Record_ {
  add: number;
  del: number;
  /** When set by `expectDeletions(key, objectKeys)`: the dependents whose deletion is awaited. */
  deleting: Set<string> | undefined;
  at: number;
}

/**
 * Per controller key (e.g. "ns/my-replicaset"), the creations and deletions still to be observed.
 * Typical use: `satisfied(key)` gates a reconcile's create/delete step; the controller calls
 * `expectCreations(key, n)` before issuing n creates, `creationObserved(key)` from the informer's
 * onAdd of each dependent (and once per create that failed, since no event will come), likewise for
 * deletions. Guarantees: a key with no record is satisfied; a record is satisfied when both counts
 * are ≤ 0 or when it is older than the TTL; deletions tracked by object key are counted at most once each.
 */
export class ControllerExpectations {
  readonly #records = new Map<string, Record_>();
  readonly #now: () => number;
  readonly #ttlMs: number;

  constructor(opts: { now?: () => number; ttlMs?: number } = {}) {
    this.#now = opts.now ?? Date.now;
    this.#ttlMs = opts.ttlMs ?? EXPECTATIONS_TTL_MS;
  }

  /** Whether the controller may act on `key` now: nothing pending, or the pending record expired. */
  satisfied(key: string): boolean {
    const r = this.#records.get(key);
    if (!r) return true;
    return (r.add <= 0 && r.del <= 0) || this.#now() - r.at > this.#ttlMs;
  }

  /** Replaces the record of `key` with `add` creations and `del` deletions pending, timestamped now. */
  setExpectations(key: string, add: number, del: number): void {
    this.#records.set(key, { add, del, deleting: undefined, at: this.#now() });
  }

  expectCreations(key: string, n: number): void {
    this.setExpectations(key, n, 0);
  }

  /** Expects `n` deletions, or the deletion of exactly these object keys (each observed at most once). */
  expectDeletions(key: string, n: number | readonly string[]): void {
    if (typeof n === 'number') return this.setExpectations(key, 0, n);
    this.#records.set(key, { add: 0, del: n.length, deleting: new Set(n), at: this.#now() });
  }

  /** Adds to the pending counts without resetting the timestamp (creating the record if needed). */
  raise(key: string, add: number, del: number): void {
    const r = this.#records.get(key);
    if (!r) return this.setExpectations(key, add, del);
    r.add += add;
    r.del += del;
  }

  /** Lowers the pending counts; a missing record is left missing. */
  lower(key: string, add: number, del: number): void {
    const r = this.#records.get(key);
    if (!r) return;
    r.add -= add;
    r.del -= del;
  }

  creationObserved(key: string): void {
    this.lower(key, 1, 0);
  }

  /**
   * One deletion seen. With tracked object keys, only a tracked `objectKey` counts (once); without,
   * every call counts.
   */
  deletionObserved(key: string, objectKey?: string): void {
    const r = this.#records.get(key);
    if (!r) return;
    if (r.deleting) {
      if (objectKey === undefined || !r.deleting.delete(objectKey)) return;
    }
    r.del -= 1;
  }

  /** Forgets `key` (its controller object was deleted). */
  delete(key: string): void {
    this.#records.delete(key);
  }

  /** The pending counts of `key`, for logs and tests. */
  pending(key: string): { add: number; del: number } | undefined {
    const r = this.#records.get(key);
    return r && { add: r.add, del: r.del };
  }
}
