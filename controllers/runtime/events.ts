// Event recording: core/v1 Events with upstream's correlation (spam filter, aggregation, count dedup), written in the background.
import { ApiError, isAlreadyExists, isNotFound, type ApiClient } from './client.ts';
import { sleep } from './backoff.ts';
import type { KubeObject } from './types.ts';
import { createLogger, type Logger } from '../../server/log.ts';

export type EventType = 'Normal' | 'Warning';

export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

/** A core/v1 Event as the recorder writes it. */
export interface CoreEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string };
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  type: EventType;
  eventTime: null;
  reportingComponent: string;
  reportingInstance: string;
}

/** What to do with an event after correlation. */
export type Correlated =
  | { action: 'create'; event: CoreEvent }
  | { action: 'patch'; event: CoreEvent; patch: { count: number; lastTimestamp: string; message: string } }
  | { action: 'drop' };

/** Upstream's constants (client-go tools/record/events_cache.go). */
export const CorrelationDefaults = {
  maxCacheEntries: 4096,
  /** Messages differing only in text beyond this many within the interval are combined into one Event. */
  aggregateMaxEvents: 10,
  intervalMs: 600_000,
  spamBurst: 25,
  /** One more event per object every 5 minutes once the burst is spent. */
  spamRefillMs: 300_000,
  combinedPrefix: '(combined from similar events): ',
} as const;

/** A Map used as an LRU: touching re-inserts, the oldest entry goes when full. */
class Lru<V> {
  readonly #map = new Map<string, V>();
  constructor(readonly max: number) {}
  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }
  set(key: string, v: V): void {
    this.#map.delete(key);
    this.#map.set(key, v);
    if (this.#map.size > this.max) this.#map.delete(this.#map.keys().next().value!);
  }
}

/**
 * The pure part of recording: given a fresh Event (count 1, its own name), decides whether to drop
 * it (spam), create it, or patch an earlier one. Steps, as upstream's EventCorrelator:
 * 1. spam filter: a token bucket per (source, object): burst 25, one token per 5 minutes;
 * 2. aggregation: the 10th distinct message with the same (source, object, type, reason) within
 *    10 minutes becomes "(combined from similar events): <message>", one Event for the group;
 * 3. dedup: an event equal in (source, object, type, reason, message) to one recorded less than
 *    10 minutes ago patches that Event: count+1, lastTimestamp, message (name and firstTimestamp kept).
 */
export class EventCorrelator {
  readonly #spam = new Lru<{ tokens: number; at: number }>(CorrelationDefaults.maxCacheEntries);
  readonly #groups = new Lru<{ messages: Set<string>; at: number }>(CorrelationDefaults.maxCacheEntries);
  readonly #seen = new Lru<{ name: string; count: number; firstTimestamp: string; at: number }>(CorrelationDefaults.maxCacheEntries);

  correlate(event: CoreEvent, now: number): Correlated {
    const src = `${event.source.component}\u0000${event.source.host ?? ''}`;
    const o = event.involvedObject;
    const objKey = [src, o.kind, o.namespace, o.name, o.uid, o.apiVersion].join('\u0000');
    if (!this.#allow(objKey, now)) return { action: 'drop' };

    const groupKey = [objKey, event.type, event.reason, event.reportingComponent, event.reportingInstance].join('\u0000');
    let group = this.#groups.get(groupKey);
    if (!group || now - group.at > CorrelationDefaults.intervalMs) group = { messages: new Set(), at: now };
    group.messages.add(event.message);
    group.at = now;
    this.#groups.set(groupKey, group);
    let key = [objKey, o.fieldPath, event.type, event.reason, event.message].join('\u0000');
    if (group.messages.size >= CorrelationDefaults.aggregateMaxEvents) {
      // Keep the set bounded: drop one message, as upstream pops an arbitrary one.
      group.messages.delete(group.messages.values().next().value!);
      event = { ...event, message: CorrelationDefaults.combinedPrefix + event.message };
      key = groupKey;
    }

    const last = this.#seen.get(key);
    if (last && now - last.at <= CorrelationDefaults.intervalMs) {
      const count = last.count + 1;
      this.#seen.set(key, { ...last, count, at: now });
      const merged: CoreEvent = { ...event, metadata: { ...event.metadata, name: last.name }, firstTimestamp: last.firstTimestamp, count };
      return { action: 'patch', event: merged, patch: { count, lastTimestamp: event.lastTimestamp, message: event.message } };
    }
    this.#seen.set(key, { name: event.metadata.name, count: 1, firstTimestamp: event.firstTimestamp, at: now });
    return { action: 'create', event };
  }

  #allow(key: string, now: number): boolean {
    const { spamBurst, spamRefillMs } = CorrelationDefaults;
    const b = this.#spam.get(key) ?? { tokens: spamBurst, at: now };
    b.tokens = Math.min(spamBurst, b.tokens + (now - b.at) / spamRefillMs);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.#spam.set(key, b);
    return ok;
  }
}

