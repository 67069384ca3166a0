// The generic store: runs every resource's strategy in a fixed order and enforces the rules all resources share.
import { randomUUID } from 'node:crypto';
import { isStorageError, type Backend, type KeyValue, type WatchEvent } from '../storage/backend.ts';
import * as errors from '../http/errors.ts';
import type { FieldError, KubeObject, ResourceDef } from './types.ts';
import { groupVersion } from './types.ts';

export interface ListQuery {
  /** Keeps only the objects for which this returns true (label + field selectors). */
  filter?: (obj: KubeObject) => boolean;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
  /** Selectors are present: upstream then omits remainingItemCount. */
  hasSelector?: boolean;
}

export interface ListPage {
  /** Shared with the store's decode cache and with watchers: read-only (copy before changing). */
  items: readonly KubeObject[];
  resourceVersion: string;
  continueToken?: string;
  remainingItemCount?: number;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  orphanDependents?: boolean;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: string[];
}

export type DeleteResult = { deleted: true; object: KubeObject } | { deleted: false; object: KubeObject };

/**
 * Which endpoint writes: '' the main resource (status kept), 'status' (only status), 'trusted' (a trusted
 * server-side write of spec and status together that bypasses the strategy: pods/binding and namespaces/finalize).
 */
export type Subresource = '' | 'status' | 'trusted';

export interface WriteOptions {
  dryRun?: boolean;
  /**
   * managedFields bookkeeping (server/apply): called with the object about to be written (after the strategy,
   * validation and canonicalization) and the stored one (undefined on create); may set metadata.managedFields.
   */
  managedFields?: (obj: KubeObject, old: KubeObject | undefined) => void;
}

// Admission hook (server/auth/admission)
/**
 * Admission around API writes: `mutate` runs before the strategy (it may change the object), `validate` after
 * validation and canonicalization, just before storage. Either rejects by throwing an ApiError. The hook decides
 * itself whether a write comes from an API request (server-internal writes are not admitted).
 */
export interface AdmissionHook {
  mutate(op: 'CREATE' | 'UPDATE', def: ResourceDef, namespace: string, obj: KubeObject, old: KubeObject | undefined, subresource: string, dryRun: boolean): Promise<void>;
  /** Also asked, once, before a DELETE (obj and old are then the stored object). */
  validate(op: 'CREATE' | 'UPDATE' | 'DELETE', def: ResourceDef, namespace: string, obj: KubeObject, old: KubeObject | undefined, subresource: string, dryRun: boolean): Promise<void>;
}

export type ObjectEvent =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: KubeObject }
  | { type: 'BOOKMARK'; object: KubeObject }
  | { type: 'ERROR'; object: errors.Status };

export interface WatchQuery {
  filter?: (obj: KubeObject) => boolean;
  resourceVersion?: string;
  sendInitialEvents?: boolean;
  onEvent(event: ObjectEvent): void;
  /** The stream ended from below (compacted, storage closed). */
  onEnd(): void;
}

const GENERATE_NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_NAME_LENGTH = 253;

/** A resourceVersion the store produced; anything else is a client error. */
function parseResourceVersion(rv: string, what = 'resourceVersion'): number {
  if (!/^\d+$/.test(rv)) throw errors.badRequest(`invalid ${what}: ${rv}`);
  return Number(rv);
}

