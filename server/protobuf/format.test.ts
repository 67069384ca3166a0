import { describe, expect, it } from 'vitest';
import { formatDuration, formatMicroTime, formatTime } from './format.ts';

describe('formatDuration', () => {
  it.each([
    [0n, '0s'],
    [1n, '1ns'],
    [1_500n, '1.5µs'],
    [300_000_000n, '300ms'],
    [1_000_000_000n, '1s'],
    [1_500_000_000n, '1.5s'],
    [60_000_000_000n, '1m0s'],
    [3_600_000_000_000n, '1h0m0s'],
    [5_430_000_000_000n, '1h30m30s'],
    [-90_000_000_000n, '-1m30s'],
    [100_000_000_001n, '1m40.000000001s'],
  ])('prints %s ns as Go does: %s', (nanos, text) => {
    expect(formatDuration(nanos)).toBe(text);
  });
});

describe('formatTime and formatMicroTime', () => {
  it('prints a Time in UTC with whole seconds', () => {
    expect(formatTime(1_700_000_000n)).toBe('2023-11-14T22:13:20Z');
    expect(formatTime(0n)).toBe('1970-01-01T00:00:00Z');
  });

  it('prints a MicroTime with exactly six fractional digits, truncated', () => {
    expect(formatMicroTime(1_700_000_000n, 123_456_789n)).toBe('2023-11-14T22:13:20.123456Z');
    expect(formatMicroTime(1_700_000_000n, 0n)).toBe('2023-11-14T22:13:20.000000Z');
  });

  it('carries nanoseconds outside [0, 1e9) into the seconds as time.Unix does', () => {
    expect(formatMicroTime(10n, -1_000n)).toBe('1970-01-01T00:00:09.999999Z');
  });

  it('refuses years past 9999, as encoding/json does', () => {
    expect(() => formatTime(253_402_300_800n)).toThrow(/outside the years/);
  });
});
