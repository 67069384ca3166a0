// The reflector: an explicit list → watch state machine that mirrors one resource collection into a sink.
import { ApiError, isGone, watchEvents, type ApiClient, type Query } from './client.ts';
import { Backoff, sleep } from './backoff.ts';
import { apiVersionOf, collectionPath, type KubeObject, type ResourceType } from './types.ts';
import { createLogger, type Logger } from '../../server/log.ts';

/** Which part of a collection to mirror. */
export interface ListWatchOptions {
  /** Only this namespace (namespaced resources); all namespaces when omitted. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ReflectorOptions extends ListWatchOptions {
  /** Items per list page (`limit`); 0 lists everything in one answer. Default 500. */
  pageSize?: number;
  /** `timeoutSeconds` of each watch; default 300–600 s at random, like client-go, so watches do not end in lockstep. */
  watchTimeoutSeconds?: () => number;
  /** How long past `timeoutSeconds` the client waits for the server to end a silent watch before cutting it. */
  watchGraceMs?: number;
  /** Back-off after failures; default 800 ms doubling to 30 s with jitter, as client-go's reflector. */
  backoff?: Backoff;
  log?: Logger;
}

/** Where the reflector is; `resourceVersion` is the last one seen (from the list, an event or a bookmark). */
export type ReflectorState =
  | { phase: 'idle' }
  | { phase: 'listing' }
  | { phase: 'watching'; resourceVersion: string }
  | { phase: 'backoff'; resourceVersion: string | undefined; delayMs: number; error: string }
  | { phase: 'stopped' };

/** What the reflector feeds; calls are strictly sequential. */
export interface ReflectorSink<T extends KubeObject> {
  /** A complete list read at `resourceVersion`. */
  replace(objs: T[], resourceVersion: string): void;
  apply(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: T): void;
}

interface ObjectList<T> {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/** Outcome of one watch request; `quiet` = it delivered nothing and lasted under a second. */
type WatchEnd = { kind: 'ended' | 'expired'; resourceVersion: string; quiet: boolean };

const QUIET_WATCH_MS = 1000;

/**
 * Mirrors a collection. Transitions:
 * - idle/backoff (no resourceVersion) → listing: paginated list (`limit` + `continue`; a continue
 *   token that expired falls back to one unpaginated list) → `replace` → watching from the list's rv;
 * - watching → watching: the stream ended or timed out (server `timeoutSeconds`, or a client deadline
 *   `watchGraceMs` later) — re-watch from the last seen resourceVersion, bookmarks included;
 * - watching → listing: 410 Gone/Expired, as an HTTP answer or as an ERROR event in the stream;
 * - any → backoff: connection or server errors, other ERROR events, or a watch that ended at once
 *   without delivering anything; after the pause it resumes where it was (watch from rv, or list);
 * - any → stopped: the run signal aborted.
 */
export class Reflector<T extends KubeObject> {
  readonly #client: ApiClient;
  readonly #rt: ResourceType<T>;
  readonly #sink: ReflectorSink<T>;
  readonly #opts: ReflectorOptions;
  readonly #path: string;
  readonly #backoff: Backoff;
  readonly #log: Logger;
  #state: ReflectorState = { phase: 'idle' };
  /** Observers of state changes (tests, metrics). */
  onStateChange: ((state: ReflectorState) => void) | undefined;

  constructor(client: ApiClient, rt: ResourceType<T>, sink: ReflectorSink<T>, opts: ReflectorOptions = {}) {
    this.#client = client;
    this.#rt = rt;
    this.#sink = sink;
    this.#opts = opts;
    this.#path = collectionPath(rt, opts.namespace);
    this.#backoff = opts.backoff ?? new Backoff();
    this.#log = (opts.log ?? createLogger('controller-manager')).child(`reflector/${rt.plural}`);
  }

  get state(): ReflectorState {
    return this.#state;
  }

  /** Runs until `signal` aborts; never throws (every failure leads to a retry). */
  async run(signal: AbortSignal): Promise<void> {
    let rv: string | undefined;
    let listedAt = 0;
    while (!signal.aborted) {
      try {
        if (rv === undefined) {
          this.#set({ phase: 'listing' });
          const listed = await this.#list(signal);
          if (signal.aborted) break;
          this.#sink.replace(listed.items, listed.resourceVersion);
          rv = listed.resourceVersion;
          listedAt = Date.now();
        }
        this.#set({ phase: 'watching', resourceVersion: rv });
        const end = await this.#watch(rv, signal);
        rv = end.kind === 'expired' ? undefined : end.resourceVersion;
        if (end.kind === 'expired') this.#log.info('watch expired, relisting', { resourceVersion: end.resourceVersion });
        if (end.quiet && !signal.aborted) await this.#pause(rv, new Error(`watch ${end.kind} without delivering events`), signal);
      } catch (e: unknown) {
        if (signal.aborted) break;
        if (isGone(e)) {
          this.#log.info('resourceVersion gone, relisting', { resourceVersion: rv });
          // A 410 right after a fresh list would otherwise make a tight list/watch loop.
          if (Date.now() - listedAt < QUIET_WATCH_MS) await this.#pause(undefined, e, signal);
          rv = undefined;
          continue;
        }
        await this.#pause(rv, e, signal);
      }
    }
    this.#set({ phase: 'stopped' });
  }

