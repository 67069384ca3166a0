// The informer's cache: objects by key with secondary indexes; controllers get the reader, only the reflector writes.
import { keyOf, type KubeObject } from './types.ts';

/** Maps an object to the index values it is found under (e.g. its owners' UIDs, its node name). */
export type IndexFunc<T> = (obj: T) => readonly string[];

/** The built-in index every store has: by `metadata.namespace` ("" for cluster-scoped objects). */
export const NAMESPACE_INDEX = 'namespace';

/** Ready-made index functions. */
export const Indexers = {
  /** UIDs of all owners. */
  byOwnerUid: (obj: KubeObject): string[] => (obj.metadata.ownerReferences ?? []).map((r) => r.uid),
  /** UID of the controller owner only. */
  byControllerUid: (obj: KubeObject): string[] => (obj.metadata.ownerReferences ?? []).filter((r) => r.controller).map((r) => r.uid),
  /** `spec.nodeName` of pods (unbound pods are not indexed). */
  byNodeName: (obj: KubeObject): string[] => {
    const node = (obj.spec as { nodeName?: unknown } | undefined)?.nodeName;
    return typeof node === 'string' && node ? [node] : [];
  },
} as const;

/**
 * What controllers may do with a cache. Objects are deep-frozen: mutate a `structuredClone` of one.
 * Lists are fresh arrays in no particular order.
 */
export interface Lister<T extends KubeObject> {
  /** By key "namespace/name", or "name" for cluster-scoped objects. */
  get(key: string): T | undefined;
  list(): T[];
  listNamespace(namespace: string): T[];
  /** Objects whose index function returned `value`. @throws Error for an unknown index name. */
  byIndex(indexName: string, value: string): T[];
  keys(): string[];
  size(): number;
}

/** One change made by the reflector, with the object before (if any) and after (if any). */
export type StoreChange<T> =
  | { type: 'add'; obj: T }
  | { type: 'update'; old: T; obj: T }
  | { type: 'delete'; old: T };

/** What only the reflector uses. */
export interface StoreWriter<T extends KubeObject> {
  upsert(obj: T): StoreChange<T>;
  remove(obj: T): StoreChange<T> | undefined;
  /** Swaps the whole content at once and reports the implied changes (updates only where resourceVersion moved). */
  replace(objs: readonly T[]): StoreChange<T>[];
}

type Index = Map<string, Set<string>>;

/** A map of objects with indexes. One instance is both {@link Lister} and {@link StoreWriter}; hand out the Lister type. */
export class Store<T extends KubeObject> implements Lister<T>, StoreWriter<T> {
  #items = new Map<string, T>();
  readonly #indexers = new Map<string, IndexFunc<T>>();
  #indices = new Map<string, Index>();

  constructor(indexers: Record<string, IndexFunc<T>> = {}) {
    this.#indexers.set(NAMESPACE_INDEX, (obj) => [obj.metadata.namespace ?? '']);
    this.#indices.set(NAMESPACE_INDEX, new Map());
    this.addIndexers(indexers);
  }

  /**
   * Adds index functions, indexing what is already stored. Re-adding the same function under the
   * same name is a no-op. @throws Error when a name is taken by a different function.
   */
  addIndexers(indexers: Record<string, IndexFunc<T>>): void {
    for (const [name, fn] of Object.entries(indexers)) {
      const existing = this.#indexers.get(name);
      if (existing === fn) continue;
      if (existing) throw new Error(`index ${JSON.stringify(name)} already exists with a different function`);
      this.#indexers.set(name, fn);
      const index: Index = new Map();
      for (const [key, obj] of this.#items) addToIndex(index, fn(obj), key);
      this.#indices.set(name, index);
    }
  }

  get(key: string): T | undefined {
    return this.#items.get(key);
  }
  list(): T[] {
    return [...this.#items.values()];
  }
  listNamespace(namespace: string): T[] {
    return this.byIndex(NAMESPACE_INDEX, namespace);
  }
  byIndex(indexName: string, value: string): T[] {
    const index = this.#indices.get(indexName);
    if (!index) throw new Error(`index ${JSON.stringify(indexName)} does not exist`);
    return [...(index.get(value) ?? [])].map((k) => this.#items.get(k)!);
  }
  keys(): string[] {
    return [...this.#items.keys()];
  }
  size(): number {
    return this.#items.size;
  }

  upsert(obj: T): StoreChange<T> {
    deepFreeze(obj);
    const key = keyOf(obj);
    const old = this.#items.get(key);
    if (old) this.#unindex(key, old);
    this.#items.set(key, obj);
    this.#index(key, obj);
    return old ? { type: 'update', old, obj } : { type: 'add', obj };
  }

  remove(obj: T): StoreChange<T> | undefined {
    const key = keyOf(obj);
    const old = this.#items.get(key);
    if (!old) return undefined;
    this.#unindex(key, old);
    this.#items.delete(key);
    return { type: 'delete', old };
  }

  replace(objs: readonly T[]): StoreChange<T>[] {
    const items = new Map<string, T>();
    const indices = new Map<string, Index>([...this.#indexers.keys()].map((name) => [name, new Map()]));
    const changes: StoreChange<T>[] = [];
    for (const obj of objs) {
      deepFreeze(obj);
      const key = keyOf(obj);
      items.set(key, obj);
      for (const [name, fn] of this.#indexers) addToIndex(indices.get(name)!, fn(obj), key);
      const old = this.#items.get(key);
      if (!old) changes.push({ type: 'add', obj });
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) changes.push({ type: 'update', old, obj });
    }
    for (const [key, old] of this.#items) if (!items.has(key)) changes.push({ type: 'delete', old });
    // The swap: readers see either the old content or the new one, never a mix.
    this.#items = items;
    this.#indices = indices;
    return changes;
  }

  #index(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) addToIndex(this.#indices.get(name)!, fn(obj), key);
  }

  #unindex(key: string, obj: T): void {
    for (const [name, fn] of this.#indexers) {
      const index = this.#indices.get(name)!;
      for (const value of fn(obj)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

function addToIndex(index: Index, values: readonly string[], key: string): void {
  for (const value of values) {
    let keys = index.get(value);
    if (!keys) index.set(value, (keys = new Set()));
    keys.add(key);
  }
}

/** Cached objects are shared by every controller: freezing turns an accidental mutation into a TypeError. */
function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}
