// The scheduling queue: activeQ by priority then age, backoffQ (1 s doubling to 10 s), unschedulable pods moved on events.
import { keyOf } from '../controllers/runtime/index.ts';
import type { Pod } from './types.ts';

export interface QueuedPod {
  pod: Pod;
  key: string;
  priority: number;
  /** When the pod was last added to the queue (orders pods of equal priority). */
  timestamp: number;
  /** Scheduling attempts so far (drives the backoff). */
  attempts: number;
  /** When the current backoff ends. */
  backoffUntil: number;
}

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Upstream's podMaxInUnschedulablePodsDuration: unschedulable pods are retried at least this often. */
  maxUnschedulableMs?: number;
  /** How often the unschedulable pods are checked against maxUnschedulableMs (upstream: 30 s). */
  flushUnschedulableEveryMs?: number;
  now?: () => number;
  priorityOf?: (pod: Pod) => number;
}

/** A binary heap with removal by key. */
class Heap {
  readonly #items: QueuedPod[] = [];
  readonly #index = new Map<string, number>();
  constructor(readonly less: (a: QueuedPod, b: QueuedPod) => boolean) {}
  get size(): number {
    return this.#items.length;
  }
  has(key: string): boolean {
    return this.#index.has(key);
  }
  get(key: string): QueuedPod | undefined {
    const i = this.#index.get(key);
    return i === undefined ? undefined : this.#items[i];
  }
  peek(): QueuedPod | undefined {
    return this.#items[0];
  }
  push(q: QueuedPod): void {
    this.delete(q.key);
    this.#items.push(q);
    this.#index.set(q.key, this.#items.length - 1);
    this.#up(this.#items.length - 1);
  }
  pop(): QueuedPod | undefined {
    const top = this.#items[0];
    if (top) this.delete(top.key);
    return top;
  }
  delete(key: string): QueuedPod | undefined {
    const i = this.#index.get(key);
    if (i === undefined) return undefined;
    const item = this.#items[i];
    const last = this.#items.pop()!;
    this.#index.delete(key);
    if (i < this.#items.length) {
      this.#items[i] = last;
      this.#index.set(last.key, i);
      this.#down(i);
      this.#up(i);
    }
    return item;
  }
  values(): QueuedPod[] {
    return [...this.#items];
  }
  #swap(i: number, j: number): void {
    const a = this.#items[i];
    const b = this.#items[j];
    this.#items[i] = b;
    this.#items[j] = a;
    this.#index.set(b.key, i);
    this.#index.set(a.key, j);
  }
  #up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(this.#items[i], this.#items[p])) break;
      this.#swap(i, p);
      i = p;
    }
  }
  #down(i: number): void {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.#items.length && this.less(this.#items[l], this.#items[m])) m = l;
      if (r < this.#items.length && this.less(this.#items[r], this.#items[m])) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}

/**
 * Upstream's PriorityQueue, reduced to what tskube needs. Guarantees: a pod is in at most one of activeQ,
 * backoffQ and the unschedulable set; pop() hands out the highest priority, then oldest, pod; a pod that
 * failed waits out its backoff (1 s, doubling per attempt, at most 10 s) before it is active again; a pod
 * that failed while a cluster event arrived during its attempt goes to backoffQ instead of waiting for
 * the next event; unschedulable pods return on moveAllToActiveOrBackoff() or after maxUnschedulableMs.
 */
export class SchedulingQueue {
  readonly #o: Required<QueueOptions>;
  readonly #active = new Heap((a, b) => a.priority > b.priority || (a.priority === b.priority && a.timestamp < b.timestamp));
  readonly #backoff = new Heap((a, b) => a.backoffUntil < b.backoffUntil);
  readonly #unschedulable = new Map<string, QueuedPod>();
  /** Pods handed out by pop() and not yet done (their attempt is in progress). */
  readonly #inFlight = new Map<string, QueuedPod>();
  #waiters: Array<() => void> = [];
  #closed = false;
  #schedulingCycle = 0;
  #moveRequestCycle = -1;
  #backoffTimer: NodeJS.Timeout | undefined;
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(opts: QueueOptions = {}) {
    this.#o = {
      initialBackoffMs: 1000,
      maxBackoffMs: 10_000,
      maxUnschedulableMs: 300_000,
      flushUnschedulableEveryMs: 30_000,
      now: Date.now,
      priorityOf: (p) => p.spec?.priority ?? 0,
      ...opts,
    };
    this.#flushTimer = setInterval(() => this.flushUnschedulableLeftover(), this.#o.flushUnschedulableEveryMs);
    this.#flushTimer.unref();
  }

  get schedulingCycle(): number {
    return this.#schedulingCycle;
  }

  /** A new unscheduled pod (or one seen again after a relist). */
  add(pod: Pod): void {
    const key = keyOf(pod);
    if (this.#inFlight.has(key)) {
      this.#inFlight.get(key)!.pod = pod;
      return;
    }
    if (this.#active.has(key) || this.#backoff.has(key) || this.#unschedulable.has(key)) return this.update(pod);
    this.#active.push(this.#fresh(pod, key));
    this.#wake();
  }

  /** The pod changed: refresh it where it is; an unschedulable pod whose spec or labels changed is retried. */
  update(pod: Pod): void {
    const key = keyOf(pod);
    const priority = this.#o.priorityOf(pod);
    const inFlight = this.#inFlight.get(key);
    if (inFlight) {
      inFlight.pod = pod;
      return;
    }
    for (const heap of [this.#active, this.#backoff]) {
      const q = heap.get(key);
      if (q) {
        heap.push({ ...q, pod, priority });
        return;
      }
    }
    const q = this.#unschedulable.get(key);
    if (!q) {
      this.add(pod);
      return;
    }
    const old = q.pod;
    q.pod = pod;
    q.priority = priority;
    if (JSON.stringify(old.spec) !== JSON.stringify(pod.spec) || JSON.stringify(old.metadata.labels) !== JSON.stringify(pod.metadata.labels)) {
      this.#unschedulable.delete(key);
      this.#requeue(q);
    }
  }

  delete(pod: Pod): void {
    const key = keyOf(pod);
    this.#active.delete(key);
    this.#backoff.delete(key);
    this.#unschedulable.delete(key);
    this.#inFlight.delete(key);
  }

  /** Waits for the next pod to schedule; undefined once closed or when `signal` aborts. */
  async pop(signal?: AbortSignal): Promise<QueuedPod | undefined> {
    for (;;) {
      if (this.#closed || signal?.aborted) return undefined;
      const q = this.#active.pop();
      if (q) {
        q.attempts++;
        this.#schedulingCycle++;
        this.#inFlight.set(q.key, q);
        return q;
      }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.#waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** The attempt of a popped pod is over (it was bound, or it has been re-added through a failure path). */
  done(key: string): void {
    this.#inFlight.delete(key);
  }

  /**
   * A popped pod did not fit anywhere in the cycle it was popped in. It waits in the unschedulable set for
   * a cluster event, unless an event already arrived during its attempt (then it only backs off).
   */
  addUnschedulable(q: QueuedPod, podSchedulingCycle: number): void {
    if (this.#deletedInFlight(q)) return;
    this.#inFlight.delete(q.key);
    if (this.#known(q.key)) return;
    q.timestamp = this.#o.now();
    q.backoffUntil = this.#o.now() + this.backoffDuration(q.attempts);
    if (this.#moveRequestCycle >= podSchedulingCycle) this.#pushBackoff(q);
    else this.#unschedulable.set(q.key, q);
  }

  /** A popped pod failed for a reason other than fit (an API error): it backs off and retries. */
  addBackoff(q: QueuedPod): void {
    if (this.#deletedInFlight(q)) return;
    this.#inFlight.delete(q.key);
    if (this.#known(q.key)) return;
    q.timestamp = this.#o.now();
    q.backoffUntil = this.#o.now() + this.backoffDuration(q.attempts);
    this.#pushBackoff(q);
  }

  #deletedInFlight(q: QueuedPod): boolean {
    // delete() during the attempt removed the in-flight record: the pod is gone, do not requeue it.
    return !this.#inFlight.has(q.key);
  }

  #known(key: string): boolean {
    return this.#active.has(key) || this.#backoff.has(key) || this.#unschedulable.has(key);
  }

  /** 1 s × 2^(attempts-1), at most 10 s. */
  backoffDuration(attempts: number): number {
    let d = this.#o.initialBackoffMs;
    for (let i = 1; i < attempts && d < this.#o.maxBackoffMs; i++) d *= 2;
    return Math.min(d, this.#o.maxBackoffMs);
  }

  /** A cluster event that may make unschedulable pods fit: all of them go to activeQ (or backoffQ while backing off). */
  moveAllToActiveOrBackoff(): void {
    for (const q of this.#unschedulable.values()) this.#requeue(q);
    this.#unschedulable.clear();
    this.#moveRequestCycle = this.#schedulingCycle;
  }

  #requeue(q: QueuedPod): void {
    if (q.backoffUntil > this.#o.now()) this.#pushBackoff(q);
    else {
      this.#active.push(q);
      this.#wake();
    }
  }

  /** Pods that waited longer than maxUnschedulableMs in the unschedulable set are retried. */
  flushUnschedulableLeftover(): void {
    const now = this.#o.now();
    for (const [key, q] of this.#unschedulable) {
      if (now - q.timestamp < this.#o.maxUnschedulableMs) continue;
      this.#unschedulable.delete(key);
      this.#requeue(q);
    }
  }

  /** Moves pods whose backoff ended to activeQ. */
  flushBackoff(): void {
    const now = this.#o.now();
    for (let q = this.#backoff.peek(); q && q.backoffUntil <= now; q = this.#backoff.peek()) {
      this.#backoff.pop();
      this.#active.push(q);
      this.#wake();
    }
    this.#armBackoffTimer();
  }

  #pushBackoff(q: QueuedPod): void {
    this.#backoff.push(q);
    this.#armBackoffTimer();
  }

  #armBackoffTimer(): void {
    clearTimeout(this.#backoffTimer);
    const next = this.#backoff.peek();
    if (!next || this.#closed) return;
    this.#backoffTimer = setTimeout(() => this.flushBackoff(), Math.max(0, next.backoffUntil - this.#o.now()));
    this.#backoffTimer.unref();
  }

  #fresh(pod: Pod, key: string): QueuedPod {
    return { pod, key, priority: this.#o.priorityOf(pod), timestamp: this.#o.now(), attempts: 0, backoffUntil: 0 };
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Where a pod is (tests, debugging). */
  where(key: string): 'active' | 'backoff' | 'unschedulable' | 'inFlight' | undefined {
    if (this.#active.has(key)) return 'active';
    if (this.#backoff.has(key)) return 'backoff';
    if (this.#unschedulable.has(key)) return 'unschedulable';
    if (this.#inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  get counts(): { active: number; backoff: number; unschedulable: number } {
    return { active: this.#active.size, backoff: this.#backoff.size, unschedulable: this.#unschedulable.size };
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#backoffTimer);
    clearInterval(this.#flushTimer);
    this.#wake();
  }
}
