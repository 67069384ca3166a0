// JSON patch decoding and application, RFC 6902 cases and upstream (evanphx v4) behaviour.

import { describe, expect, it } from 'vitest';
import { PATCH_NOT_APPLICABLE_MESSAGE, PatchError } from './errors.ts';
import { applyJsonPatch, decodeJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.ts';

function applyText(doc: unknown, patch: string): unknown {
  return applyJsonPatch(doc, decodeJsonPatch(patch).operations);
}

function failure(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(PatchError);
    return e as PatchError;
  }
  throw new Error('expected a PatchError');
}

describe('applyJsonPatch, cases in the spirit of RFC 6902 appendix A', () => {
  it.each<[string, unknown, string, unknown]>([
    ['adds an object member', { name: 'web' }, '[{"op":"add","path":"/tier","value":"fe"}]', { name: 'web', tier: 'fe' }],
    ['adds an array element', { ports: [80, 443] }, '[{"op":"add","path":"/ports/1","value":8080}]', { ports: [80, 8080, 443] }],
    ['appends with -', { ports: [80] }, '[{"op":"add","path":"/ports/-","value":443}]', { ports: [80, 443] }],
    ['adds at the end index', { ports: [80] }, '[{"op":"add","path":"/ports/1","value":443}]', { ports: [80, 443] }],
    ['removes an object member', { a: 1, b: 2 }, '[{"op":"remove","path":"/b"}]', { a: 1 }],
    ['removes an array element', { l: ['x', 'y', 'z'] }, '[{"op":"remove","path":"/l/1"}]', { l: ['x', 'z'] }],
    ['replaces a value', { image: 'nginx:1.0', n: 1 }, '[{"op":"replace","path":"/image","value":"nginx:1.1"}]', { image: 'nginx:1.1', n: 1 }],
    [
      'moves a value between objects',
      { a: { x: 'v', y: 1 }, b: { z: 2 } },
      '[{"op":"move","from":"/a/x","path":"/b/x"}]',
      { a: { y: 1 }, b: { z: 2, x: 'v' } },
    ],
    ['moves an array element', { l: ['a', 'b', 'c', 'd'] }, '[{"op":"move","from":"/l/1","path":"/l/3"}]', { l: ['a', 'c', 'd', 'b'] }],
    ['copies a value', { a: { k: [1] } }, '[{"op":"copy","from":"/a","path":"/b"}]', { a: { k: [1] }, b: { k: [1] } }],
    ['passes a matching test', { s: 'x', l: [1, 'two'] }, '[{"op":"test","path":"/l","value":[1,"two"]}]', { s: 'x', l: [1, 'two'] }],
    ['adds a nested object', { spec: {} }, '[{"op":"add","path":"/spec/selector","value":{"app":"web"}}]', { spec: { selector: { app: 'web' } } }],
    ['adds an array value', { a: 1 }, '[{"op":"add","path":"/list","value":["x",["y"]]}]', { a: 1, list: ['x', ['y']] }],
    [
      'unescapes ~1 and ~0 in that order',
      { labels: {} },
      '[{"op":"add","path":"/labels/app.kubernetes.io~1name","value":"a"},{"op":"add","path":"/labels/x~01","value":"b"}]',
      { labels: { 'app.kubernetes.io/name': 'a', 'x~1': 'b' } },
    ],
    ['addresses the empty key with "/"', { '': 0 }, '[{"op":"replace","path":"/","value":1}]', { '': 1 }],
    ['tests then replaces (compare and swap)', { rv: '5' }, '[{"op":"test","path":"/rv","value":"5"},{"op":"replace","path":"/rv","value":"6"}]', { rv: '6' }],
    ['applies nothing for an empty patch', { a: 1 }, '[]', { a: 1 }],
    ['applies nothing for a null patch', { a: 1 }, 'null', { a: 1 }],
  ])('%s', (_name, doc, patch, expected) => {
    expect(applyText(doc, patch)).toEqual(expected);
  });

  it.each<[string, unknown, string, unknown]>([
    ['counts negative indices from the end', { l: [1, 2, 3] }, '[{"op":"remove","path":"/l/-1"}]', { l: [1, 2] }],
    ['adds at -1 as an append', { l: [1, 2] }, '[{"op":"add","path":"/l/-1","value":3}]', { l: [1, 2, 3] }],
    ['reads leading zeros and a plus sign in indices', { l: ['a', 'b'] }, '[{"op":"replace","path":"/l/+01","value":"B"}]', { l: ['a', 'B'] }],
    ['replaces a missing object member by adding it', { a: 1 }, '[{"op":"replace","path":"/b","value":2}]', { a: 1, b: 2 }],
    ['copies null from a missing member', { a: {} }, '[{"op":"copy","from":"/a/missing","path":"/b"}]', { a: {}, b: null }],
    ['adds null when value is absent', {}, '[{"op":"add","path":"/a"}]', { a: null }],
    ['passes a null test on a missing member', { a: 1 }, '[{"op":"test","path":"/b","value":null}]', { a: 1 }],
    ['passes a valueless test on a null member', { a: null }, '[{"op":"test","path":"/a"}]', { a: null }],
    ['replaces the whole document at path ""', { a: 1 }, '[{"op":"replace","path":"","value":{"b":2}}]', { b: 2 }],
    ['treats a path without a leading slash as its last token under the root', { a: 1 }, '[{"op":"add","path":"x/b","value":2}]', { a: 1, b: 2 }],
    ['ignores unknown operation members', { a: 1 }, '[{"op":"add","path":"/b","value":2,"extra":true}]', { a: 1, b: 2 }],
    ['uses the last of duplicated members', { a: 1 }, '[{"op":"remove","op":"add","path":"/b","value":2}]', { a: 1, b: 2 }],
  ])('follows evanphx/json-patch v4 as upstream does: %s', (_name, doc, patch, expected) => {
    expect(applyText(doc, patch)).toEqual(expected);
  });

  it.each<[string, unknown, string, string]>([
    ['a failed test', { a: 'x' }, '[{"op":"test","path":"/a","value":"y"}]', 'testing value /a failed: test failed'],
    ['a test of a string against a number', { a: '10' }, '[{"op":"test","path":"/a","value":10}]', 'testing value /a failed: test failed'],
    ['a test expecting a value where there is none', { a: 1 }, '[{"op":"test","path":"/b","value":1}]', 'testing value /b failed: test failed'],
    ['a test under a missing parent', { a: 1 }, '[{"op":"test","path":"/x/y","value":1}]', 'test operation does not apply: is missing path: /x/y: missing value'],
    ['an add under a missing parent', { a: 1 }, '[{"op":"add","path":"/x/y","value":1}]', 'add operation does not apply: doc is missing path: "/x/y": missing value'],
    ['an add beyond the array end', { l: [1] }, '[{"op":"add","path":"/l/5","value":1}]', "error in add for path: '/l/5': Unable to access invalid index: 5: invalid index referenced"],
    ['an add at a non-numeric index', { l: [] }, '[{"op":"add","path":"/l/x","value":1}]', "error in add for path: '/l/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax"],
    ['a remove of a missing member', { a: 1 }, '[{"op":"remove","path":"/b"}]', "error in remove for path: '/b': Unable to remove nonexistent key: b: missing value"],
    ['a remove with - as index', { l: [1] }, '[{"op":"remove","path":"/l/-"}]', "error in remove for path: '/l/-': strconv.Atoi: parsing \"-\": invalid syntax"],
    ['a replace beyond the array end', { l: [1] }, '[{"op":"replace","path":"/l/1","value":2}]', 'replace operation does not apply: doc is missing key: /l/1: missing value'],
    ['a move from a missing member', { a: {} }, '[{"op":"move","from":"/a/x","path":"/b"}]', "error in move for path: 'x': Unable to remove nonexistent key: x: missing value"],
    ['a move into its own child', { a: { b: 1 } }, '[{"op":"move","from":"/a","path":"/a/c"}]', 'move operation does not apply: doc is missing destination path: /a/c: missing value'],
    ['a copy from a missing parent', { a: 1 }, '[{"op":"copy","from":"/x/y","path":"/b"}]', 'copy operation does not apply: doc is missing from path: /x/y: missing value'],
    ['an unknown op', { a: 1 }, '[{"op":"merge","path":"/a"}]', 'Unexpected kind: merge'],
    ['a missing op', { a: 1 }, '[{"path":"/a"}]', 'Unexpected kind: unknown'],
    ['a null operation', { a: 1 }, '[null]', 'Unexpected kind: unknown'],
    ['a missing path', { a: 1 }, '[{"op":"remove"}]', 'remove operation failed to decode path: operation missing path field: missing value'],
    ['a missing from', { a: 1 }, '[{"op":"move","path":"/b"}]', 'move operation failed to decode from: operation, missing from field: missing value'],
    ['an add at path ""', { a: 1 }, '[{"op":"add","path":"","value":{}}]', 'add operation does not apply: doc is missing path: "": missing value'],
    ['an add through a scalar', { a: 1 }, '[{"op":"add","path":"/a/b","value":1}]', 'add operation does not apply: doc is missing path: "/a/b": missing value'],
  ])('fails with 422 on %s', (_name, doc, patch, detail) => {
    const e = failure(() => applyText(doc, patch));
    expect(e.code).toBe(422);
    expect(e.reason).toBe('Invalid');
    expect(e.message).toBe(PATCH_NOT_APPLICABLE_MESSAGE);
    expect(e.detail).toBe(detail);
  });

  it('leaves the input untouched, also when a later operation fails', () => {
    const doc = { a: { b: [1, 2] } };
    applyText(doc, '[{"op":"add","path":"/a/b/-","value":3}]');
    expect(() => applyText(doc, '[{"op":"remove","path":"/a/b/0"},{"op":"test","path":"/a","value":1}]')).toThrow(PatchError);
    expect(doc).toEqual({ a: { b: [1, 2] } });
  });

  it('does not share inserted values with the operations, so they can be applied again', () => {
    const { operations } = decodeJsonPatch('[{"op":"add","path":"/o","value":{}},{"op":"add","path":"/o/k","value":1}]');
    applyJsonPatch({}, operations);
    expect(applyJsonPatch({}, operations)).toEqual({ o: { k: 1 } });
  });

  it('cannot change an object prototype through __proto__', () => {
    const out = applyText({}, '[{"op":"add","path":"/__proto__","value":{"polluted":true}}]') as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('decodeJsonPatch', () => {
  it.each<[string, 'Strict' | 'Warn' | 'Ignore', string]>([
    ['{"op":"add"}', 'Strict', 'error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp'],
    ['{"op":"add"}', 'Ignore', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch'],
    ['"x"', 'Warn', 'error decoding patch: json: cannot unmarshal string into Go value of type []handlers.jsonPatchOp'],
    ['[1]', 'Warn', 'error decoding patch: json: cannot unmarshal number into Go value of type handlers.jsonPatchOp'],
    ['[true]', 'Ignore', 'json: cannot unmarshal bool into Go value of type jsonpatch.Operation'],
    ['[{"op":5,"path":"/a"}]', 'Strict', 'error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string'],
    ['[{"op":"add","path":["a"]}]', 'Warn', 'error decoding patch: json: cannot unmarshal array into Go struct field jsonPatchOp.path of type string'],
    [
      '[{"op":"add","path":"/a","value":1e400}]',
      'Warn',
      'error decoding patch: json: cannot unmarshal number 1e400 into Go struct field jsonPatchOp.value of type float64',
    ],
    ['[{"op":"add",}]', 'Strict', "error decoding patch: invalid character '}' looking for beginning of object key string"],
    ['[{"op":"add",}]', 'Ignore', "invalid character '}' looking for beginning of object key string"],
    ['', 'Warn', 'error decoding patch: unexpected end of JSON input'],
  ])('rejects %j (%s) with 400 and upstream text', (body, mode, message) => {
    const e = failure(() => decodeJsonPatch(body, mode));
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toBe(message);
  });

  it('keeps the first type error, as Go reports its first saved error', () => {
    const e = failure(() => decodeJsonPatch('[{"op":1},"x",{"path":2}]', 'Strict'));
    expect(e.message).toBe('error decoding patch: json: cannot unmarshal number into Go struct field jsonPatchOp.op of type string');
  });

  it('accepts operations with odd types in Ignore mode and leaves judging them to apply', () => {
    const { operations } = decodeJsonPatch('[{"op":5}]', 'Ignore');
    expect(failure(() => applyJsonPatch({}, operations)).detail).toBe('Unexpected kind: unknown');
  });

  it('reports unknown and duplicate members as strict errors in document order, prefixed as upstream', () => {
    const { strictErrors } = decodeJsonPatch(
      '[{"op":"add","Op":"x","path":"/a","value":{"k":1,"k":2},"path":"/b"},{"extra":1,"extra":2}]',
      'Strict',
    );
    expect(strictErrors).toEqual([
      'json patch unknown field "Op"',
      'json patch duplicate field "k"',
      'json patch duplicate field "path"',
      'json patch unknown field "extra"',
    ]);
  });

  it('collects no strict errors when validation is ignored', () => {
    expect(decodeJsonPatch('[{"op":"add","x":1,"x":2}]', 'Ignore').strictErrors).toEqual([]);
  });

  it(`accepts ${MAX_JSON_PATCH_OPERATIONS} operations and refuses one more with 413`, () => {
    const op = '{"op":"test","path":"/a","value":1}';
    expect(decodeJsonPatch(`[${Array(MAX_JSON_PATCH_OPERATIONS).fill(op).join(',')}]`).operations).toHaveLength(10000);
    const e = failure(() => decodeJsonPatch(`[${Array(MAX_JSON_PATCH_OPERATIONS + 1).fill(op).join(',')}]`));
    expect(e.code).toBe(413);
    expect(e.reason).toBe('RequestEntityTooLarge');
    expect(e.message).toBe('Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
  });
});
