// Tests for Lease leader election against a stub API server: acquire, renew, release hand-over, expiry by local time, lost renewals, CAS races.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LeaderElector, microTime, type Lease, type LeaderElectionOptions } from './leader-election.ts';
import { StubApiServer } from './stub-apiserver.ts';
import { createLogger } from '../../server/log.ts';

const LEASES = 'coordination.k8s.io/v1/leases';
const quiet = createLogger('test', () => {});

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('microTime', () => {
  it.each([
    [Date.UTC(2024, 0, 2, 3, 4, 5, 678), '2024-01-02T03:04:05.678000Z'],
    [Date.UTC(2024, 0, 2, 3, 4, 5, 678) + 0.9125, '2024-01-02T03:04:05.678912Z'],
    [Date.UTC(2024, 0, 2, 3, 4, 5, 0), '2024-01-02T03:04:05.000000Z'],
  ])('formats %d as %s (six fractional digits, as metav1.MicroTime)', (ms, text) => {
    expect(microTime(ms)).toBe(text);
  });
});

describe('LeaderElector', () => {
  let stub: StubApiServer;
  const running: Array<{ ctl: AbortController; done: Promise<void> }> = [];

  /** Fast timings, upstream's 15 s / 10 s / 2 s scaled down. */
  const candidate = (identity: string, extra: Partial<LeaderElectionOptions> = {}) => {
    const events: string[] = [];
    let leaderSignal: AbortSignal | undefined;
    const elector = new LeaderElector(stub.client(), {
      name: 'kube-controller-manager',
      identity,
      leaseDurationMs: 2000,
      renewDeadlineMs: 1200,
      retryPeriodMs: 100,
      log: quiet,
      onStartedLeading: (signal) => {
        leaderSignal = signal;
        events.push('started');
      },
      onStoppedLeading: () => events.push('stopped'),
      ...extra,
    });
    const ctl = new AbortController();
    const run = { ctl, done: elector.run(ctl.signal) };
    running.push(run);
    return { elector, events, run, signal: () => leaderSignal };
  };
  const lease = (): Lease | undefined => stub.get(LEASES, 'kube-system', 'kube-controller-manager') as Lease | undefined;

  beforeEach(async () => {
    stub = await StubApiServer.start();
  });
  afterEach(async () => {
    for (const r of running.splice(0)) {
      r.ctl.abort();
      await r.done;
    }
    await stub.close();
  });

  it('creates the Lease naming itself, with MicroTime stamps, and keeps renewing it', async () => {
    const a = candidate('cm-a');
    await until(() => a.events.includes('started'), 'leadership');
    expect(a.elector.isLeader()).toBe(true);
    const first = lease()!;
    expect(first.spec).toMatchObject({ holderIdentity: 'cm-a', leaseDurationSeconds: 2, leaseTransitions: 0 });
    expect(first.spec!.acquireTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(first.spec!.renewTime).toBe(first.spec!.acquireTime);
    await until(() => lease()!.spec!.renewTime !== first.spec!.renewTime, 'a renewal');
    expect(lease()!.spec).toMatchObject({ holderIdentity: 'cm-a', acquireTime: first.spec!.acquireTime, leaseTransitions: 0 });
  });

  it('lets only one of two candidates lead, and hands over fast when the leader releases on shutdown', async () => {
    const a = candidate('cm-a');
    await until(() => a.events.includes('started'), 'a to lead');
    const b = candidate('cm-b');
    await until(() => b.elector.leader === 'cm-a', 'b to see a');
    await new Promise((r) => setTimeout(r, 300));
    expect(b.events).toEqual([]);
    const releasedAt = Date.now();
    a.run.ctl.abort();
    await a.run.done;
    expect(a.events).toEqual(['started', 'stopped']);
    expect(a.signal()!.aborted).toBe(true);
    await until(() => b.events.includes('started'), 'b to lead');
    // Released: b need not wait out the 2 s lease, only its retry period (with jitter).
    expect(Date.now() - releasedAt).toBeLessThan(1500);
    expect(lease()!.spec).toMatchObject({ holderIdentity: 'cm-b', leaseTransitions: 1 });
  });

  it('writes an empty holderIdentity on release', async () => {
    const a = candidate('cm-a');
    await until(() => a.events.includes('started'), 'leadership');
    a.run.ctl.abort();
    await a.run.done;
    expect(lease()!.spec).toMatchObject({ holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 });
  });

  it('takes over a Lease whose holder stopped renewing only after leaseDuration of local time', async () => {
    stub.put(LEASES, { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'kube-controller-manager', namespace: 'kube-system' }, spec: { holderIdentity: 'crashed', leaseDurationSeconds: 1, leaseTransitions: 4, acquireTime: microTime(0), renewTime: microTime(0) } });
    const started = Date.now();
    const b = candidate('cm-b');
    await until(() => b.events.includes('started'), 'b to lead', 4000);
    // The Lease's own renewTime is ancient, but clocks are not trusted: b waited a full lease duration.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(lease()!.spec).toMatchObject({ holderIdentity: 'cm-b', leaseTransitions: 5 });
  });

  it('stops leading when it cannot renew within the renew deadline', async () => {
    const a = candidate('cm-a');
    await until(() => a.events.includes('started'), 'leadership');
    stub.hook = (r) => (r.path.includes('/leases') ? { kind: 'Status', code: 500, reason: 'InternalError', message: 'etcd down' } : undefined);
    const failingSince = Date.now();
    await a.run.done;
    expect(a.events).toEqual(['started', 'stopped']);
    expect(a.signal()!.aborted).toBe(true);
    expect(a.elector.isLeader()).toBe(false);
    // Gone before the Lease (2 s) could have expired for anyone else.
    expect(Date.now() - failingSince).toBeLessThan(2000);
  });

  it('does not lead when its compare-and-swap loses to a concurrent writer', async () => {
    stub.put(LEASES, { metadata: { name: 'kube-controller-manager', namespace: 'kube-system' }, spec: { holderIdentity: '', leaseDurationSeconds: 1 } });
    let raced = false;
    stub.hook = (r) => {
      if (r.method === 'PUT' && !raced) {
        raced = true;
        stub.put(LEASES, { metadata: { name: 'kube-controller-manager', namespace: 'kube-system' }, spec: { holderIdentity: 'cm-other', leaseDurationSeconds: 30, renewTime: microTime(Date.now()) } });
      }
      return undefined;
    };
    const a = candidate('cm-a');
    await until(() => raced && a.elector.leader === 'cm-other', 'the race');
    await new Promise((r) => setTimeout(r, 300));
    expect(a.events).toEqual([]);
    expect(lease()!.spec!.holderIdentity).toBe('cm-other');
  });

  it('rejects timings upstream would reject', () => {
    const opts = { name: 'x', identity: 'i', onStartedLeading: () => {} };
    expect(() => new LeaderElector(stub.client(), { ...opts, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 })).toThrow(/leaseDuration must be greater/);
    expect(() => new LeaderElector(stub.client(), { ...opts, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 })).toThrow(/renewDeadline must be greater/);
  });
});
