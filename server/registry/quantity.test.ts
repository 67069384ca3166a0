import { describe, expect, it } from 'vitest';
import { canonicalQuantity, parseQuantity } from './quantity.ts';

describe('quantities', () => {
  it.each([
    ['1', 1_000_000_000n],
    ['500m', 500_000_000n],
    ['1Ki', 1024_000_000_000n],
    ['1e3', 1000_000_000_000n],
    ['0.5Gi', 536870912_000_000_000n],
    ['abc', undefined],
    ['1.2.3', undefined],
  ])('parse %s', (text, value) => {
    expect(parseQuantity(text)).toBe(value);
  });

  it.each([
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['1000m', '1'],
    ['1000', '1k'],
    ['2000000', '2M'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Gi', '512Mi'],
    ['1025Ki', '1025Ki'],
    ['100Ki', '100Ki'],
    ['0', '0'],
    ['0.0001', '1m'],
    [1, '1'],
    [0.25, '250m'],
  ])('canonical form of %j is %s', (text, canonical) => {
    expect(canonicalQuantity(text)).toBe(canonical);
  });
});
