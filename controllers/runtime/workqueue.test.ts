// Tests for the work queue: de-duplication, one worker per key, FIFO, shutdown, back-off timings (fake timers), rate limiters.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BucketRateLimiter, ExponentialRateLimiter, MaxOfRateLimiter, WorkQueue, defaultControllerRateLimiter } from './workqueue.ts';

/** A queue whose rate limiter has no global bucket, so per-item back-off is seen alone. */
const itemQueue = (): WorkQueue => new WorkQueue(new ExponentialRateLimiter(5, 1_000_000));

describe('WorkQueue', () => {
  it('hands out a key queued twice before a worker took it only once', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('keeps first-in first-out order', async () => {
    const q = new WorkQueue();
    for (const k of ['c', 'a', 'b']) q.add(k);
    expect([await q.get(), await q.get(), await q.get()]).toEqual(['c', 'a', 'b']);
  });

  it('never gives a key to a second worker while the first is processing it', async () => {
    const q = new WorkQueue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    expect(q.len()).toBe(0);
    let second: string | undefined;
    void q.get().then((k) => (second = k));
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done(first!);
    await Promise.resolve();
    expect(second).toBe('a');
  });

  it('re-adding a processing key several times queues it once after done', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    q.add('a');
    q.add('a');
    q.done(k!);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('serves waiting workers in the order they asked', async () => {
    const q = new WorkQueue();
    const got: string[] = [];
    const w1 = q.get().then((k) => got.push(`w1:${k}`));
    const w2 = q.get().then((k) => got.push(`w2:${k}`));
    q.add('x');
    q.add('y');
    await Promise.all([w1, w2]);
    expect(got).toEqual(['w1:x', 'w2:y']);
  });

  it('releases waiting and later get() calls with undefined on shutdown and ignores later adds', async () => {
    const q = new WorkQueue();
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
    q.add('a');
    expect(q.len()).toBe(0);
    expect(await q.get()).toBeUndefined();
  });

  describe('with fake timers', () => {
    beforeEach(() => {
      vi.useFakeTimers();
    });
    afterEach(() => {
      vi.useRealTimers();
    });

    it('adds a key after the delay and keeps the earliest of two delays', () => {
      const q = new WorkQueue();
      q.addAfter('a', 100);
      q.addAfter('a', 50);
      q.addAfter('a', 500);
      vi.advanceTimersByTime(49);
      expect(q.len()).toBe(0);
      vi.advanceTimersByTime(1);
      expect(q.len()).toBe(1);
      vi.advanceTimersByTime(1000);
      expect(q.len()).toBe(1);
    });

    it('backs a failing key off 5 ms doubling per retry until forgotten', () => {
      const q = itemQueue();
      const delays: number[] = [];
      for (let i = 0; i < 5; i++) {
        q.addRateLimited('a');
        let waited = 0;
        while (q.len() === 0) {
          vi.advanceTimersByTime(1);
          waited++;
        }
        delays.push(waited);
        void q.get();
        q.done('a');
      }
      expect(delays).toEqual([5, 10, 20, 40, 80]);
      expect(q.numRequeues('a')).toBe(5);
      q.forget('a');
      expect(q.numRequeues('a')).toBe(0);
      q.addRateLimited('a');
      vi.advanceTimersByTime(5);
      expect(q.len()).toBe(1);
    });

    it('drops pending delayed adds on shutdown', () => {
      const q = new WorkQueue();
      q.addAfter('a', 10);
      q.shutDown();
      vi.advanceTimersByTime(100);
      expect(q.len()).toBe(0);
    });
  });

  it('does not keep the process alive with its timers', () => {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const q = new WorkQueue();
    q.addAfter('a', 60_000);
    const timer = spy.mock.results.at(-1)!.value as NodeJS.Timeout;
    expect(timer.hasRef()).toBe(false);
    q.shutDown();
    spy.mockRestore();
  });
});

describe('rate limiters', () => {
  it.each([
    [1, 5],
    [2, 10],
    [3, 20],
    [18, 5 * 2 ** 17],
    [19, 1_000_000],
    [40, 1_000_000],
  ])('the exponential limiter waits on failure %i for %i ms', (n, ms) => {
    const l = new ExponentialRateLimiter(5, 1_000_000);
    let last = 0;
    for (let i = 0; i < n; i++) last = l.when('k');
    expect(last).toBe(ms);
  });

  it('the bucket allows a burst of 100, then one per 100 ms at 10 qps', () => {
    let now = 0;
    const b = new BucketRateLimiter(10, 100, () => now);
    for (let i = 0; i < 100; i++) expect(b.when('k' + i)).toBe(0);
    expect(b.when('x')).toBe(100);
    expect(b.when('y')).toBe(200);
    now = 1000;
    // Ten tokens refilled, two already promised: the next wait is zero again only after the debt is paid.
    expect(b.when('z')).toBe(0);
  });

  it('the default controller limiter is the maximum of both', () => {
    const l = new MaxOfRateLimiter(new ExponentialRateLimiter(5, 1_000_000), new BucketRateLimiter(10, 100, () => 0));
    expect(l.when('a')).toBe(5);
    expect(l.when('a')).toBe(10);
    expect(l.retries('a')).toBe(2);
    l.forget('a');
    expect(l.retries('a')).toBe(0);
    expect(defaultControllerRateLimiter().when('a')).toBe(5);
  });
});
