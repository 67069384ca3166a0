// The storage contract every backend (SQLite, etcd) implements: a revisioned key/value log shaped like etcd v3.

/** One stored version of a key. `value` is the object's JSON text. */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision at which the key was (last) created. */
  createRevision: number;
  /** Revision of the write that produced this version; this is the object's resourceVersion. */
  modRevision: number;
}

/** A committed change, delivered to watchers in revision order. */
export type WatchEvent =
  | { type: 'put'; revision: number; kv: KeyValue; prevKv?: KeyValue }
  | { type: 'delete'; revision: number; kv: KeyValue; prevKv: KeyValue };

export interface ListOptions {
  /** Read as of this revision (0 or absent: the current one). Throws Compacted if older than the compacted revision. */
  revision?: number;
  /** At most this many keys (0 or absent: all). */
  limit?: number;
  /** Start at this key (inclusive); keys are returned in byte order. */
  startKey?: string;
}

export interface ListResult {
  /** The revision the read was served at. */
  revision: number;
  kvs: KeyValue[];
  /** How many keys under the prefix at that revision came after the returned page (0 when it was the last). */
  remaining: number;
}

export interface WatchHandle {
  /** Stop delivery; idempotent. */
  cancel(): void;
}

export interface WatchOptions {
  /** Deliver events with revision > afterRevision. Throws Compacted if that history is gone. */
  afterRevision: number;
  onEvents(events: WatchEvent[]): void;
  /** The watch ended because of the backend (closed, compacted underneath, connection lost). */
  onError(err: StorageError): void;
}

/**
 * The backend interface. Every method answers with the revision it acted at; writes resolve only after
 * the change is durable. Values are opaque JSON text; keys are `/registry/<resource>/[<namespace>/]<name>`.
 */
export interface Backend {
  get(key: string, revision?: number): Promise<{ revision: number; kv?: KeyValue }>;
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  count(prefix: string): Promise<{ revision: number; count: number }>;
  /** Create if absent; throws KeyExists. */
  create(key: string, value: string): Promise<KeyValue>;
  /** Compare-and-swap on the current modRevision; throws KeyNotFound or Conflict (with the current kv). */
  update(key: string, value: string, expectedModRevision: number): Promise<KeyValue>;
  /** Compare-and-swap delete (expectedModRevision 0: unconditional); returns the deleted version and the delete revision. */
  delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prevKv: KeyValue }>;
  /** Watch every key under prefix. */
  watch(prefix: string, opts: WatchOptions): WatchHandle;
  currentRevision(): Promise<number>;
  /** Oldest revision still readable (history before it was compacted away). */
  compactedRevision(): Promise<number>;
  /** Drop history older than revision (current values are always kept). */
  compact(revision: number): Promise<void>;
  /** Approximate bytes used on disk. */
  size(): Promise<number>;
  close(): Promise<void>;
}

export type StorageErrorCode = 'KeyNotFound' | 'KeyExists' | 'Conflict' | 'Compacted' | 'Unavailable';

/** The one storage error class; http/ translates its codes into Status objects in one place. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly key?: string;
  /** For Conflict: the current version, so callers can retry without another read. */
  readonly current?: KeyValue;
  /** For Compacted: the oldest revision still available. */
  readonly compactedRevision?: number;

  constructor(code: StorageErrorCode, message: string, extra: { key?: string; current?: KeyValue; compactedRevision?: number; cause?: unknown } = {}) {
    super(message, { cause: extra.cause });
    this.name = 'StorageError';
    this.code = code;
    this.key = extra.key;
    this.current = extra.current;
    this.compactedRevision = extra.compactedRevision;
  }
}

export function isStorageError(e: unknown, code?: StorageErrorCode): e is StorageError {
  return e instanceof StorageError && (code === undefined || e.code === code);
}