export function nowTimestamp(date?: Date): string {
  if (date) return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  // Every write stamps the time (often twice): format each second once.
  const second = Math.floor(Date.now() / 1000);
  if (second !== lastStamp.second) {
    lastStamp.second = second;
    lastStamp.text = new Date(second * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return lastStamp.text;
}

const lastStamp = { second: NaN, text: '' };

/** Parsed objects per stored version, so N watchers of one write parse its JSON once. */
const decoded = new WeakMap<KeyValue, KubeObject>();

function decode(kv: KeyValue): KubeObject {
  let obj = decoded.get(kv);
  if (!obj) {
    obj = JSON.parse(kv.value) as KubeObject;
    obj.metadata.resourceVersion = String(kv.modRevision);
    decoded.set(kv, obj);
  }
  return obj;
}

/** Converted views per stored version, for resources served in a shape other than the stored one. */
const viewed = new WeakMap<KeyValue, KubeObject>();

/** The object as `def` serves it (shared, read-only). */
function decodeAs(def: ResourceDef, kv: KeyValue): KubeObject {
  if (!def.storageShape) return decode(kv);
  let obj = viewed.get(kv);
  if (!obj) viewed.set(kv, (obj = def.storageShape.fromStorage(decode(kv))));
  return obj;
}

/** A fresh copy, in the shape `def` serves, that callers may mutate. */
function decodeCopy(def: ResourceDef, kv: KeyValue): KubeObject {
  return structuredClone(decodeAs(def, kv));
}

function encode(def: ResourceDef, obj: KubeObject): string {
  const stored = def.storageShape ? def.storageShape.toStorage(obj) : obj;
  const { resourceVersion: _rv, ...meta } = stored.metadata;
  return JSON.stringify({ ...stored, metadata: meta });
}

/** Continue tokens carry the revision and the next key, as upstream's (base64 JSON). */
function encodeContinue(revision: number, nextKey: string, prefix: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv: revision, start: nextKey.slice(prefix.length) })).toString('base64url');
}

function decodeContinue(token: string, prefix: string): { revision: number; startKey: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { v?: string; rv?: number; start?: string };
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string' || parsed.start.includes('..')) throw new Error('bad token');
    return { revision: parsed.rv, startKey: prefix + parsed.start };
  } catch {
    throw errors.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  }
}

const CONTINUE_TOO_OLD =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.';

/** The top-level fields that are neither metadata nor status: a change in them is a spec change. */
function specOf(obj: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...spec } = obj;
  return spec;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Generic storage for one backend. Each method takes the resource declaration, so one instance serves
 * every resource. Errors are ApiErrors with upstream's Status wording.
 */
export class GenericStore {
  readonly #backend: Backend;
  /** security: set once by the API server (see AdmissionHook). */
  admission?: AdmissionHook;
  // ClusterIP/NodePort allocation (server/registry/service-alloc.ts), set once by the API server
  /** Fills and reserves allocated fields just before a write; the result's rollback runs when the write fails. */
  allocate?: (def: ResourceDef, key: string, obj: KubeObject, old: Readonly<KubeObject> | undefined, dryRun: boolean) => { rollback(): void } | undefined;

  constructor(backend: Backend) {
    this.#backend = backend;
  }

  get backend(): Backend {
    return this.#backend;
  }

  key(def: ResourceDef, namespace: string, name: string): string {
    return def.namespaced ? `/registry/${def.storageName ?? def.plural}/${namespace}/${name}` : `/registry/${def.storageName ?? def.plural}/${name}`;
  }

  /** Prefix of every key of a resource (in one namespace when given), ending with '/'. */
  prefix(def: ResourceDef, namespace?: string): string {
    const base = `/registry/${def.storageName ?? def.plural}/`;
    return def.namespaced && namespace ? `${base}${namespace}/` : base;
  }

  async get(def: ResourceDef, namespace: string, name: string, resourceVersion?: string): Promise<KubeObject> {
    const revision = resourceVersion && resourceVersion !== '0' ? parseResourceVersion(resourceVersion) : undefined;
    const { kv } = await this.#read(() => this.#backend.get(this.key(def, namespace, name), revision), revision);
    if (!kv) throw errors.notFound(def, name);
    return decodeCopy(def, kv);
  }

