// etcd storage backend: the Backend contract on a real etcd v3 cluster (keys as upstream's, JSON values, txn CAS).
import * as grpc from '@grpc/grpc-js';
import {
  StorageError,
  type Backend,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
} from './backend.ts';
import { EtcdCallError, EtcdClient, type EtcdClientOptions, type RawEvent, type RawKv, type RequestOp, type WatchStream } from './etcd-client.ts';

/*
 * Mapping. A key is stored under its own name (`/registry/pods/ns/name`, as kube-apiserver with its default
 * prefix), the value is the object's JSON text, resourceVersion = the etcd revision of the write. The only writes
 * are the three transactions an API server needs: create = if create_revision(key) == 0 then put; update = if
 * mod_revision(key) == expected then put; delete = if mod_revision(key) == expected then delete; each with a
 * read of the key as its failure branch, so a Conflict carries the current version without another round trip.
 * etcd owns the revision counter, history and compaction, so several API servers can share one cluster: a watch
 * opened through one sees writes made through another.
 */

const DEFAULT_COMPACT_INTERVAL_MS = 5 * 60_000;
/** A key nothing writes: watching it from revision 1 makes etcd tell the compacted revision. */
const PROBE_KEY = Buffer.from('/tskube-compaction-probe\0');
/** etcd checks a catching-up watch against the compacted revision on its next sync, every 100 ms. */
const PROBE_WAIT_MS = 400;
/** Reads are retried for this long when no member answers (a member is restarting, or the leader just changed). */
const READ_RETRY_MS = 5_000;

export interface EtcdBackendOptions extends EtcdClientOptions {
  /** How often history is compacted (to the revision current one interval earlier); 0 disables. Default 5 min. */
  compactIntervalMs?: number;
  log?: (msg: string) => void;
}

const enc = (s: string) => Buffer.from(s, 'utf8');

/** The byte string just past every key that starts with prefix (etcd's range end for a prefix); empty prefix: all keys. */
export function prefixRangeEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return Buffer.from([0]);
}

const toKv = (r: RawKv): KeyValue => ({
  key: r.key.toString('utf8'),
  value: r.value.toString('utf8'),
  createRevision: r.create_revision,
  modRevision: r.mod_revision,
});

/** What an etcd failure means to callers: Compacted, or Unavailable (the rest of the set is decided by our txns). */
function toStorageError(e: unknown, key?: string): StorageError {
  if (e instanceof StorageError) return e;
  if (e instanceof EtcdCallError) {
    if (e.details.includes('required revision has been compacted')) return new StorageError('Compacted', e.details, { key, cause: e });
    return new StorageError('Unavailable', e.message, { key, cause: e });
  }
  return new StorageError('Unavailable', `etcd: ${e instanceof Error ? e.message : String(e)}`, { key, cause: e });
}

/** Failures worth retrying for an idempotent read: nobody answered, or the cluster was between leaders. */
function transient(e: unknown): boolean {
  if (!(e instanceof EtcdCallError)) return false;
  if (e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED) return true;
  return /leader changed|no leader|request timed out|too many requests/.test(e.details);
}

function watchEvent(ev: RawEvent): WatchEvent | StorageError {
  const kv = toKv(ev.kv);
  if (ev.type === 'DELETE') {
    // Upstream fails such a watch too: without the deleted version there is no object to report.
    if (!ev.prev_kv) return new StorageError('Unavailable', `etcd delete event without its previous version (key ${kv.key}, revision ${kv.modRevision})`);
    return { type: 'delete', revision: kv.modRevision, kv: { key: kv.key, value: '', createRevision: 0, modRevision: kv.modRevision }, prevKv: toKv(ev.prev_kv) };
  }
  return ev.prev_kv ? { type: 'put', revision: kv.modRevision, kv, prevKv: toKv(ev.prev_kv) } : { type: 'put', revision: kv.modRevision, kv };
}

