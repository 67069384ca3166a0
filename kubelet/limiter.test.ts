// Tests of the Limiter: never more than max tasks at once, FIFO hand-over, slots released on failure.
import { describe, expect, it } from 'vitest';
import { Limiter } from './limiter.ts';

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe('Limiter', () => {
  it('runs at most max tasks at once, in arrival order, and frees a slot when a task fails', async () => {
    const lim = new Limiter(2);
    let active = 0;
    let peak = 0;
    const order: number[] = [];
    const task = (i: number, fail = false) => lim.run(async () => {
      active++;
      peak = Math.max(peak, active);
      order.push(i);
      await tick();
      active--;
      if (fail) throw new Error(`task ${i}`);
      return i;
    });
    const results = await Promise.allSettled([task(0, true), task(1), task(2), task(3), task(4)]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(lim.waiting).toBe(0);
  });

  it('does not limit with max 0', async () => {
    const lim = new Limiter(0);
    let active = 0;
    let peak = 0;
    await Promise.all(Array.from({ length: 10 }, () => lim.run(async () => {
      peak = Math.max(peak, ++active);
      await tick();
      active--;
    })));
    expect(peak).toBe(10);
  });
});
