// RFC 6902 JSON patch (application/json-patch+json) with the semantics and limits kube-apiserver applies.

import { goQuote } from '../selectors/go-format.ts';
import {
  type FieldValidation,
  overflowError,
  parseBody,
  SavedError,
  StrictCollector,
  typeError,
  walkInterface,
} from './decode.ts';
import { badPatch, PATCH_NOT_APPLICABLE_MESSAGE, PatchError } from './errors.ts';
import { deepCopy, getOwn, goJsonKind, isJsonObject, type JsonObject, jsonEqual, setOwn } from './json-value.ts';

export type { FieldValidation } from './decode.ts';

/** upstream maxJSONPatchOperations. */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/** A well-formed operation, for callers that build patches themselves. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
}

export interface DecodedJsonPatch {
  /** The operations as sent; malformed ones are judged (422) when applied, as upstream does. */
  readonly operations: readonly unknown[];
  /**
   * Strict-mode findings, already prefixed as upstream words them (`json patch unknown field "x"`,
   * `json patch duplicate field "op"`): Warn turns them into warnings, Strict into a 422 Invalid
   * on field `patch` (`strict decoding error: ...`). Always empty for Ignore.
   */
  readonly strictErrors: readonly string[];
}

const OP_FIELDS = new Set(['op', 'path', 'from', 'value']);

/**
 * Decodes a JSON patch body as kube-apiserver does for the given `fieldValidation`.
 * @throws PatchError 400 BadRequest for a body that is not a JSON array of objects, e.g.
 * `error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp`
 * (Ignore: `json: cannot unmarshal object into Go value of type jsonpatch.Patch`), and 413
 * RequestEntityTooLarge beyond 10000 operations.
 */
