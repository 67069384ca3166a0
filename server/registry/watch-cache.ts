// An in-memory copy of one resource, kept current by a store watch: what the API server's own readers consult instead of storage on every request.
import type { Catalogue } from './catalogue.ts';
import type { GenericStore } from './store.ts';
import type { KubeObject, ResourceDef } from './types.ts';

/** Objects of one namespace (cluster-scoped resources use ''), by name. */
type Snapshot = Map<string, Map<string, KubeObject>>;

/** A change to the copy: an object added or replaced ('set'), or removed ('delete', with its last known state). */
export type ChangeListener = (type: 'set' | 'delete', obj: KubeObject) => void;

const RESTART_DELAY_MS = 200;
/** How long a storage list confirming an empty namespace is reused (upstream's admission live-lookup TTL is 30 s). */
const LIVE_LOOKUP_TTL_MS = 10_000;
const LIVE_LOOKUP_MAX = 4096;

/**
 * upstream's informer-backed listers, inside the API server: `start` resolves once the stored state is loaded;
 * afterwards every committed change is applied as its watch event arrives. A watch that ends from below
 * (compaction, a 410 inside the stream, an etcd hiccup) is replaced by a fresh list-and-watch, whose result is
 * swapped in whole, so deletions that happened in the gap are not kept. Readers get the objects themselves:
 * they must not mutate them.
 *
 * The copy trails storage by one event delivery, so callers that must not act on a miss (an object created a
 * moment ago) confirm it with a live read, as upstream's admission plugins do.
 */
export class WatchCache {
  readonly #store: GenericStore;
  readonly #def: ResourceDef;
  #snapshot: Snapshot = new Map();
  #cancel: (() => void) | undefined;
  #stopped = false;
  #restartTimer: NodeJS.Timeout | undefined;
  readonly #listeners: ChangeListener[] = [];
  readonly #liveLookups = new Map<string, { until: number; items: readonly KubeObject[] }>();

  constructor(store: GenericStore, def: ResourceDef) {
    this.#store = store;
    this.#def = def;
  }

  get def(): ResourceDef {
    return this.#def;
  }

  /**
   * Calls `listener` for every change the copy goes through, in order: each object present once the copy is
   * loaded ('set'), then each committed change; after a re-list, what differs from the previous copy. Register
   * before `start` to be told about the initial objects.
   */
  onChange(listener: ChangeListener): void {
    this.#listeners.push(listener);
  }

  /** The cache of a resource the catalogue must serve (a missing one is a programming error). */
  static of(store: GenericStore, catalogue: Catalogue, group: string, version: string, plural: string): WatchCache {
    const def = catalogue.find(group, version, plural);
    if (!def) throw new Error(`catalogue has no ${group ? `${group}/` : ''}${version}/${plural}`);
    return new WatchCache(store, def);
  }

  /** Lists and watches; resolves once the stored state is loaded (rejects if that first load fails). */
  async start(): Promise<void> {
    if (!this.#stopped) await this.#listAndWatch();
  }

  /** One list-and-watch run; when its watch ends, a new run is scheduled (and again after every failed one). */
  async #listAndWatch(): Promise<void> {
    const snapshot: Snapshot = new Map();
    let live = false;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      this.#cancel?.();
      this.#scheduleRestart();
    };
    const handle = await this.#store.watch(this.#def, '', {
      onEvent: (e) => {
        if (e.type === 'ADDED' || e.type === 'MODIFIED') {
          place(snapshot, e.object);
          if (live) this.#emit('set', e.object);
        } else if (e.type === 'DELETED') {
          const removed = snapshot.get(e.object.metadata.namespace ?? '')?.delete(e.object.metadata.name ?? '');
          if (live && removed) this.#emit('delete', e.object);
        } else if (e.type === 'ERROR') end();
      },
      onEnd: end,
    });
    this.#cancel = () => handle.cancel();
    if (this.#stopped) {
      handle.cancel();
      return;
    }
    const previous = this.#snapshot;
    this.#snapshot = snapshot;
    this.#liveLookups.clear();
    live = true;
    if (this.#listeners.length) this.#emitDifference(previous, snapshot);
  }

  #scheduleRestart(): void {
    if (this.#stopped || this.#restartTimer) return;
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      this.#listAndWatch().catch(() => this.#scheduleRestart());
    }, RESTART_DELAY_MS);
    this.#restartTimer.unref();
  }

  #emit(type: 'set' | 'delete', obj: KubeObject): void {
    for (const l of this.#listeners) l(type, obj);
  }

  #emitDifference(before: Snapshot, after: Snapshot): void {
    for (const [ns, objects] of before) {
      for (const [name, obj] of objects) if (!after.get(ns)?.has(name)) this.#emit('delete', obj);
    }
    for (const [ns, objects] of after) {
      for (const [name, obj] of objects) {
        if (before.get(ns)?.get(name)?.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#emit('set', obj);
      }
    }
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#restartTimer);
    this.#cancel?.();
  }

  get(namespace: string, name: string): KubeObject | undefined {
    return this.#snapshot.get(namespace)?.get(name);
  }

  /** The objects of one namespace ('' for cluster-scoped resources), by name as a storage list returns them. */
  list(namespace: string): KubeObject[] {
    const inNamespace = this.#snapshot.get(namespace);
    if (!inNamespace?.size) return [];
    return [...inNamespace.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  }

  /**
   * {@link list}, except that a namespace the copy has nothing for is confirmed by a storage list (kept for
   * LIVE_LOOKUP_TTL_MS, and until the next re-list): an object created a moment ago, not yet delivered by the watch,
   * is not missed. What upstream's LimitRanger and ResourceQuota do with their informers.
   */
  async listConfirmed(namespace: string): Promise<readonly KubeObject[]> {
    const cached = this.list(namespace);
    if (cached.length) return cached;
    const now = Date.now();
    const hit = this.#liveLookups.get(namespace);
    if (hit && hit.until > now) return hit.items;
    if (this.#liveLookups.size >= LIVE_LOOKUP_MAX) this.#liveLookups.clear();
    const items = (await this.#store.list(this.#def, namespace, {})).items;
    this.#liveLookups.set(namespace, { until: now + LIVE_LOOKUP_TTL_MS, items });
    return items;
  }
}

function place(snapshot: Snapshot, obj: KubeObject): void {
  const ns = obj.metadata.namespace ?? '';
  let inNamespace = snapshot.get(ns);
  if (!inNamespace) snapshot.set(ns, (inNamespace = new Map()));
  inNamespace.set(obj.metadata.name ?? '', obj);
}
