// Leader election on a coordination.k8s.io/v1 Lease, with upstream's timings and optimistic concurrency.
import { hostname } from 'node:os';
import { setMaxListeners } from 'node:events';
import { randomUUID } from 'node:crypto';
import { isConflict, isNotFound, type ApiClient } from './client.ts';
import { sleep } from './backoff.ts';
import { objectPath, collectionPath, Resources, type KubeObject } from './types.ts';
import { createLogger, type Logger } from '../../server/log.ts';

export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export interface Lease extends KubeObject {
  spec?: LeaseSpec;
}

export interface LeaderElectionOptions {
  /** Default kube-system. */
  namespace?: string;
  /** The Lease name, e.g. "kube-controller-manager". */
  name: string;
  /** Unique per candidate, e.g. `${hostname}_${uuid}` as upstream. */
  identity: string;
  /** Upstream defaults: 15 s, 10 s, 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Clear the holder when stopped, so a standby takes over at once instead of after leaseDuration. Default true. */
  releaseOnCancel?: boolean;
  /**
   * Runs when leadership is gained; `signal` aborts when it is lost or the elector is stopped. The
   * returned promise should settle once the guarded work has stopped: the Lease is released only after that.
   */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  /** Runs once after leadership held by this candidate ended (lost or released). */
  onStoppedLeading?(): void;
  /** Runs whenever a different holder is observed (including this candidate). */
  onNewLeader?(identity: string): void;
  log?: Logger;
  /** Milliseconds since the epoch, fractional part kept for MicroTime. */
  now?: () => number;
}

/** metav1.MicroTime: RFC 3339 with exactly six fractional digits, UTC. */
export function microTime(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.floor((ms - whole) * 1000);
  return new Date(whole).toISOString().replace(/\.(\d{3})Z$/, (_m, millis: string) => `.${millis}${String(micros).padStart(3, '0')}Z`);
}

const preciseNow = (): number => performance.timeOrigin + performance.now();

/**
 * One candidate. Guarantees, as upstream's LeaderElector: it acts as leader only after a successful
 * create or compare-and-swap update (resourceVersion) of the Lease naming it; another holder's Lease
 * counts as expired only after leaseDuration of *local* time without a change seen (no trust in
 * clocks across machines); a leader that cannot renew within renewDeadline stops leading (signal
 * aborted) before the Lease can expire for others.
 */
export class LeaderElector {
  readonly #client: ApiClient;
  readonly #o: Required<Omit<LeaderElectionOptions, 'onStoppedLeading' | 'onNewLeader' | 'log'>> & Pick<LeaderElectionOptions, 'onStoppedLeading' | 'onNewLeader'>;
  readonly #log: Logger;
  readonly #path: string;
  #observed: { spec: string; at: number } | undefined;
  #observedHolder = '';
  #leading = false;