export function decodeJsonPatch(body: string, fieldValidation: FieldValidation = 'Warn'): DecodedJsonPatch {
  const strictMode = fieldValidation !== 'Ignore';
  const doc = parseBody(body, strictMode ? 'error decoding patch: ' : '');
  const value = doc.value;
  const strict = new StrictCollector();
  const saved = new SavedError();

  if (value !== null && !Array.isArray(value)) {
    saved.save(typeError(value, strictMode ? '[]handlers.jsonPatchOp' : 'jsonpatch.Patch'));
  } else if (Array.isArray(value)) {
    for (const element of value) {
      if (element === null) continue;
      if (!isJsonObject(element)) {
        saved.save(typeError(element, strictMode ? 'handlers.jsonPatchOp' : 'jsonpatch.Operation'));
        continue;
      }
      if (!strictMode) continue; // jsonpatch.Operation keeps raw members: nothing else to check
      const seen = new Set<string>();
      for (const [key, v, literal] of doc.members(element)) {
        if (!OP_FIELDS.has(key)) {
          strict.add(`unknown field ${goQuote(key)}`);
          continue;
        }
        if (seen.has(key)) strict.add(`duplicate field ${goQuote(key)}`);
        seen.add(key);
        if (key === 'value') {
          if (literal !== undefined) saved.save(overflowError(literal, 'jsonPatchOp.value'));
          walkInterface(doc, v, strict, saved, 'jsonPatchOp.value');
        } else if (v !== null && typeof v !== 'string') {
          saved.save(`json: cannot unmarshal ${goJsonKind(v)} into Go struct field jsonPatchOp.${key} of type string`);
        }
      }
    }
  }
  if (saved.message !== undefined) throw badPatch(strictMode ? `error decoding patch: ${saved.message}` : saved.message);

  const operations = value === null ? [] : (value as unknown[]);
  if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(
      413,
      'RequestEntityTooLarge',
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${operations.length}`,
    );
  }
  return { operations, strictErrors: strict.errors.map((e) => `json patch ${e}`) };
}

// ---------------------------------------------------------------------------------------------
// Application, following evanphx/json-patch v4 (what kube-apiserver links) rather than the bare RFC:
// negative array indices count from the end, `replace` of a missing object member adds it, `copy`
// from a missing member copies null, a missing `value` means null, and `test` treats null and
// absent alike.

/** One failed operation; becomes the 422 PatchError. */
class OperationFailure extends Error {}

type Container = JsonObject | unknown[];

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

/** strconv.Atoi: the integer, or the Go error text. */
function atoi(key: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(key)) return `strconv.Atoi: parsing ${goQuote(key)}: invalid syntax`;
  const n = Number(key);
  if (!Number.isSafeInteger(n)) return `strconv.Atoi: parsing ${goQuote(key)}: value out of range`;
  return n;
}

/** RFC 6901 unescaping in one left-to-right pass (`~01` is `~1`). */
function decodeKey(token: string): string {
  return token.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));
}

/** Resolves an index of `array` for get/remove/set; negative counts from the end. */
function arrayIndex(array: unknown[], key: string, limit: number): number {
  const idx = atoi(key);
  if (typeof idx === 'string') throw new OperationFailure(idx);
  const resolved = idx < 0 ? idx + limit : idx;
  if (idx < -limit || resolved >= limit) throw new OperationFailure(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  return resolved;
}

function containerGet(c: Container, key: string): unknown {
  if (!Array.isArray(c)) return getOwn(c, key) ?? null;
  return c[arrayIndex(c, key, c.length)] ?? null;
}

function containerAdd(c: Container, key: string, value: unknown): void {
  if (!Array.isArray(c)) {
    setOwn(c, key, value);
    return;
  }
  if (key === '-') {
    c.push(value);
    return;
  }
  const idx = atoi(key);
  if (typeof idx === 'string') throw new OperationFailure(`value was not a proper array index: '${key}': ${idx}`);
  const size = c.length + 1;
  if (idx >= size || idx < -size) throw new OperationFailure(`Unable to access invalid index: ${idx}: ${INVALID_INDEX}`);
  c.splice(idx < 0 ? idx + size : idx, 0, value);
}

function containerRemove(c: Container, key: string): void {
  if (!Array.isArray(c)) {
    if (!Object.hasOwn(c, key)) throw new OperationFailure(`Unable to remove nonexistent key: ${key}: ${MISSING}`);
    delete c[key];
    return;
  }
  c.splice(arrayIndex(c, key, c.length), 1);
}

function containerSet(c: Container, key: string, value: unknown): void {
  if (!Array.isArray(c)) setOwn(c, key, value);
  else c[arrayIndex(c, key, c.length)] = value;
}

/** evanphx findObject: the container holding the last token, or undefined when the path leads nowhere. */
function findContainer(root: unknown, path: string): [Container, string] | undefined {
  const split = path.split('/');
  if (split.length < 2) return undefined;
  let doc = root;
  for (const part of split.slice(1, -1)) {
    if (!Array.isArray(doc) && !isJsonObject(doc)) return undefined;
    let next: unknown;
    try {
      next = containerGet(doc, decodeKey(part));
    } catch (e: unknown) {
      if (e instanceof OperationFailure) return undefined;
      throw e;
    }
    if (next === null) return undefined;
    doc = next;
  }
  if (!Array.isArray(doc) && !isJsonObject(doc)) return undefined;
  return [doc, decodeKey(split[split.length - 1]!)];
}

/** A string member of the operation (`path`, `from`), or the reason it cannot be read. */
function stringMember(op: JsonObject, name: 'path' | 'from'): string {
  const v = getOwn(op, name);
  if (v === undefined || v === null) {
    throw new OperationFailure(name === 'path' ? `operation missing path field: ${MISSING}` : `operation, missing from field: ${MISSING}`);
  }
  if (typeof v !== 'string') throw new OperationFailure(`json: cannot unmarshal ${typeof v} into Go value of type string`);
  return v;
}

function applyOperation(holder: { doc: unknown }, raw: unknown): void {
  const op: JsonObject = isJsonObject(raw) ? raw : {};
  const kindValue = getOwn(op, 'op');
  const kind = typeof kindValue === 'string' ? kindValue : 'unknown';
  const has = (name: string): boolean => Object.hasOwn(op, name);
  // Copies keep a caller's decoded operations reusable (upstream re-decodes the body on every retry).
  const value = (): unknown => deepCopy(getOwn(op, 'value') ?? null);
  const wrap = <T>(prefix: string, fn: () => T): T => {
    try {
      return fn();
    } catch (e: unknown) {
      if (e instanceof OperationFailure) throw new OperationFailure(`${prefix}${e.message}`);
      throw e;
    }
  };
  const pathOf = (what: string): string => wrap(`${what} operation failed to decode path: `, () => stringMember(op, 'path'));
  const fromOf = (what: string): string => wrap(`${what} operation failed to decode from: `, () => stringMember(op, 'from'));

  switch (kind) {
    case 'add': {
      const path = pathOf('add');
      const found = findContainer(holder.doc, path);
      if (!found) throw new OperationFailure(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      wrap(`error in add for path: '${path}': `, () => containerAdd(found[0], found[1], value()));
      return;
    }
    case 'remove': {
      const path = pathOf('remove');
      const found = findContainer(holder.doc, path);
      if (!found) throw new OperationFailure(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
      wrap(`error in remove for path: '${path}': `, () => containerRemove(found[0], found[1]));
      return;
    }
    case 'replace': {
      const path = pathOf('replace');
      if (path === '') {
        const v = value();
        if (!Array.isArray(v) && !isJsonObject(v)) throw new OperationFailure('replace operation value must be object or array');
        holder.doc = v;
        return;
      }
      const found = findContainer(holder.doc, path);
      if (!found) throw new OperationFailure(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
      try {
        containerGet(found[0], found[1]);
      } catch (e: unknown) {
        if (e instanceof OperationFailure) {
          throw new OperationFailure(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
        }
        throw e;
      }
      wrap(`error in remove for path: '${path}': `, () => containerSet(found[0], found[1], value()));
      return;
    }
    case 'move': {
      const from = fromOf('move');
      const source = findContainer(holder.doc, from);
      if (!source) throw new OperationFailure(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      const moved = wrap(`error in move for path: '${source[1]}': `, () => containerGet(source[0], source[1]));
      wrap(`error in move for path: '${source[1]}': `, () => containerRemove(source[0], source[1]));
      const path = pathOf('move');
      const target = findContainer(holder.doc, path);
      if (!target) throw new OperationFailure(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      wrap(`error in move for path: '${path}': `, () => containerAdd(target[0], target[1], moved));
      return;
    }
    case 'test': {
      const path = pathOf('test');
      const expected = getOwn(op, 'value') ?? null;
      if (path === '') {
        if (!has('value') || !jsonEqual(holder.doc, expected)) throw new OperationFailure(`testing value ${path} failed: test failed`);
        return;
      }
      const found = findContainer(holder.doc, path);
      if (!found) throw new OperationFailure(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
      const actual = wrap(`error in test for path: '${path}': `, () => containerGet(found[0], found[1]));
      if (!jsonEqual(actual, expected)) throw new OperationFailure(`testing value ${path} failed: test failed`);
      return;
    }
    case 'copy': {
      const from = fromOf('copy');
      const source = findContainer(holder.doc, from);
      if (!source) throw new OperationFailure(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
      const copied = wrap(`error in copy for from: '${from}': `, () => containerGet(source[0], source[1]));
      const path = wrap('copy operation failed to decode path: ', () => stringMember(op, 'path'));
      const target = findContainer(holder.doc, path);
      if (!target) throw new OperationFailure(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
      wrap('error while adding value during copy: ', () => containerAdd(target[0], target[1], deepCopy(copied)));
      return;
    }
    default:
      throw new OperationFailure(`Unexpected kind: ${kind}`);
  }
}

/**
 * Applies `operations` in order to a deep copy of `doc` (never mutated) and returns the result.
 * All or nothing: the first operation that does not apply aborts the patch.
 * @throws PatchError 422 Invalid (`the server rejected our request due to an error in our request`);
 * its `detail` names the failing operation in evanphx/json-patch's words, e.g.
 * `testing value /metadata/labels/a failed: test failed`.
 */
export function applyJsonPatch<T>(doc: T, operations: readonly unknown[]): T {
  const holder = { doc: deepCopy(doc) as unknown };
  for (const op of operations) {
    try {
      applyOperation(holder, op);
    } catch (e: unknown) {
      if (e instanceof OperationFailure) throw new PatchError(422, 'Invalid', PATCH_NOT_APPLICABLE_MESSAGE, e.message);
      throw e;
    }
  }
  return holder.doc as T;
}