  async #read<T>(op: () => Promise<T>, revision?: number): Promise<T> {
    try {
      return await op();
    } catch (e: unknown) {
      if (isStorageError(e, 'Compacted')) throw errors.expired(`too old resource version: ${revision} (${e.compactedRevision})`);
      throw e;
    }
  }

  async list(def: ResourceDef, namespace: string, query: ListQuery): Promise<ListPage> {
    const prefix = this.prefix(def, namespace);
    const limit = query.limit && query.limit > 0 ? query.limit : 0;
    let revision: number | undefined;
    let startKey: string | undefined;
    if (query.continueToken) {
      if (query.resourceVersion) throw errors.badRequest('specifying resource version is not allowed when using continue');
      ({ revision, startKey } = decodeContinue(query.continueToken, prefix));
    } else if (query.resourceVersion && query.resourceVersion !== '0') {
      const wanted = parseResourceVersion(query.resourceVersion);
      const exact = query.resourceVersionMatch === 'Exact' || (!query.resourceVersionMatch && limit > 0);
      if (exact) revision = wanted;
      else await this.#waitForRevision(wanted);
    }
    const items: KubeObject[] = [];
    let servedAt = 0;
    let remaining = 0;
    // Selectors filter after reading, so keep paging the store until the page is full (as upstream does).
    for (;;) {
      const want = limit ? limit - items.length : 0;
      let page;
      try {
        page = await this.#backend.list(prefix, { revision, limit: want ? Math.max(want, 64) : 0, startKey });
      } catch (e: unknown) {
        if (isStorageError(e, 'Compacted')) {
          throw query.continueToken ? errors.expired(CONTINUE_TOO_OLD) : errors.expired(`too old resource version: ${revision} (${e.compactedRevision})`);
        }
        throw e;
      }
      servedAt = page.revision;
      revision = page.revision;
      let i = 0;
      for (; i < page.kvs.length && (!limit || items.length < limit); i++) {
        const obj = decodeAs(def, page.kvs[i]);
        if (!query.filter || query.filter(obj)) items.push(obj);
      }
      const unreadInPage = page.kvs.length - i;
      remaining = page.remaining + unreadInPage;
      if (limit && items.length >= limit) {
        if (remaining > 0) {
          const nextKey = unreadInPage > 0 ? page.kvs[i].key : page.kvs[page.kvs.length - 1].key + '\0';
          return {
            items,
            resourceVersion: String(servedAt),
            continueToken: encodeContinue(servedAt, nextKey, prefix),
            remainingItemCount: query.hasSelector ? undefined : remaining,
          };
        }
        break;
      }
      if (page.remaining === 0 || page.kvs.length === 0) break;
      startKey = page.kvs[page.kvs.length - 1].key + '\0';
    }
    return { items, resourceVersion: String(servedAt) };
  }

  /** NotOlderThan reads: wait (bounded) until the store has caught up with the asked revision, as upstream. */
  async #waitForRevision(wanted: number): Promise<void> {
    const deadline = Date.now() + 3000;
    for (;;) {
      const current = await this.#backend.currentRevision();
      if (current >= wanted) return;
      if (Date.now() > deadline) {
        throw new errors.ApiError(504, 'Timeout', `Too large resource version: ${wanted}, current: ${current}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async create(def: ResourceDef, namespace: string, input: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const obj = input;
    obj.apiVersion = groupVersion(def);
    obj.kind = def.kind;
    const meta = (obj.metadata ??= {});
    if (def.namespaced) {
      if (meta.namespace && meta.namespace !== namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
      meta.namespace = namespace;
    } else {
      delete meta.namespace;
    }
    if (this.admission) await this.admission.mutate('CREATE', def, namespace, obj, undefined, '', !!opts.dryRun);
    if (!meta.name && meta.generateName) meta.name = generateName(meta.generateName);
    def.strategy?.prepareForCreate?.(obj);
    meta.uid = randomUUID();
    meta.creationTimestamp = nowTimestamp();
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (def.hasGeneration) meta.generation = 1;
    else delete meta.generation;
    if (!meta.name) this.#validate(def, obj, [{ type: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' }]);
    this.#validate(def, obj, def.strategy?.validate?.(obj) ?? []);
    def.strategy?.canonicalize?.(obj);
    opts.managedFields?.(obj, undefined);
    if (this.admission) await this.admission.validate('CREATE', def, namespace, obj, undefined, '', !!opts.dryRun);
    const allocation = this.allocate?.(def, this.key(def, namespace, meta.name!), obj, undefined, !!opts.dryRun); // services (issue 8)
    if (opts.dryRun) {
      const existing = await this.#backend.get(this.key(def, namespace, meta.name!));
      if (existing.kv) throw errors.alreadyExists(def, meta.name!);
      return obj;
    }
    try {
      const kv = await this.#backend.create(this.key(def, namespace, meta.name!), encode(def, obj));
      meta.resourceVersion = String(kv.modRevision);
      return obj;
    } catch (e: unknown) {
      allocation?.rollback(); // services (issue 8)
      if (isStorageError(e, 'KeyExists')) throw errors.alreadyExists(def, meta.name!);
      throw e;
    }
  }

  #validate(def: ResourceDef, obj: KubeObject, errs: FieldError[]): void {
    if (errs.length) throw errors.invalid(def.kind, def.group, obj.metadata?.name ?? '', errs);
  }

  /**
   * Replace an object (PUT, or the last step of PATCH). `subresource` 'status' writes only status; '' writes all
   * but status when the resource has a status subresource. A missing resourceVersion means unconditional.
   * `mutate`, when given, computes the new object from the current one and is re-run on conflicts (PATCH).
   */
  async update(
    def: ResourceDef,
    namespace: string,
    name: string,
    input: KubeObject | ((current: KubeObject | undefined) => KubeObject | Promise<KubeObject>),
    opts: WriteOptions & { subresource?: Subresource; forceAllowCreate?: boolean } = {},
  ): Promise<{ object: KubeObject; created: boolean }> {
    const key = this.key(def, namespace, name);
    for (let attempt = 0; ; attempt++) {
      const { kv } = await this.#backend.get(key);
      const old = kv ? decodeCopy(def, kv) : undefined;
      const obj = typeof input === 'function' ? await input(old ? structuredClone(old) : undefined) : structuredClone(input);
      if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw errors.badRequest('the body of the request must be an object');
      obj.metadata ??= {};
      obj.apiVersion = groupVersion(def);
      obj.kind = def.kind;
      if (obj.metadata.name !== name) {
        throw errors.badRequest(`the name of the object (${obj.metadata.name ?? ''}) does not match the name on the URL (${name})`);
      }
      if (def.namespaced) {
        if (obj.metadata.namespace && obj.metadata.namespace !== namespace) throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
        obj.metadata.namespace = namespace;
      }
      if (!old) {
        if (opts.subresource === 'status' || !(def.allowCreateOnUpdate || opts.forceAllowCreate)) throw errors.notFound(def, name);
        if (obj.metadata.resourceVersion) throw errors.notFound(def, name);
        try {
          return { object: await this.create(def, namespace, obj, opts), created: true };
        } catch (e: unknown) {
          if (e instanceof errors.ApiError && e.reason === 'AlreadyExists' && attempt < 3) continue;
          throw e;
        }
      }
      if (this.admission) await this.admission.mutate('UPDATE', def, namespace, obj, old, opts.subresource ?? '', !!opts.dryRun);
      const wantedRv = obj.metadata.resourceVersion;
      if (wantedRv && wantedRv !== old.metadata.resourceVersion) throw errors.conflict(def, name, errors.OBJECT_MODIFIED);
      this.#prepareUpdate(def, obj, old, opts.subresource ?? '');
      opts.managedFields?.(obj, old);
      if (this.admission && !sameJson(obj, old)) await this.admission.validate('UPDATE', def, namespace, obj, old, opts.subresource ?? '', !!opts.dryRun);
      const allocation = (opts.subresource ?? '') === '' ? this.allocate?.(def, key, obj, old, !!opts.dryRun) : undefined; // services (issue 8)
      if (sameJson(obj, old)) return { object: old, created: false };
      if (opts.dryRun) return { object: obj, created: false };
      try {
        if (shouldDeleteDuringUpdate(obj) && !(isNamespaces(def) && specFinalizers(obj).length > 0)) {
          await this.#backend.delete(key, kv!.modRevision);
          return { object: obj, created: false };
        }
        const written = await this.#backend.update(key, encode(def, obj), kv!.modRevision);
        obj.metadata.resourceVersion = String(written.modRevision);
        return { object: obj, created: false };
      } catch (e: unknown) {
        allocation?.rollback(); // services (issue 8)
        if (isStorageError(e, 'Conflict') || isStorageError(e, 'KeyNotFound')) {
          // Someone wrote between our read and our CAS: an unconditional write or a patch is retried on the new state.
          if ((typeof input === 'function' || !wantedRv) && attempt < 5) continue;
          throw errors.conflict(def, name, errors.OBJECT_MODIFIED);
        }
        throw e;
      }
    }
  }

  /** Everything an update may not change, then the strategy, then validation. */
  #prepareUpdate(def: ResourceDef, obj: KubeObject, old: KubeObject, subresource: Subresource): void {
    const meta = obj.metadata;
    const oldMeta = old.metadata;
    meta.uid = oldMeta.uid;
    meta.creationTimestamp = oldMeta.creationTimestamp;
    meta.resourceVersion = oldMeta.resourceVersion;
    if (oldMeta.deletionTimestamp) {
      meta.deletionTimestamp = oldMeta.deletionTimestamp;
      meta.deletionGracePeriodSeconds = oldMeta.deletionGracePeriodSeconds;
    } else {
      delete meta.deletionTimestamp;
      delete meta.deletionGracePeriodSeconds;
    }
    if (!meta.generateName && oldMeta.generateName) meta.generateName = oldMeta.generateName;
    if (subresource === 'status') {
      // The status endpoint changes status (and metadata except labels); everything else stays as stored.
      for (const k of Object.keys(obj)) if (k !== 'metadata' && k !== 'status' && k !== 'apiVersion' && k !== 'kind') delete obj[k];
      Object.assign(obj, specOf(old));
      if (oldMeta.labels) meta.labels = oldMeta.labels;
      else delete meta.labels;
    } else if (def.subresources?.status) {
      if (old.status === undefined) delete obj.status;
      else obj.status = old.status;
    }
    if (subresource !== 'trusted') def.strategy?.prepareForUpdate?.(obj, old);
    if (def.hasGeneration) {
      meta.generation = oldMeta.generation ?? 1;
      if (!sameJson(specOf(obj), specOf(old)) || (!oldMeta.deletionTimestamp && meta.deletionTimestamp)) meta.generation += 1;
    } else {
      delete meta.generation;
    }
    if (subresource === 'trusted') return;
    const errs = def.strategy?.validateUpdate ? def.strategy.validateUpdate(obj, old) : (def.strategy?.validate?.(obj) ?? []);
    this.#validate(def, obj, errs);
    def.strategy?.canonicalize?.(obj);
  }

  /**
   * DELETE with upstream's semantics: preconditions, graceful deletion (pods), finalizers and the orphan /
   * foregroundDeletion finalizers of propagation policies. Objects with finalizers are only marked.
   */
  async delete(def: ResourceDef, namespace: string, name: string, options: DeleteOptions = {}): Promise<DeleteResult> {
    const key = this.key(def, namespace, name);
    const dryRun = !!options.dryRun?.length;
    for (let attempt = 0; ; attempt++) {
      const { kv } = await this.#backend.get(key);
      if (!kv) throw errors.notFound(def, name);
      const current = decodeCopy(def, kv);
      const meta = current.metadata;
      const pre = options.preconditions;
      if (pre?.uid && pre.uid !== meta.uid) {
        throw errors.conflict(def, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${meta.uid}`);
      }
      if (pre?.resourceVersion && pre.resourceVersion !== meta.resourceVersion) {
        throw errors.conflict(def, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${meta.resourceVersion}`);
      }
      // As upstream: preconditions first, then admission, which sees the object as it is now on every attempt.
      if (this.admission) await this.admission.validate('DELETE', def, namespace, current, current, '', dryRun);
      const finalizers = new Set(meta.finalizers ?? []);
      const policy = options.propagationPolicy ?? (options.orphanDependents === true ? 'Orphan' : options.orphanDependents === false ? 'Background' : undefined);
      if (policy === 'Orphan') finalizers.add('orphan');
      if (policy === 'Foreground') finalizers.add('foregroundDeletion');
      if (policy === 'Background' || policy === 'Foreground') finalizers.delete('orphan');
      if (policy === 'Background' || policy === 'Orphan') finalizers.delete('foregroundDeletion');
      let grace = options.gracePeriodSeconds;
      const defaultGrace = def.gracefulDelete?.(current);
      if (grace === undefined) grace = defaultGrace ?? 0;
      if (defaultGrace === undefined || defaultGrace === 0) grace = Math.min(grace, 0);
      if (grace < 0) grace = 0;
      const alreadyDeleting = !!meta.deletionTimestamp;
      // Namespaces (upstream's namespace storage): the first DELETE only marks; the last waits for spec.finalizers.
      const namespaceHold = isNamespaces(def) && (!alreadyDeleting || specFinalizers(current).length > 0);
      const mustWait = finalizers.size > 0 || grace > 0 || namespaceHold;
      if (!mustWait) {
        if (dryRun) return { deleted: true, object: current };
        try {
          await this.#backend.delete(key, kv.modRevision);
          return { deleted: true, object: current };
        } catch (e: unknown) {
          if ((isStorageError(e, 'Conflict') || isStorageError(e, 'KeyNotFound')) && attempt < 5) continue;
          throw e;
        }
      }
      // Mark for deletion: the finalizers' owners (or the kubelet) finish the job.
      const marked = structuredClone(current);
      const mm = marked.metadata;
      const now = Date.now();
      if (!alreadyDeleting || (mm.deletionGracePeriodSeconds ?? 0) > grace) {
        mm.deletionTimestamp = nowTimestamp(new Date(now + grace * 1000));
        mm.deletionGracePeriodSeconds = grace;
      }
      mm.finalizers = [...finalizers];
      if (mm.finalizers.length === 0) delete mm.finalizers;
      if (isNamespaces(def)) marked.status = { ...(marked.status as object | undefined), phase: 'Terminating' };
      if (def.hasGeneration && !alreadyDeleting) mm.generation = (mm.generation ?? 1) + 1;
      if (sameJson(marked, current)) return { deleted: false, object: current };
      if (dryRun) return { deleted: false, object: marked };
      try {
        const written = await this.#backend.update(key, encode(def, marked), kv.modRevision);
        mm.resourceVersion = String(written.modRevision);
        return { deleted: false, object: marked };
      } catch (e: unknown) {
        if ((isStorageError(e, 'Conflict') || isStorageError(e, 'KeyNotFound')) && attempt < 5) continue;
        throw e;
      }
    }
  }

  /**
   * Watch a resource (in one namespace when given). Without a resourceVersion (or with "0") the current state is
   * replayed as ADDED first, as upstream. An object that stops matching the filter is sent as DELETED.
   */
  async watch(def: ResourceDef, namespace: string, query: WatchQuery): Promise<{ cancel(): void; revision: number }> {
    const prefix = this.prefix(def, namespace);
    const filter = query.filter ?? (() => true);
    let after: number;
    const rv = query.resourceVersion;
    const replay = !rv || rv === '0' || query.sendInitialEvents === true;
    if (replay) {
      const page = await this.#backend.list(prefix, rv && rv !== '0' ? { revision: parseResourceVersion(rv) } : {});
      after = page.revision;
      for (const kv of page.kvs) {
        const obj = decodeAs(def, kv);
        if (filter(obj)) query.onEvent({ type: 'ADDED', object: obj });
      }
      if (query.sendInitialEvents) {
        query.onEvent({ type: 'BOOKMARK', object: bookmarkObject(def, after, true) });
      }
    } else {
      after = parseResourceVersion(rv);
    }
    let ended = false;
    try {
      const handle = this.#backend.watch(prefix, {
        afterRevision: after,
        onEvents: (events) => {
          for (const event of events) {
            if (ended) return;
            const translated = translateEvent(def, event, filter);
            if (translated) query.onEvent(translated);
          }
        },
        onError: (err) => {
          if (ended) return;
          ended = true;
          // Backends that learn of compaction asynchronously (etcd) still owe the client upstream's 410 event.
          if (isStorageError(err, 'Compacted')) {
            query.onEvent({ type: 'ERROR', object: errors.expired(`too old resource version: ${after} (${err.compactedRevision ?? 0})`).toStatus() });
          }
          query.onEnd();
        },
      });
      return {
        revision: after,
        cancel: () => {
          ended = true;
          handle.cancel();
        },
      };
    } catch (e: unknown) {
      if (isStorageError(e, 'Compacted')) {
        const status = errors.expired(`too old resource version: ${after} (${e.compactedRevision})`).toStatus();
        query.onEvent({ type: 'ERROR', object: status });
        query.onEnd();
        return { revision: after, cancel: () => {} };
      }
      throw e;
    }
  }

  async currentRevision(): Promise<number> {
    return this.#backend.currentRevision();
  }
}

/** A committed storage event seen through a filter: ADDED / MODIFIED / DELETED, or nothing. */
function translateEvent(def: ResourceDef, event: WatchEvent, filter: (obj: KubeObject) => boolean): ObjectEvent | undefined {
  const prev = event.prevKv ? decodeAs(def, event.prevKv) : undefined;
  const prevMatched = prev ? filter(prev) : false;
  if (event.type === 'delete') {
    if (!prevMatched) return undefined;
    const gone = structuredClone(prev!);
    gone.metadata.resourceVersion = String(event.revision);
    return { type: 'DELETED', object: gone };
  }
  const obj = decodeAs(def, event.kv);
  const matches = filter(obj);
  if (matches) return { type: prevMatched ? 'MODIFIED' : 'ADDED', object: obj };
  if (prevMatched) return { type: 'DELETED', object: obj };
  return undefined;
}

export function bookmarkObject(def: ResourceDef, revision: number, initialEventsEnd = false): KubeObject {
  const metadata: KubeObject['metadata'] = { resourceVersion: String(revision) };
  if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return { apiVersion: groupVersion(def), kind: def.kind, metadata };
}

/** Upstream removes an object on update once it is marked, has no finalizers left and no grace period to wait. */
function shouldDeleteDuringUpdate(obj: KubeObject): boolean {
  const m = obj.metadata;
  return !!m.deletionTimestamp && (!m.finalizers || m.finalizers.length === 0) && (m.deletionGracePeriodSeconds ?? 0) === 0;
}

/** The core/v1 namespaces declaration, whose deletion also waits for spec.finalizers (see delete and update). */
function isNamespaces(def: ResourceDef): boolean {
  return def.group === '' && def.plural === 'namespaces';
}

function specFinalizers(obj: KubeObject): unknown[] {
  const f = (obj.spec as { finalizers?: unknown } | undefined)?.finalizers;
  return Array.isArray(f) ? f : [];
}

/** generateName + 5 random characters from upstream's alphabet (no vowels, no look-alikes). */
export function generateName(base: string): string {
  const trimmed = base.length > MAX_NAME_LENGTH - 5 ? base.slice(0, MAX_NAME_LENGTH - 5) : base;
  let suffix = '';
  for (let i = 0; i < 5; i++) suffix += GENERATE_NAME_ALPHABET[Math.floor(Math.random() * GENERATE_NAME_ALPHABET.length)];
  return trimmed + suffix;
}