  constructor(client: ApiClient, opts: LeaderElectionOptions) {
    this.#client = client;
    this.#o = { namespace: 'kube-system', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000, releaseOnCancel: true, now: preciseNow, ...opts };
    if (this.#o.leaseDurationMs <= this.#o.renewDeadlineMs) throw new Error('leaseDuration must be greater than renewDeadline');
    if (this.#o.renewDeadlineMs <= this.#o.retryPeriodMs * 1.2) throw new Error('renewDeadline must be greater than retryPeriod*JitterFactor');
    this.#log = (opts.log ?? createLogger('controller-manager')).child('leader-election');
    this.#path = objectPath(Resources.Lease, this.#o.namespace, this.#o.name);
  }

  isLeader(): boolean {
    return this.#leading;
  }

  /** The holder last seen on the Lease ("" when none). */
  get leader(): string {
    return this.#observedHolder;
  }

  /**
   * Campaigns until elected, leads until leadership is lost or `signal` aborts, then returns
   * (after releasing the Lease when stopped on purpose). Never throws; run it again to re-campaign.
   */
  async run(signal: AbortSignal): Promise<void> {
    const { retryPeriodMs, renewDeadlineMs, leaseDurationMs } = this.#o;
    let acquired = false;
    while (!signal.aborted && !(acquired = await this.#tryAcquireOrRenew(retryPeriodMs))) await sleep(retryPeriodMs * (1 + Math.random() * 1.2), signal);
    if (!acquired) return;
    if (signal.aborted) {
      // Stopped while the winning write was in flight: hand the Lease back instead of sitting on it.
      if (this.#o.releaseOnCancel) await this.#release();
      return;
    }

    this.#leading = true;
    this.#log.info('successfully acquired lease', { lease: `${this.#o.namespace}/${this.#o.name}`, identity: this.#o.identity });
    const leadership = new AbortController();
    const stop = (): void => leadership.abort();
    signal.addEventListener('abort', stop, { once: true });
    const work = Promise.resolve()
      .then(() => this.#o.onStartedLeading(leadership.signal))
      .catch((e: unknown) => this.#log.error('onStartedLeading failed', { error: e instanceof Error ? e.message : String(e) }));

    renew: while (!leadership.signal.aborted) {
      await sleep(retryPeriodMs, leadership.signal);
      const deadline = this.#o.now() + renewDeadlineMs;
      for (;;) {
        if (leadership.signal.aborted) break renew;
        const left = deadline - this.#o.now();
        if (left > 0 && (await this.#tryAcquireOrRenew(Math.min(left, renewDeadlineMs)))) break;
        if (this.#o.now() >= deadline) {
          this.#log.warn('failed to renew lease, leadership lost', { lease: `${this.#o.namespace}/${this.#o.name}` });
          break renew;
        }
        await sleep(Math.min(retryPeriodMs, Math.max(0, deadline - this.#o.now())), leadership.signal);
      }
    }
    leadership.abort();
    signal.removeEventListener('abort', stop);
    const stillLeading = this.#observedHolder === this.#o.identity;
    this.#leading = false;
    if (signal.aborted && this.#o.releaseOnCancel && stillLeading) {
      // Release only once the guarded work stopped; if it hangs, let the Lease expire instead.
      const settled = await Promise.race([work.then(() => true), sleep(leaseDurationMs).then(() => false)]);
      if (settled) await this.#release();
    }
    try {
      this.#o.onStoppedLeading?.();
    } catch (e: unknown) {
      this.#log.error('onStoppedLeading failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** One attempt: create, take over an expired/empty Lease, or renew our own. */
  async #tryAcquireOrRenew(timeoutMs: number): Promise<boolean> {
    const { identity, leaseDurationMs } = this.#o;
    const now = this.#o.now();
    const ours = (old: LeaseSpec | undefined): LeaseSpec => {
      // Renewing keeps acquireTime and the transition count; taking over (also a released Lease) counts one transition.
      const same = old?.holderIdentity === identity;
      return {
        holderIdentity: identity,
        leaseDurationSeconds: Math.max(1, Math.ceil(leaseDurationMs / 1000)),
        acquireTime: same && old?.acquireTime ? old.acquireTime : microTime(now),
        renewTime: microTime(now),
        leaseTransitions: old === undefined ? 0 : (old.leaseTransitions ?? 0) + (same ? 0 : 1),
      };
    };
    try {
      let lease: Lease;
      try {
        lease = await this.#client.request<Lease>('GET', this.#path, { timeoutMs });
      } catch (e: unknown) {
        if (!isNotFound(e)) throw e;
        const spec = ours(undefined);
        await this.#client.request('POST', collectionPath(Resources.Lease, this.#o.namespace), {
          body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: this.#o.name, namespace: this.#o.namespace }, spec },
          timeoutMs,
        });
        this.#observe(spec, now);
        return true;
      }
      const old = lease.spec ?? {};
      this.#observe(old, now);
      const holder = old.holderIdentity ?? '';
      const validUntil = this.#observed!.at + (old.leaseDurationSeconds ?? 0) * 1000;
      if (holder && holder !== identity && validUntil > now) return false;
      const spec = ours(old);
      await this.#client.request('PUT', this.#path, { body: { ...lease, spec }, timeoutMs });
      this.#observe(spec, now);
      return true;
    } catch (e: unknown) {
      // A conflict means someone else wrote first; anything else is worth a log line. Either way: not now.
      if (!isConflict(e)) this.#log.warn('lease update failed', { error: e instanceof Error ? e.message : String(e) });
      return false;
    }
  }

  #observe(spec: LeaseSpec, now: number): void {
    const text = JSON.stringify([spec.holderIdentity ?? '', spec.leaseDurationSeconds, spec.acquireTime, spec.renewTime, spec.leaseTransitions]);
    if (this.#observed?.spec !== text) this.#observed = { spec: text, at: now };
    const holder = spec.holderIdentity ?? '';
    if (holder !== this.#observedHolder) {
      this.#observedHolder = holder;
      if (holder) this.#o.onNewLeader?.(holder);
    }
  }

  async #release(): Promise<void> {
    try {
      const lease = await this.#client.request<Lease>('GET', this.#path, { timeoutMs: this.#o.renewDeadlineMs });
      if (lease.spec?.holderIdentity !== this.#o.identity) return;
      const at = microTime(this.#o.now());
      const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: at, renewTime: at, leaseTransitions: lease.spec.leaseTransitions ?? 0 };
      await this.#client.request('PUT', this.#path, { body: { ...lease, spec }, timeoutMs: this.#o.renewDeadlineMs });
      this.#observe(spec, this.#o.now());
      this.#log.info('released lease', { lease: `${this.#o.namespace}/${this.#o.name}` });
    } catch (e: unknown) {
      this.#log.warn('could not release lease', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}

export interface ElectedOptions {
  /** The component, for log messages. */
  component?: string;
  /** The Lease that decides, e.g. kube-system/kube-scheduler. */
  lease: { namespace: string; name: string };
  /** false: act at once, without a Lease (upstream's --leader-elect=false). */
  leaderElect?: boolean;
  identity?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  log: Logger;
}

/**
 * Runs `lead` while this process holds the Lease, campaigning again whenever leadership is lost, until `signal`
 * aborts; with leaderElect false it just runs `lead`. Resolves once everything has stopped. The identity defaults
 * to upstream's `<hostname>_<uuid>`.
 */
export async function runElected(client: ApiClient, opts: ElectedOptions, signal: AbortSignal, lead: (signal: AbortSignal) => Promise<void>): Promise<void> {
  if (opts.leaderElect === false) return lead(signal);
  const { log } = opts;
  const elector = new LeaderElector(client, {
    namespace: opts.lease.namespace,
    name: opts.lease.name,
    identity: opts.identity ?? `${hostname()}_${randomUUID()}`,
    leaseDurationMs: opts.leaseDurationMs,
    renewDeadlineMs: opts.renewDeadlineMs,
    retryPeriodMs: opts.retryPeriodMs,
    log,
    onStartedLeading: lead,
    onNewLeader: (id) => log.info('new leader elected', { identity: id }),
  });
  while (!signal.aborted) {
    await elector.run(signal);
    if (!signal.aborted) {
      log.warn('leaderelection lost; campaigning again');
      await sleep(1000, signal).catch(() => undefined);
    }
  }
}

/** A component that works only while it leads: whether it leads now, and a stop that waits for its work. */
export interface ElectedComponent {
  isLeader(): boolean;
  stop(): Promise<void>;
}

/**
 * Starts `lead` under leader election (runElected) until stop() or `outer` aborts; `lead` runs once per leadership
 * term with a signal that aborts when the term ends. stop() waits for the work, then closes the client.
 */
export function startElected(client: ApiClient, opts: ElectedOptions & { outer?: AbortSignal }, lead: (signal: AbortSignal) => Promise<void>): ElectedComponent {
  const stopper = new AbortController();
  setMaxListeners(0, stopper.signal);
  const onOuterAbort = (): void => stopper.abort();
  opts.outer?.addEventListener('abort', onOuterAbort, { once: true });
  let leading = false;
  const done = runElected(client, opts, stopper.signal, async (signal) => {
    leading = true;
    try {
      await lead(signal);
    } finally {
      leading = false;
    }
  });
  return {
    isLeader: () => leading,
    async stop() {
      stopper.abort();
      opts.outer?.removeEventListener('abort', onOuterAbort);
      await done.catch((e: unknown) => opts.log.error(`${opts.component ?? 'component'} stopped with an error`, { error: String(e) }));
      client.close();
    },
  };
}
