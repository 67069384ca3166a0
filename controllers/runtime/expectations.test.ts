// Tests for controller expectations: counting, UID-tracked deletions, the five-minute expiry.
import { describe, expect, it } from 'vitest';
import { ControllerExpectations, EXPECTATIONS_TTL_MS } from './expectations.ts';

const clock = (): { now: () => number; advance(ms: number): void } => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => (t += ms) };
};

describe('ControllerExpectations', () => {
  it('treats a key it has never heard of as satisfied', () => {
    expect(new ControllerExpectations().satisfied('ns/rs')).toBe(true);
  });

  it('holds a controller back until every expected creation was observed', () => {
    const e = new ControllerExpectations();
    e.expectCreations('ns/rs', 3);
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(false);
    e.creationObserved('ns/rs');
    expect(e.satisfied('ns/rs')).toBe(true);
    expect(e.pending('ns/rs')).toEqual({ add: 0, del: 0 });
  });

  it('counts a tracked deletion once even when it is observed twice, and ignores untracked ones', () => {
    const e = new ControllerExpectations();
    e.expectDeletions('ns/rs', ['ns/p1', 'ns/p2']);
    e.deletionObserved('ns/rs', 'ns/p1');
    e.deletionObserved('ns/rs', 'ns/p1');
    e.deletionObserved('ns/rs', 'ns/other');
    expect(e.satisfied('ns/rs')).toBe(false);
    e.deletionObserved('ns/rs', 'ns/p2');
    expect(e.satisfied('ns/rs')).toBe(true);
  });

  it('counts every deletion when expectations were set by number', () => {
    const e = new ControllerExpectations();
    e.expectDeletions('k', 2);
    e.deletionObserved('k');
    e.deletionObserved('k', 'whatever');
    expect(e.satisfied('k')).toBe(true);
  });

  it('lets a controller act again once expectations are older than five minutes (a lost event must not wedge it)', () => {
    const c = clock();
    const e = new ControllerExpectations({ now: c.now });
    e.expectCreations('k', 1);
    c.advance(EXPECTATIONS_TTL_MS);
    expect(e.satisfied('k')).toBe(false);
    c.advance(1);
    expect(e.satisfied('k')).toBe(true);
  });

  it('raise adds to pending counts without renewing the timestamp; lower of a missing key stays missing', () => {
    const c = clock();
    const e = new ControllerExpectations({ now: c.now });
    e.expectCreations('k', 1);
    c.advance(EXPECTATIONS_TTL_MS - 10);
    e.raise('k', 2, 1);
    expect(e.pending('k')).toEqual({ add: 3, del: 1 });
    c.advance(11);
    expect(e.satisfied('k')).toBe(true);
    e.lower('missing', 1, 1);
    expect(e.pending('missing')).toBeUndefined();
  });

  it('forgets a key on delete', () => {
    const e = new ControllerExpectations();
    e.expectCreations('k', 5);
    e.delete('k');
    expect(e.satisfied('k')).toBe(true);
    e.creationObserved('k');
    expect(e.pending('k')).toBeUndefined();
  });
});
