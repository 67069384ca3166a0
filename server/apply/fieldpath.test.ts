// FieldSet's set operations walk tries; they must agree with the same operations done path by path.
import { describe, expect, it } from 'vitest';
import { FieldSet, type Path } from './fieldpath.ts';

const key = (p: Path) => p.join('\u0000');
const pathsOf = (s: FieldSet) => [...s.paths()].map(key);

/** A deterministic pseudo-random set over a small alphabet, so operands overlap a lot. */
function randomSet(seed: number): FieldSet {
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const set = new FieldSet();
  for (let i = 0; i < 12; i++) {
    const len = 1 + Math.floor(next() * 4);
    set.insert(Array.from({ length: len }, () => ['f:a', 'f:b', 'k:{"name":"c"}', 'v:1', 'i:0'][Math.floor(next() * 5)]!));
  }
  return set;
}

describe('FieldSet operations', () => {
  it.each(Array.from({ length: 25 }, (_, i) => [i]))('agree with path-by-path set algebra (seed %i)', (seed) => {
    const a = randomSet(seed * 2 + 1);
    const b = randomSet(seed * 2 + 2);
    const pa = new Set(pathsOf(a));
    const pb = new Set(pathsOf(b));
    const sorted = (xs: Iterable<string>) => [...xs].sort();
    expect(sorted(pathsOf(a.union(b)))).toEqual(sorted(new Set([...pa, ...pb])));
    expect(sorted(pathsOf(a.difference(b)))).toEqual(sorted([...pa].filter((p) => !pb.has(p))));
    expect(sorted(pathsOf(a.intersection(b)))).toEqual(sorted([...pa].filter((p) => pb.has(p))));
    expect(sorted(pathsOf(a.filter((p) => p[0] !== 'f:a')))).toEqual(sorted([...pa].filter((p) => !p.startsWith('f:a'))));
    expect(pathsOf(a.clone())).toEqual(pathsOf(a));
    expect(a.difference(a).empty).toBe(true);
  });

  it('never carries over empty branches or the root flag', () => {
    const a = FieldSet.fromFieldsV1({ 'f:x': 1, 'f:y': {}, '.': {} });
    const out = a.union(new FieldSet());
    expect([...out.children.keys()]).toEqual(['f:y']);
    expect(out.member).toBe(false);
    expect(out.toFieldsV1()).toEqual({ 'f:y': {} });
  });
});