export interface EventRecorderOptions {
  /** source.component and reportingComponent, e.g. "deployment-controller". */
  component: string;
  /** source.host and reportingInstance; left out (source) / "" (reportingInstance) when not given, as kube-controller-manager does. */
  host?: string;
  log?: Logger;
  /** Events waiting to be written beyond this are dropped (upstream's broadcaster queue: 1000). */
  maxQueue?: number;
  /** Attempts per write on server/transport errors. */
  maxAttempts?: number;
  retryDelayMs?: number;
  now?: () => number;
}

/** RFC 3339 with whole seconds, as metav1.Time serializes. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A reference to `obj` for `involvedObject` (as upstream's reference.GetReference). */
export function referenceTo(obj: KubeObject): ObjectReference {
  const m = obj.metadata;
  const ref: ObjectReference = { kind: obj.kind, namespace: m.namespace, name: m.name, uid: m.uid, apiVersion: obj.apiVersion, resourceVersion: m.resourceVersion };
  for (const k of Object.keys(ref) as Array<keyof ObjectReference>) if (!ref[k]) delete ref[k];
  return ref;
}

/**
 * Records Events about objects. `event()` never blocks and never throws: it correlates at once and
 * queues the write; one background loop writes in order, best effort (retries server and transport
 * errors a few times, logs and drops what still fails; a patch of an Event that is gone becomes a create).
 */
export class EventRecorder {
  readonly #client: ApiClient;
  readonly #opts: Required<Omit<EventRecorderOptions, 'host' | 'log'>> & { host: string | undefined };
  readonly #log: Logger;
  readonly #correlator = new EventCorrelator();
  readonly #queue: Array<Exclude<Correlated, { action: 'drop' }>> = [];
  #writing: Promise<void> | undefined;
  #lastNanos = 0n;

  constructor(client: ApiClient, opts: EventRecorderOptions) {
    this.#client = client;
    this.#opts = { maxQueue: 1000, maxAttempts: 3, retryDelayMs: 1000, now: Date.now, ...opts, host: opts.host };
    this.#log = (opts.log ?? createLogger('controller-manager')).child(`events/${opts.component}`);
  }

  /**
   * Records that `reason` happened to `obj` (which must have kind and metadata.name). `fieldPath` names the
   * part of the object it concerns (involvedObject.fieldPath, e.g. the kubelet's `spec.containers{web}`).
   */
  event(obj: KubeObject, type: EventType, reason: string, message: string, fieldPath?: string): void {
    try {
      const now = this.#opts.now();
      const c = this.#correlator.correlate(this.#make(obj, type, reason, message, now, fieldPath), now);
      if (c.action === 'drop') return this.#log.debug('event dropped by spam filter', { reason, object: obj.metadata.name });
      if (this.#queue.length >= this.#opts.maxQueue) return this.#log.warn('event queue full, dropping event', { reason, object: obj.metadata.name });
      this.#queue.push(c);
      this.#writing ??= this.#drain().finally(() => (this.#writing = undefined));
    } catch (e: unknown) {
      this.#log.error('could not record event', { reason, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Resolves once every queued event has been written or given up on. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  #make(obj: KubeObject, type: EventType, reason: string, message: string, now: number, fieldPath?: string): CoreEvent {
    const ts = rfc3339(now);
    const source: CoreEvent['source'] = this.#opts.host ? { component: this.#opts.component, host: this.#opts.host } : { component: this.#opts.component };
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${obj.metadata.name ?? ''}.${this.#nanos(now).toString(16)}`, namespace: obj.metadata.namespace || 'default' },
      involvedObject: fieldPath ? { ...referenceTo(obj), fieldPath } : referenceTo(obj),
      reason,
      message,
      source,
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: this.#opts.component,
      reportingInstance: this.#opts.host ?? '',
    };
  }

  /** Unix nanoseconds, strictly increasing within the process so two events never share a name. */
  #nanos(now: number): bigint {
    const n = BigInt(now) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
    this.#lastNanos = n > this.#lastNanos ? n : this.#lastNanos + 1n;
    return this.#lastNanos;
  }

  async #drain(): Promise<void> {
    for (let next = this.#queue.shift(); next; next = this.#queue.shift()) {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.#write(next);
          break;
        } catch (e: unknown) {
          const retriable = !(e instanceof ApiError) || e.code >= 500 || e.code === 429;
          if (!retriable || attempt >= this.#opts.maxAttempts) {
            this.#log.warn('could not write event, dropping it', { name: next.event.metadata.name, reason: next.event.reason, error: e instanceof Error ? e.message : String(e) });
            break;
          }
          await sleep(this.#opts.retryDelayMs * attempt);
        }
      }
    }
  }

  async #write(c: Exclude<Correlated, { action: 'drop' }>): Promise<void> {
    const { namespace, name } = c.event.metadata;
    const base = `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
    if (c.action === 'patch') {
      try {
        // Merge patch of three scalar fields is what upstream's strategic patch amounts to for Events.
        await this.#client.request('PATCH', `${base}/${encodeURIComponent(name)}`, { body: c.patch, contentType: 'application/merge-patch+json' });
        return;
      } catch (e: unknown) {
        if (!isNotFound(e)) throw e;
        // The Event expired (or was deleted): write it anew, with the count it has reached.
      }
    }
    try {
      await this.#client.request('POST', base, { body: c.event });
    } catch (e: unknown) {
      if (!isAlreadyExists(e)) throw e;
    }
  }
}
