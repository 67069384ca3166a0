// JSON merge patch decoding and application, RFC 7386 cases and upstream (evanphx v4) behaviour.

import { describe, expect, it } from 'vitest';
import { PatchError } from './errors.ts';
import { applyMergePatch, decodeMergePatch, INVALID_JSON_PATCH } from './merge-patch.ts';

function failure(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(PatchError);
    return e as PatchError;
  }
  throw new Error('expected a PatchError');
}

describe('applyMergePatch, cases in the spirit of RFC 7386 appendix A', () => {
  it.each<[string, unknown, unknown, unknown]>([
    ['replaces a member', { a: 'b' }, { a: 'c' }, { a: 'c' }],
    ['adds a member', { a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    ['deletes a member with null', { a: 'b' }, { a: null }, {}],
    ['deletes only the nulled member', { a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    ['replaces an array with a string', { a: ['b'] }, { a: 'c' }, { a: 'c' }],
    ['replaces a string with an array', { a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    ['merges nested objects', { a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    ['replaces arrays whole', { a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    ['replaces a top-level array', ['a', 'b'], ['c', 'd'], ['c', 'd']],
    ['replaces an object by a top-level array', { a: 'b' }, ['c'], ['c']],
    ['keeps existing nulls it does not touch', { e: null }, { a: 1 }, { e: null, a: 1 }],
    ['turns a non-object target into the pruned patch', [1, 2], { a: 'b', c: null }, { a: 'b' }],
    ['prunes nulls inside new objects', {}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ['deletes a missing member without complaint', { a: 1 }, { z: null }, { a: 1 }],
    ['leaves the target as is for an empty patch', { a: { b: 1 } }, {}, { a: { b: 1 } }],
    [
      'updates labels the way kubectl patch --type merge does',
      { metadata: { name: 'web', labels: { app: 'web', tier: 'fe' } }, spec: { replicas: 1 } },
      { metadata: { labels: { tier: null, env: 'prod' } }, spec: { replicas: 3 } },
      { metadata: { name: 'web', labels: { app: 'web', env: 'prod' } }, spec: { replicas: 3 } },
    ],
  ])('%s', (_name, target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it.each<[string, unknown, unknown, unknown]>([
    ['keeps nulls that sit directly in arrays', { a: 1 }, { a: [null, { k: null }] }, { a: [null, {}] }],
    ['keeps nulls when an object member becomes a non-object', { a: { x: 1 } }, { a: [{ k: null }] }, { a: [{ k: null }] }],
    ['prunes nulls when a scalar member becomes an array of objects', { a: 's' }, { a: [{ k: null }] }, { a: [{}] }],
    ['prunes nulls in a top-level array patch', { a: 1 }, [{ k: null }, null], [{}, null]],
  ])('follows evanphx/json-patch v4 as upstream does: %s', (_name, target, patch, expected) => {
    expect(applyMergePatch(target, patch)).toEqual(expected);
  });

  it.each([null, 'bar', 5, true])('refuses a %j patch with 400 Invalid JSON Patch', (patch) => {
    const e = failure(() => applyMergePatch({ a: 'foo' }, patch));
    expect([e.code, e.reason, e.message]).toEqual([400, 'BadRequest', INVALID_JSON_PATCH]);
  });

  it('never mutates the target or shares patch values with the result', () => {
    const target = { a: { b: 1 }, l: [1] };
    const patch = { a: { c: { d: 1 } } };
    const out = applyMergePatch(target, patch) as { a: { c: { d: number } } };
    expect(target).toEqual({ a: { b: 1 }, l: [1] });
    out.a.c.d = 2;
    expect(patch.a.c.d).toBe(1);
  });

  it('cannot change an object prototype through __proto__', () => {
    const patch = decodeMergePatch('{"__proto__":{"polluted":true}}').patch;
    const out = applyMergePatch({}, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('decodeMergePatch', () => {
  it.each<[string, 'Strict' | 'Warn' | 'Ignore', string]>([
    ['[1]', 'Warn', 'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}'],
    ['"x"', 'Strict', 'error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}'],
    ['{"a":', 'Strict', 'error decoding patch: unexpected end of JSON input'],
    ['{"a":1e400}', 'Warn', 'error decoding patch: json: cannot unmarshal number 1e400 into Go value of type float64'],
    ['null', 'Warn', INVALID_JSON_PATCH],
    ['null', 'Ignore', INVALID_JSON_PATCH],
    ['{"a":', 'Ignore', INVALID_JSON_PATCH],
    ['5', 'Ignore', INVALID_JSON_PATCH],
  ])('rejects %j (%s) with 400 and upstream text', (body, mode, message) => {
    const e = failure(() => decodeMergePatch(body, mode));
    expect([e.code, e.reason, e.message]).toEqual([400, 'BadRequest', message]);
  });

  it('accepts an array patch only when validation is ignored (it then replaces the document)', () => {
    expect(decodeMergePatch('[1]', 'Ignore').patch).toEqual([1]);
  });

  it('reports duplicate members at any depth as strict errors, in document order', () => {
    const decoded = decodeMergePatch('{"a":1,"m":{"x":1,"x":2},"a":2}', 'Strict');
    expect(decoded.patch).toEqual({ a: 2, m: { x: 2 } });
    expect(decoded.strictErrors).toEqual(['duplicate field "x"', 'duplicate field "a"']);
  });

  it('collects no strict errors when validation is ignored', () => {
    expect(decodeMergePatch('{"a":1,"a":2}', 'Ignore').strictErrors).toEqual([]);
  });
});
