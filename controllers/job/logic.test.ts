// Job rules: pod-failure back-off, completed-index formatting, wanted active pods, failure detection.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../runtime/index.ts';
import { backoffRemainingMs, formatIndexes, isPodFailed, nextBackoffRecord, parseIndexes, pastActiveDeadline, pastBackoffLimitOnFailure, wantActive } from './logic.ts';

const pod = (phase: string, finishedAt?: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  metadata: { name: 'p', ...extra },
  status: { phase, containerStatuses: finishedAt ? [{ state: { terminated: { finishedAt } } }] : [] },
});
const job = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject => ({ metadata: { name: 'j' }, spec, status });
const T0 = Date.parse('2024-01-01T00:00:00Z');

describe('pod failure back-off', () => {
  it.each([
    [1, 0, 10_000],
    [2, 0, 20_000],
    [3, 5_000, 35_000],
    [7, 0, 600_000],
    [30, 0, 600_000],
  ])('after %i failures and %i ms, waits %i ms more', (failures, elapsed, want) => {
    expect(backoffRemainingMs({ failuresAfterLastSuccess: failures, lastFailureTime: T0 }, T0 + elapsed)).toBe(want);
  });

  it('does not wait without failures or once the back-off has passed', () => {
    expect(backoffRemainingMs({ failuresAfterLastSuccess: 0, lastFailureTime: undefined }, T0)).toBe(0);
    expect(backoffRemainingMs({ failuresAfterLastSuccess: 1, lastFailureTime: T0 }, T0 + 11_000)).toBe(0);
  });

  it('counts failures and resets on a success, keeping failures that finished after it', () => {
    let r = nextBackoffRecord({ failuresAfterLastSuccess: 0, lastFailureTime: undefined }, [], [pod('Failed', '2024-01-01T00:00:05Z')], T0);
    expect(r).toEqual({ failuresAfterLastSuccess: 1, lastFailureTime: T0 + 5000 });
    r = nextBackoffRecord(r, [], [pod('Failed', '2024-01-01T00:00:20Z')], T0);
    expect(r.failuresAfterLastSuccess).toBe(2);
    r = nextBackoffRecord(r, [pod('Succeeded', '2024-01-01T00:00:30Z')], [pod('Failed', '2024-01-01T00:00:25Z'), pod('Failed', '2024-01-01T00:00:40Z')], T0);
    expect(r).toEqual({ failuresAfterLastSuccess: 1, lastFailureTime: T0 + 40_000 });
  });
});

describe('completed indexes', () => {
  it.each([
    [[0, 1, 2, 3], '0-3'],
    [[0, 1], '0,1'],
    [[1, 3, 4, 5, 7], '1,3-5,7'],
    [[], ''],
  ])('%j is written %s', (xs, s) => {
    expect(formatIndexes(xs)).toBe(s);
    expect(parseIndexes(s, 100)).toEqual(xs);
  });

  it('drops indexes beyond completions', () => {
    expect(parseIndexes('0-5', 3)).toEqual([0, 1, 2]);
  });
});

describe('job arithmetic', () => {
  it.each([
    [{ completions: 3, parallelism: 2 }, 0, 0, 2],
    [{ completions: 3, parallelism: 2 }, 2, 2, 1],
    [{ completions: 3, parallelism: 2 }, 0, 3, 0],
    [{ parallelism: 2 }, 0, 0, 2],
    [{ parallelism: 2 }, 1, 1, 1],
  ])('spec %j with %i active and %i succeeded wants %i', (spec, active, succeeded, want) => {
    expect(wantActive(job(spec), active, succeeded)).toBe(want);
  });

  it('counts deleted unfinished pods as failed unless only failed pods are replaced', () => {
    const deleted = pod('Running', undefined, { deletionTimestamp: '2024-01-01T00:00:00Z' });
    expect(isPodFailed(deleted, job({}))).toBe(true);
    expect(isPodFailed(deleted, job({ podReplacementPolicy: 'Failed' }))).toBe(false);
    expect(isPodFailed(pod('Failed'), job({}))).toBe(true);
  });

  it('fails OnFailure jobs whose containers restarted backoffLimit times', () => {
    const p: KubeObject = { metadata: {}, status: { phase: 'Running', containerStatuses: [{ restartCount: 2 }] } };
    const j = job({ backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure' } } });
    expect(pastBackoffLimitOnFailure(j, [p])).toBe(true);
    expect(pastBackoffLimitOnFailure(job({ backoffLimit: 3, template: { spec: { restartPolicy: 'OnFailure' } } }), [p])).toBe(false);
  });

  it('detects a passed activeDeadlineSeconds', () => {
    const j = job({ activeDeadlineSeconds: 10 }, { startTime: '2024-01-01T00:00:00Z' });
    expect(pastActiveDeadline(j, T0 + 9_000)).toBe(false);
    expect(pastActiveDeadline(j, T0 + 10_000)).toBe(true);
  });
});