  #set(state: ReflectorState): void {
    this.#state = state;
    this.onStateChange?.(state);
  }

  async #pause(rv: string | undefined, e: unknown, signal: AbortSignal): Promise<void> {
    const delayMs = this.#backoff.next();
    const error = e instanceof Error ? e.message : String(e);
    this.#set({ phase: 'backoff', resourceVersion: rv, delayMs, error });
    this.#log.warn('list/watch failed, backing off', { error, delayMs, resourceVersion: rv });
    await sleep(delayMs, signal);
  }

  #selectors(): Query {
    return { labelSelector: this.#opts.labelSelector || undefined, fieldSelector: this.#opts.fieldSelector || undefined };
  }

  async #list(signal: AbortSignal): Promise<{ items: T[]; resourceVersion: string }> {
    const limit = this.#opts.pageSize ?? 500;
    const items: T[] = [];
    let cont: string | undefined;
    let resourceVersion = '';
    do {
      let page: ObjectList<T>;
      try {
        page = await this.#client.request<ObjectList<T>>('GET', this.#path, {
          query: { ...this.#selectors(), limit: limit > 0 ? limit : undefined, continue: cont },
          signal,
          timeoutMs: 60_000,
        });
      } catch (e: unknown) {
        if (!(cont && isGone(e))) throw e;
        // The snapshot behind the continue token was compacted away: start over in one piece.
        this.#log.info('continue token expired, listing without pagination');
        items.length = 0;
        page = await this.#client.request<ObjectList<T>>('GET', this.#path, { query: this.#selectors(), signal, timeoutMs: 120_000 });
      }
      for (const item of page.items ?? []) items.push(this.#typed(item));
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      cont = page.metadata?.continue || undefined;
    } while (cont);
    return { items, resourceVersion };
  }

  async #watch(fromRv: string, signal: AbortSignal): Promise<WatchEnd> {
    const started = Date.now();
    const timeoutSeconds = this.#opts.watchTimeoutSeconds?.() ?? Math.floor(300 * (1 + Math.random()));
    const ctl = new AbortController();
    const stop = (): void => ctl.abort();
    signal.addEventListener('abort', stop, { once: true });
    // A half-open connection never ends by itself: cut it if the server has not ended it in time.
    const deadline = setTimeout(stop, timeoutSeconds * 1000 + (this.#opts.watchGraceMs ?? 30_000));
    deadline.unref();
    let rv = fromRv;
    let delivered = 0;
    const end = (kind: WatchEnd['kind']): WatchEnd => ({ kind, resourceVersion: rv, quiet: delivered === 0 && Date.now() - started < QUIET_WATCH_MS });
    try {
      const res = await this.#client.stream(this.#path, { ...this.#selectors(), watch: 'true', resourceVersion: fromRv, allowWatchBookmarks: 'true', timeoutSeconds }, ctl.signal);
      for await (const event of watchEvents<T>(res)) {
        delivered++;
        if (event.type === 'ERROR') {
          const status = event.object;
          if (status.code === 410 || status.reason === 'Expired' || status.reason === 'Gone') return end('expired');
          throw new ApiError(status);
        }
        const obj = event.object;
        if (event.type !== 'BOOKMARK') this.#sink.apply(event.type, this.#typed(obj));
        rv = obj.metadata?.resourceVersion || rv;
        if (this.#state.phase === 'watching') this.#state = { phase: 'watching', resourceVersion: rv };
      }
      return end('ended');
    } catch (e: unknown) {
      // Our own deadline or stop ends the stream like a server timeout would.
      if (ctl.signal.aborted) return end('ended');
      throw e;
    } finally {
      clearTimeout(deadline);
      signal.removeEventListener('abort', stop);
      ctl.abort();
    }
  }

  /** List items come without apiVersion/kind; fill them in so every cached object is self-describing. */
  #typed(obj: T): T {
    if (!obj.apiVersion) obj.apiVersion = apiVersionOf(this.#rt);
    if (!obj.kind) obj.kind = this.#rt.kind;
    return obj;
  }
}
