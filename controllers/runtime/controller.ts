// The controller builder: `controller('deployment', deployments).owns(replicaSets).run(reconcile, { workers: 2 })`.
import type { Informer } from './informer.ts';
import { WorkQueue } from './workqueue.ts';
import { controllerRefOf, keyOf, type KubeObject, type ResourceType } from './types.ts';
import { createLogger, type Logger } from '../../server/log.ts';

/** What a reconcile asks for next: nothing until the next change ('done'), or another look after `requeueAfter` ms. */
export type Action = 'done' | { requeueAfter: number };

/** An error that no retry can fix (e.g. an invalid spec): logged, never retried. */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

export interface ReconcileContext {
  /** Aborts when the controller stops (e.g. leadership lost): stop issuing writes. */
  signal: AbortSignal;
  /** Rate-limited retries of this key so far (0 on a fresh change). */
  retries: number;
}

/**
 * Level-based reconcile of one key ("namespace/name" of the primary object): reads the caches,
 * drives the world toward the spec, and is idempotent. It never learns which event caused it.
 * Throwing schedules a retry with per-key exponential back-off; a {@link TerminalError} is dropped.
 */
// Promise-only on purpose: with a union of sync and async results TypeScript widens `return 'done'` in an async arrow to string.
export type Reconciler = (key: string, ctx: ReconcileContext) => Promise<Action | void>;

export interface RunOptions {
  /** Concurrent reconciles (never two on the same key). Default 1. */
  workers?: number;
  signal?: AbortSignal;
  log?: Logger;
}

/** Maps a watched object to the keys of primaries to reconcile. */
export type KeyMapper<O> = (obj: O) => readonly string[] | string | undefined;

/** The key of the controller owner of `obj` if that owner is of `owner`'s kind (same API group). */
export function ownerKey(owner: ResourceType<KubeObject>, obj: KubeObject): string | undefined {
  const ref = controllerRefOf(obj);
  if (!ref || ref.kind !== owner.kind) return undefined;
  const slash = ref.apiVersion.indexOf('/');
  if ((slash < 0 ? '' : ref.apiVersion.slice(0, slash)) !== owner.group) return undefined;
  return owner.namespaced && obj.metadata.namespace ? `${obj.metadata.namespace}/${ref.name}` : ref.name;
}

interface Source {
  informer: Informer<KubeObject>;
  map: (obj: KubeObject) => readonly string[];
}

/** Built by {@link controller}; configure with owns/watches, then run. */
export class Controller<T extends KubeObject> {
  readonly name: string;
  /** The controller's queue; handlers of other sources may add keys to it directly. */
  readonly queue = new WorkQueue();
  readonly #sources: Source[] = [];
  #running = false;

  constructor(name: string, primary: Informer<T>) {
    this.name = name;
    this.#sources.push({ informer: primary as unknown as Informer<KubeObject>, map: (obj) => [keyOf(obj)] });
  }

  /** Reconcile the controller owner (ownerReferences with controller: true of the primary's kind) when an owned object changes. */
  owns<O extends KubeObject>(informer: Informer<O>): this {
    const primary = this.#sources[0]!.informer.resource;
    return this.watches(informer, (obj) => ownerKey(primary, obj));
  }

  /** Reconcile the keys `map` returns whenever an object of `informer` changes (before and after an update). */
  watches<O extends KubeObject>(informer: Informer<O>, map: KeyMapper<O>): this {
    const normalized = (obj: KubeObject): readonly string[] => {
      const keys = map(obj as O);
      return keys === undefined ? [] : typeof keys === 'string' ? [keys] : keys;
    };
    this.#sources.push({ informer: informer as unknown as Informer<KubeObject>, map: normalized });
    return this;
  }

  /**
   * Starts the informers (if not yet), waits for their caches, then runs `workers` reconcile loops
   * until `signal` aborts. Resolves once every worker has finished its current reconcile.
   * @throws Error if called twice.
   */
  async run(reconcile: Reconciler, opts: RunOptions = {}): Promise<void> {
    if (this.#running) throw new Error(`controller ${this.name} is already running`);
    this.#running = true;
    const signal = opts.signal ?? new AbortController().signal;
    const log = (opts.log ?? createLogger('controller-manager')).child(this.name);
    const enqueue = (keys: readonly string[]): void => keys.forEach((k) => this.queue.add(k));
    const unregister = this.#sources.map(({ informer, map }) =>
      informer.addEventHandler({
        onAdd: (obj) => enqueue(map(obj)),
        onUpdate: (old, obj) => enqueue(old === obj ? map(obj) : [...new Set([...map(old), ...map(obj)])]),
        onDelete: (obj) => enqueue(map(obj)),
      }),
    );
    const stopped = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    try {
      for (const { informer } of this.#sources) informer.start();
      const synced = await Promise.all(this.#sources.map(({ informer }) => informer.waitForSync(signal)));
      if (!synced.every(Boolean)) return;
      log.info('caches synced, starting workers', { workers: opts.workers ?? 1 });
      const workers = Array.from({ length: Math.max(1, opts.workers ?? 1) }, () => this.#work(reconcile, signal, log));
      await stopped;
      this.queue.shutDown();
      await Promise.all(workers);
    } finally {
      this.queue.shutDown();
      unregister.forEach((u) => u());
    }
  }

  async #work(reconcile: Reconciler, signal: AbortSignal, log: Logger): Promise<void> {
    for (let key = await this.queue.get(); key !== undefined; key = await this.queue.get()) {
      try {
        const action = await reconcile(key, { signal, retries: this.queue.numRequeues(key) });
        this.queue.forget(key);
        if (action && action !== 'done') this.queue.addAfter(key, action.requeueAfter);
      } catch (e: unknown) {
        const error = e instanceof Error ? e.message : String(e);
        if (e instanceof TerminalError) {
          this.queue.forget(key);
          log.error('reconcile failed for good', { key, error });
        } else {
          log.warn('reconcile failed, will retry', { key, error, retries: this.queue.numRequeues(key) });
          this.queue.addRateLimited(key);
        }
      } finally {
        this.queue.done(key);
      }
    }
  }
}

/** Starts a controller declaration over its primary resource's informer. */
export function controller<T extends KubeObject>(name: string, primary: Informer<T>): Controller<T> {
  return new Controller(name, primary);
}
