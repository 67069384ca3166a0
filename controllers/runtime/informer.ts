// An informer: a reflector feeding a store, notifying event handlers, with periodic resync and sync tracking.
import type { ApiClient } from './client.ts';
import { Reflector, type ReflectorOptions, type ReflectorState } from './reflector.ts';
import { Store, type IndexFunc, type Lister, type StoreChange } from './store.ts';
import type { KubeObject, ResourceType } from './types.ts';
import { createLogger, type Logger } from '../../server/log.ts';

/**
 * Notifications about the cache. Handlers run synchronously on the informer's path and must be quick
 * (typically: enqueue a key). Objects are frozen and shared.
 */
export interface EventHandler<T extends KubeObject> {
  /** `initialList`: the object came with the first list (or with the replay for a late handler). */
  onAdd?(obj: T, initialList: boolean): void;
  /** Also called with old === obj on resync. */
  onUpdate?(old: T, obj: T): void;
  /** `finalStateUnknown`: the deletion was found by a relist, so `obj` is the last state seen, not the final one. */
  onDelete?(obj: T, finalStateUnknown: boolean): void;
}

export interface HandlerOptions {
  /** Every this many ms, onUpdate(obj, obj) for every cached object; 0 (default) = never. */
  resyncPeriodMs?: number;
}

export interface InformerOptions<T extends KubeObject> extends ReflectorOptions {
  indexers?: Record<string, IndexFunc<T>>;
}

interface Registration<T extends KubeObject> {
  handler: EventHandler<T>;
  timer: NodeJS.Timeout | undefined;
}

/** Mirrors one resource collection into a cache that controllers read through {@link Informer.lister}. */
export class Informer<T extends KubeObject> {
  readonly resource: ResourceType<T>;
  readonly #store: Store<T>;
  readonly #reflector: Reflector<T>;
  readonly #log: Logger;
  readonly #handlers = new Set<Registration<T>>();
  #synced = false;
  #syncWaiters: Array<() => void> = [];
  #run: { ctl: AbortController; done: Promise<void> } | undefined;

  constructor(client: ApiClient, rt: ResourceType<T>, opts: InformerOptions<T> = {}) {
    this.resource = rt;
    this.#log = (opts.log ?? createLogger('controller-manager')).child(`informer/${rt.plural}`);
    this.#store = new Store<T>(opts.indexers);
    this.#reflector = new Reflector(client, rt, { replace: (objs) => this.#replace(objs), apply: (type, obj) => this.#apply(type, obj) }, { ...opts, log: opts.log });
  }

  /** The read side of the cache. */
  get lister(): Lister<T> {
    return this.#store;
  }

  get state(): ReflectorState {
    return this.#reflector.state;
  }

  /** Observe state transitions (tests, metrics). */
  set onStateChange(fn: ((state: ReflectorState) => void) | undefined) {
    this.#reflector.onStateChange = fn;
  }

  /** Adds indexes; allowed at any time (existing objects are indexed at once). */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    this.#store.addIndexers(indexers);
  }

  /**
   * Registers a handler and returns its removal. A handler added after the first list gets onAdd
   * (initialList = true) for every cached object right away, so late handlers miss nothing.
   */
  addEventHandler(handler: EventHandler<T>, opts: HandlerOptions = {}): () => void {
    const reg: Registration<T> = { handler, timer: undefined };
    this.#handlers.add(reg);
    if (this.#synced) for (const obj of this.#store.list()) this.#call('onAdd', () => handler.onAdd?.(obj, true));
    if (opts.resyncPeriodMs && opts.resyncPeriodMs > 0) {
      reg.timer = setInterval(() => {
        if (!this.#synced) return;
        for (const obj of this.#store.list()) this.#call('onUpdate', () => handler.onUpdate?.(obj, obj));
      }, opts.resyncPeriodMs);
      reg.timer.unref();
    }
    return () => {
      clearInterval(reg.timer);
      this.#handlers.delete(reg);
    };
  }

  /** Starts list+watch in the background; calling it again does nothing. */
  start(): void {
    if (this.#run) return;
    const ctl = new AbortController();
    this.#run = { ctl, done: this.#reflector.run(ctl.signal) };
  }

  /** Stops watching and resync timers; the cache keeps its last content. Resolves when the reflector has stopped. */
  async stop(): Promise<void> {
    for (const reg of this.#handlers) clearInterval(reg.timer);
    if (!this.#run) return;
    this.#run.ctl.abort();
    await this.#run.done;
  }

  /** True once the first complete list is in the cache (and its onAdd notifications were delivered). */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true once synced, or false if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => resolve(false);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve(true);
      });
    });
  }

  #replace(objs: T[]): void {
    const initial = !this.#synced;
    for (const change of this.#store.replace(objs)) this.#dispatch(change, initial, true);
    if (initial) {
      this.#synced = true;
      for (const wake of this.#syncWaiters.splice(0)) wake();
    }
  }

  #apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void {
    if (type === 'DELETED') {
      // Handlers get the object as the DELETED event carried it: its final state.
      if (this.#store.remove(obj)) this.#dispatch({ type: 'delete', old: obj }, false, false);
      return;
    }
    this.#dispatch(this.#store.upsert(obj), false, false);
  }

  #dispatch(change: StoreChange<T>, initial: boolean, relist: boolean): void {
    for (const reg of this.#handlers) {
      const h = reg.handler;
      if (change.type === 'add') this.#call('onAdd', () => h.onAdd?.(change.obj, initial));
      else if (change.type === 'update') this.#call('onUpdate', () => h.onUpdate?.(change.old, change.obj));
      else this.#call('onDelete', () => h.onDelete?.(change.old, relist));
    }
  }

  #call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e: unknown) {
      this.#log.error('event handler threw', { handler: what, error: e instanceof Error ? e.message : String(e) });
    }
  }
}
