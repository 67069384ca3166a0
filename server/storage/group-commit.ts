// Group commit: the writes of one event-loop turn committed in one transaction, each keeping its own outcome.
import { StorageError, type WatchEvent } from './backend.ts';

/** What one write produces inside the batch: the caller's answer and the event to publish after the commit. */
export interface WriteOutcome {
  result: unknown;
  event: WatchEvent;
}

/** One queued write: its work inside the batch transaction and its caller. */
export interface PendingWrite {
  key: string;
  run: () => WriteOutcome;
  resolve: (v: unknown) => void;
  reject: (e: StorageError) => void;
}

export interface GroupCommitOptions {
  /**
   * Runs every write in order inside ONE transaction and commits it, answering per write its outcome or its own
   * error (a write that fails must leave nothing behind). Throws when the transaction as a whole failed.
   */
  commit(writes: readonly PendingWrite[]): (WriteOutcome | StorageError)[];
  /** Called per committed write, in revision order, after the commit and before any caller is answered. */
  publish(event: WatchEvent): void;
  /** Maps a whole-batch failure to the error every caller of the batch gets. */
  toError(e: unknown, key: string): StorageError;
  isClosed(): boolean;
}

/**
 * A commit costs far more than a write, so writes arriving in the same turn of the event loop are queued and
 * committed together at setImmediate (after every I/O callback of the turn). Guarantees: writes run in arrival
 * order (so revisions follow call order); a caller is answered only after the commit that made its write durable;
 * a failed commit fails every write of its batch; events are published in order before callers are answered.
 */
export class GroupCommit {
  #queue: PendingWrite[] = [];
  #scheduled = false;
  #opts: GroupCommitOptions;

  constructor(opts: GroupCommitOptions) {
    this.#opts = opts;
  }

  /** Queues a write for the next commit; never throws (a closed store answers with a rejected promise). */
  enqueue<T>(key: string, run: () => WriteOutcome & { result: T }): Promise<T> {
    if (this.#opts.isClosed()) return Promise.reject(new StorageError('Unavailable', 'storage is closed', { key }));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ key, run, resolve: resolve as (v: unknown) => void, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(this.flush);
      }
    });
  }

  /** Commits every queued write now (the store calls it before closing, so accepted writes still land). */
  flush = (): void => {
    this.#scheduled = false;
    const writes = this.#queue;
    if (writes.length === 0) return;
    this.#queue = [];
    let outcomes: (WriteOutcome | StorageError)[];
    try {
      if (this.#opts.isClosed()) throw new StorageError('Unavailable', 'storage is closed');
      outcomes = this.#opts.commit(writes);
    } catch (e: unknown) {
      for (const w of writes) w.reject(this.#opts.toError(e, w.key));
      return;
    }
    for (const o of outcomes) if (!(o instanceof StorageError)) this.#opts.publish(o.event);
    for (let i = 0; i < writes.length; i++) {
      const o = outcomes[i]!;
      if (o instanceof StorageError) writes[i]!.reject(o);
      else writes[i]!.resolve(o.result);
    }
  };
}
