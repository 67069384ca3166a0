// In-process watch fan-out: committed events queued per watcher and delivered in batches, never inside the writer.
import type { WatchEvent, WatchOptions } from './backend.ts';

/** Events handed to one onEvents call at most; a long replay is delivered over several turns of the loop. */
const MAX_BATCH = 1_000;

/** One watch: its prefix, the revision it starts after, and the events waiting to be delivered. */
export class Watcher {
  pending: WatchEvent[] = [];
  scheduled = false;
  cancelled = false;
  constructor(
    readonly prefix: string,
    readonly after: number,
    readonly opts: WatchOptions,
  ) {}
}

/**
 * In-process fan-out of committed writes. Watchers on prefixes ending in '/' (the normal case: a resource, or a
 * resource in one namespace) are found by map lookups at the key's '/' boundaries, so an event costs a handful of
 * lookups however many such watchers exist; any other prefix (an exact key, say) is checked linearly.
 */
export class WatchHub {
  #byPrefix = new Map<string, Set<Watcher>>();
  #other = new Set<Watcher>();
  #log?: (msg: string) => void;
  #size = 0;

  constructor(log?: (msg: string) => void) {
    this.#log = log;
  }

  /** How many watchers are registered. */
  get size(): number {
    return this.#size;
  }

  /** Registers w; events already in w.pending (a replay) are delivered first, on a later turn of the loop. */
  add(w: Watcher): void {
    if (w.prefix === '' || w.prefix.endsWith('/')) {
      let set = this.#byPrefix.get(w.prefix);
      if (!set) this.#byPrefix.set(w.prefix, (set = new Set()));
      set.add(w);
    } else {
      this.#other.add(w);
    }
    this.#size++;
    if (w.pending.length > 0) this.#schedule(w);
  }

  /** Unregisters w and drops its undelivered events; idempotent. */
  remove(w: Watcher): void {
    if (w.cancelled) return;
    w.cancelled = true;
    w.pending = [];
    const set = this.#byPrefix.get(w.prefix);
    if (set?.delete(w)) {
      if (set.size === 0) this.#byPrefix.delete(w.prefix);
    } else {
      this.#other.delete(w);
    }
    this.#size--;
  }

  removeAll(): void {
    for (const set of [...this.#byPrefix.values(), this.#other]) for (const w of [...set]) this.remove(w);
  }

  /**
   * Queues a committed event for every matching watcher. Never calls a watcher synchronously: each watcher's queue
   * is flushed on a later turn of the loop, in revision order, and a throwing callback is logged and ignored.
   */
  publish(ev: WatchEvent): void {
    if (this.#size === 0) return;
    const key = ev.kv.key;
    this.#deliver(this.#byPrefix.get(''), ev);
    for (let i = key.indexOf('/'); i >= 0; i = key.indexOf('/', i + 1)) this.#deliver(this.#byPrefix.get(key.slice(0, i + 1)), ev);
    for (const w of this.#other) if (key.startsWith(w.prefix)) this.#push(w, ev);
  }

  #deliver(set: Set<Watcher> | undefined, ev: WatchEvent): void {
    if (set) for (const w of set) this.#push(w, ev);
  }

  #push(w: Watcher, ev: WatchEvent): void {
    if (ev.revision <= w.after) return;
    w.pending.push(ev);
    this.#schedule(w);
  }

  #schedule(w: Watcher): void {
    if (w.scheduled) return;
    w.scheduled = true;
    // setImmediate, not a microtask: events of writes committed in the same loop turn reach the watcher as one batch.
    setImmediate(() => this.#flush(w));
  }

  #flush(w: Watcher): void {
    w.scheduled = false;
    if (w.cancelled || w.pending.length === 0) return;
    const batch = w.pending.length > MAX_BATCH ? w.pending.splice(0, MAX_BATCH) : w.pending;
    if (batch === w.pending) w.pending = [];
    else this.#schedule(w);
    try {
      w.opts.onEvents(batch);
    } catch (e: unknown) {
      this.#log?.(`storage: watch callback for prefix ${w.prefix} threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