/** The etcd Backend; see the mapping note above. */
export class EtcdBackend implements Backend {
  #client: EtcdClient;
  #log?: (msg: string) => void;
  #watches = new Set<WatchStream>();
  #timer?: NodeJS.Timeout;
  #closed = false;
  /** The highest compacted revision seen; a floor for the real one (another client may compact further). */
  #compacted = 1;

  constructor(client: EtcdClient, opts: EtcdBackendOptions = {}) {
    this.#client = client;
    this.#log = opts.log;
    const interval = opts.compactIntervalMs ?? DEFAULT_COMPACT_INTERVAL_MS;
    if (interval > 0) {
      let mark = 0;
      this.#timer = setInterval(() => {
        const target = mark;
        this.currentRevision().then(
          (rev) => {
            mark = rev;
            if (target > this.#compacted) return this.compact(target);
          },
        ).catch((e: unknown) => this.#log?.(`storage: etcd compaction failed: ${String(e)}`));
      }, interval);
      this.#timer.unref();
    }
  }

  async #call<T>(fn: () => Promise<T>, opts: { key?: string; retry?: boolean } = {}): Promise<T> {
    if (this.#closed) throw new StorageError('Unavailable', 'storage is closed', { key: opts.key });
    const deadline = Date.now() + (opts.retry ? READ_RETRY_MS : 0);
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      try {
        return await fn();
      } catch (e: unknown) {
        if (!transient(e) || Date.now() + delay > deadline || this.#closed) {
          const err = toStorageError(e, opts.key);
          if (err.code === 'Compacted') throw await this.#withCompactedRevision(err);
          throw err;
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** etcd's compaction error names no revision; callers (410 messages) want it, so look it up. */
  async #withCompactedRevision(err: StorageError): Promise<StorageError> {
    const compacted = await this.compactedRevision().catch(() => this.#compacted);
    return new StorageError('Compacted', `mvcc: required revision has been compacted (oldest available is ${compacted})`, { key: err.key, compactedRevision: compacted, cause: err });
  }

  async get(key: string, revision?: number): Promise<{ revision: number; kv?: KeyValue }> {
    const res = await this.#call(() => this.#client.range({ key: enc(key), revision: revision ?? 0 }), { key, retry: true });
    const at = revision || res.header.revision;
    return res.kvs.length > 0 ? { revision: at, kv: toKv(res.kvs[0]) } : { revision: at };
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const start = opts.startKey && opts.startKey > prefix ? opts.startKey : prefix;
    const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
    const res = await this.#call(
      () => this.#client.range({ key: enc(start), range_end: prefixRangeEnd(enc(prefix)), limit, revision: opts.revision ?? 0 }),
      { retry: true },
    );
    // count covers the whole range from start, limit or not.
    return { revision: opts.revision || res.header.revision, kvs: res.kvs.map(toKv), remaining: Math.max(0, res.count - res.kvs.length) };
  }

  async count(prefix: string): Promise<{ revision: number; count: number }> {
    const p = enc(prefix);
    const res = await this.#call(() => this.#client.range({ key: p, range_end: prefixRangeEnd(p), count_only: true }), { retry: true });
    return { revision: res.header.revision, count: res.count };
  }

  /** The failure branch of every write: the key's current version, if any. */
  #readBack(key: Buffer): RequestOp {
    return { request_range: { key } };
  }

  async create(key: string, value: string): Promise<KeyValue> {
    const k = enc(key);
    const res = await this.#call(
      () => this.#client.txn({
        compare: [{ key: k, target: 'CREATE', result: 'EQUAL', create_revision: 0 }],
        success: [{ request_put: { key: k, value: enc(value) } }],
        failure: [this.#readBack(k)],
      }),
      { key },
    );
    if (!res.succeeded) {
      const cur = res.responses[0]?.response_range?.kvs[0];
      throw new StorageError('KeyExists', `key ${key} already exists`, { key, current: cur ? toKv(cur) : undefined });
    }
    const rev = res.header.revision;
    return { key, value, createRevision: rev, modRevision: rev };
  }

  async update(key: string, value: string, expectedModRevision: number): Promise<KeyValue> {
    const k = enc(key);
    // mod_revision == 0 holds for a missing key, which would turn the update into a create: never ask that.
    if (!(expectedModRevision > 0)) {
      const { kv } = await this.get(key);
      if (!kv) throw new StorageError('KeyNotFound', `key ${key} not found`, { key });
      throw new StorageError('Conflict', `key ${key} is at revision ${kv.modRevision}, not ${expectedModRevision}`, { key, current: kv });
    }
    const res = await this.#call(
      () => this.#client.txn({
        compare: [{ key: k, target: 'MOD', result: 'EQUAL', mod_revision: expectedModRevision }],
        success: [{ request_put: { key: k, value: enc(value), prev_kv: true } }],
        failure: [this.#readBack(k)],
      }),
      { key },
    );
    if (!res.succeeded) throw this.#casFailure(key, expectedModRevision, res.responses[0]?.response_range?.kvs[0]);
    const prev = res.responses[0]?.response_put?.prev_kv;
    const rev = res.header.revision;
    return { key, value, createRevision: prev ? prev.create_revision : rev, modRevision: rev };
  }

  #casFailure(key: string, expected: number, cur: RawKv | undefined): StorageError {
    if (!cur) return new StorageError('KeyNotFound', `key ${key} not found`, { key });
    return new StorageError('Conflict', `key ${key} is at revision ${cur.mod_revision}, not ${expected}`, { key, current: toKv(cur) });
  }

  async delete(key: string, expectedModRevision?: number): Promise<{ revision: number; prevKv: KeyValue }> {
    const k = enc(key);
    const expected = expectedModRevision ?? 0;
    // Unconditional: "the key exists" is the only condition, so a missing key still reads as KeyNotFound.
    const compare = expected > 0
      ? { key: k, target: 'MOD' as const, result: 'EQUAL' as const, mod_revision: expected }
      : { key: k, target: 'CREATE' as const, result: 'GREATER' as const, create_revision: 0 };
    const res = await this.#call(
      () => this.#client.txn({ compare: [compare], success: [{ request_delete_range: { key: k, prev_kv: true } }], failure: [this.#readBack(k)] }),
      { key },
    );
    if (!res.succeeded) throw this.#casFailure(key, expected, res.responses[0]?.response_range?.kvs[0]);
    const prev = res.responses[0]?.response_delete_range?.prev_kvs[0];
    if (!prev) throw new StorageError('KeyNotFound', `key ${key} not found`, { key });
    return { revision: res.header.revision, prevKv: toKv(prev) };
  }

  /**
   * Opens an etcd watch from afterRevision + 1 with previous versions. Events arrive in revision order, one
   * onEvents call per etcd response. A start older than the compacted history, a lost connection or a member
   * without leader end the watch through onError (Compacted or Unavailable); the caller re-watches. When the
   * compacted revision is already known here, watch throws Compacted synchronously instead.
   */
  watch(prefix: string, opts: WatchOptions): WatchHandle {
    if (this.#closed) throw new StorageError('Unavailable', 'storage is closed');
    if (opts.afterRevision + 1 < this.#compacted) {
      throw new StorageError('Compacted', `mvcc: required revision ${opts.afterRevision + 1} has been compacted (oldest available is ${this.#compacted})`, {
        compactedRevision: this.#compacted,
      });
    }
    const p = enc(prefix);
    let stopped = false;
    let stream: WatchStream | undefined;
    const stop = (): void => {
      if (stopped) return;
      stopped = true;
      if (stream) {
        stream.close();
        this.#watches.delete(stream);
      }
    };
    const fail = (err: StorageError): void => {
      if (stopped) return;
      stop();
      opts.onError(err);
    };
    stream = this.#client.watch(
      { key: p, range_end: prefixRangeEnd(p), start_revision: opts.afterRevision + 1, prev_kv: true },
      (r) => {
        if (stopped) return;
        if (r.compact_revision > 0) {
          this.#compacted = Math.max(this.#compacted, r.compact_revision);
          fail(new StorageError('Compacted', `mvcc: required revision ${opts.afterRevision + 1} has been compacted (oldest available is ${r.compact_revision})`, { compactedRevision: r.compact_revision }));
          return;
        }
        if (r.canceled) {
          fail(new StorageError('Unavailable', `etcd canceled the watch: ${r.cancel_reason || 'no reason given'}`));
          return;
        }
        if (r.events.length === 0) return;
        const events: WatchEvent[] = [];
        for (const ev of r.events) {
          const out = watchEvent(ev);
          if (out instanceof StorageError) {
            if (events.length > 0) this.#deliver(prefix, opts, events);
            fail(out);
            return;
          }
          if (out.revision > opts.afterRevision) events.push(out);
        }
        this.#deliver(prefix, opts, events);
      },
      (err) => fail(toStorageError(err)),
    );
    if (!stopped) this.#watches.add(stream);
    return { cancel: stop };
  }

  #deliver(prefix: string, opts: WatchOptions, events: WatchEvent[]): void {
    if (events.length === 0) return;
    try {
      opts.onEvents(events);
    } catch (e: unknown) {
      this.#log?.(`storage: watch callback for prefix ${prefix} threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async currentRevision(): Promise<number> {
    // A one-key count touches no data; the header carries the store's revision.
    const res = await this.#call(() => this.#client.range({ key: PROBE_KEY, count_only: true }), { retry: true });
    return res.header.revision;
  }

  /**
   * etcd has no call that reports the compacted revision, but a watch that starts before it is answered with it.
   * So watch a key nothing writes from revision 1: answered with compact_revision when history was compacted,
   * otherwise (after a bounded wait) the history is complete and 1 is the answer.
   */
  async compactedRevision(): Promise<number> {
    if (this.#closed) throw new StorageError('Unavailable', 'storage is closed');
    const found = await new Promise<number>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.close();
        fn();
      };
      const s = this.#client.watch(
        { key: PROBE_KEY, range_end: Buffer.alloc(0), start_revision: 1, prev_kv: false },
        (r) => {
          if (r.compact_revision > 0) finish(() => resolve(r.compact_revision));
          else if (r.canceled) finish(() => reject(new StorageError('Unavailable', `etcd canceled the watch: ${r.cancel_reason}`)));
        },
        (err) => finish(() => reject(toStorageError(err))),
      );
      const timer = setTimeout(() => finish(() => resolve(1)), PROBE_WAIT_MS);
      timer.unref();
    });
    this.#compacted = Math.max(this.#compacted, found);
    return this.#compacted;
  }

  /** Compacts etcd's history to revision (physically, before answering); at or below the compacted one it is a no-op. */
  async compact(revision: number): Promise<void> {
    try {
      await this.#call(() => this.#client.compact(revision));
      this.#compacted = Math.max(this.#compacted, revision);
      this.#log?.(`storage: compacted etcd history to revision ${revision}`);
    } catch (e: unknown) {
      if (e instanceof StorageError && e.code === 'Compacted') return;
      throw e;
    }
  }

  /** The database size reported by the member that answers (etcd's dbSize: bytes of the bolt file). */
  async size(): Promise<number> {
    return (await this.#call(() => this.#client.status(), { retry: true })).dbSize;
  }

  /** Ends every watch (without onError), stops the compaction timer and closes the channel; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    for (const w of this.#watches) w.close();
    this.#watches.clear();
    this.#client.close();
  }
}

/**
 * Connects to the etcd cluster at url (`etcd://host:port[,host:port…]`), over TLS when any TLS file is given.
 * Resolves without contacting etcd; throws on a malformed URL or an unreadable TLS file.
 */
export async function openEtcdBackend(url: string, opts: EtcdBackendOptions = {}): Promise<EtcdBackend> {
  return new EtcdBackend(await EtcdClient.connect(url, opts), opts);
}

/** Fails (Unavailable) unless an etcd member answers within timeoutMs; for start-up, so a wrong --storage fails loudly. */
export async function checkEtcdReachable(b: EtcdBackend, timeoutMs = 10_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageError('Unavailable', `no etcd member answered within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    // currentRevision itself retries while no member answers.
    await Promise.race([b.currentRevision(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
