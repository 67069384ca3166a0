import { afterEach, describe, expect, it } from 'vitest';
import { SchedulingQueue } from './queue.ts';
import { makePod } from './test-helpers.ts';

let now = 1_000_000;
const queues: SchedulingQueue[] = [];
function newQueue(): SchedulingQueue {
  const q = new SchedulingQueue({ now: () => now });
  queues.push(q);
  return q;
}
afterEach(() => {
  for (const q of queues.splice(0)) q.close();
});

describe('SchedulingQueue', () => {
  it('pops the highest priority first, then the oldest', async () => {
    const q = newQueue();
    q.add(makePod('low-old', {}, { priority: 1 }));
    now += 1;
    q.add(makePod('high', {}, { priority: 10 }));
    now += 1;
    q.add(makePod('low-new', {}, { priority: 1 }));
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await q.pop())!.key);
    expect(order).toEqual(['default/high', 'default/low-old', 'default/low-new']);
  });

  it('waits in pop() until a pod is added', async () => {
    const q = newQueue();
    const popped = q.pop();
    setTimeout(() => q.add(makePod('late')), 5);
    expect((await popped)!.key).toBe('default/late');
  });

  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [4, 8000],
    [5, 10_000],
    [9, 10_000],
  ])('backs off attempt %d for %d ms', (attempts, ms) => {
    expect(newQueue().backoffDuration(attempts)).toBe(ms);
  });

  it('parks an unschedulable pod until a cluster event, then backs it off', async () => {
    const q = newQueue();
    q.add(makePod('p'));
    const item = (await q.pop())!;
    q.addUnschedulable(item, q.schedulingCycle);
    expect(q.where(item.key)).toBe('unschedulable');
    q.moveAllToActiveOrBackoff();
    expect(q.where(item.key)).toBe('backoff');
    now += 1000;
    q.flushBackoff();
    expect(q.where(item.key)).toBe('active');
  });

  it('sends a pod that failed while a cluster event arrived during its attempt to backoff, not to the unschedulable set', async () => {
    const q = newQueue();
    q.add(makePod('p'));
    const item = (await q.pop())!;
    const cycle = q.schedulingCycle;
    q.moveAllToActiveOrBackoff();
    q.addUnschedulable(item, cycle);
    expect(q.where(item.key)).toBe('backoff');
  });

  it('retries unschedulable pods after podMaxInUnschedulablePodsDuration (5 minutes)', async () => {
    const q = newQueue();
    q.add(makePod('p'));
    const item = (await q.pop())!;
    q.addUnschedulable(item, q.schedulingCycle);
    now += 299_000;
    q.flushUnschedulableLeftover();
    expect(q.where(item.key)).toBe('unschedulable');
    now += 2_000;
    q.flushUnschedulableLeftover();
    expect(q.where(item.key)).toBe('active');
  });

  it('retries an unschedulable pod whose spec changed, but not one whose status changed', async () => {
    const q = newQueue();
    const pod = makePod('p');
    q.add(pod);
    const item = (await q.pop())!;
    q.addUnschedulable(item, q.schedulingCycle);
    q.update({ ...pod, status: { phase: 'Pending' } });
    expect(q.where(item.key)).toBe('unschedulable');
    now += 5000;
    q.update({ ...pod, spec: { ...pod.spec, nodeSelector: { a: 'b' } } });
    expect(q.where(item.key)).toBe('active');
  });

  it('forgets a pod deleted while being scheduled', async () => {
    const q = newQueue();
    const pod = makePod('p');
    q.add(pod);
    const item = (await q.pop())!;
    q.delete(pod);
    q.addUnschedulable(item, q.schedulingCycle);
    expect(q.where(item.key)).toBeUndefined();
  });

  it('keeps one entry per pod', () => {
    const q = newQueue();
    q.add(makePod('p'));
    q.add(makePod('p'));
    expect(q.counts.active).toBe(1);
  });
});
