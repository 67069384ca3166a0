// Strategic merge patch (application/strategic-merge-patch+json) applied as k8s.io/apimachinery strategicpatch does server-side.
import type { SchemaNode } from '../validation/schema.ts';
import { parseBody, SavedError, StrictCollector, typeError, walkInterface, type FieldValidation } from './decode.ts';
import { badPatch, PatchError } from './errors.ts';
import { GoJsonSyntaxError, parseGoJson } from './go-json.ts';
import { deepCopy, isJsonObject, type JsonObject, setOwn } from './json-value.ts';

const DIRECTIVE = '$patch';
const DELETE = 'delete';
const REPLACE = 'replace';
const MERGE = 'merge';
const RETAIN_KEYS = '$retainKeys';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList';
const SET_ELEMENT_ORDER = '$setElementOrder';

/** mergepatch's sentinel errors: BadRequest or 422 as upstream's interpretStrategicMergePatchError maps them. */
const BAD_PRIMITIVE_LIST = 'invalid patch format of primitive list';
const BAD_RETAIN_KEYS = 'invalid patch format of retainKeys';
const BAD_SET_ELEMENT_ORDER = 'invalid patch format of setElementOrder list';
const NO_LIST_OF_LISTS = 'lists of lists are not supported';

/** Any other failure of the library: upstream returns it unwrapped, which the handler answers as a 500. */
export class StrategicPatchError extends Error {
  override readonly name = 'StrategicPatchError';
}

type GoType = 'map' | 'slice' | 'string' | 'int64' | 'float64' | 'bool' | 'nil';

/** The Go type a value decoded with UnmarshalCaseSensitivePreserveInts has (ints stay int64). */
function goType(v: unknown): GoType {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  return 'map';
}

/** fmt's %v of a decoded JSON value (maps print with sorted keys). */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (isJsonObject(v)) {
    return `map[${Object.keys(v)
      .sort()
      .map((k) => `${k}:${goFormat(v[k])}`)
      .join(' ')}]`;
  }
  if (typeof v === 'number' && !Number.isInteger(v)) {
    const s = String(v);
    return Math.abs(v) >= 1e21 || (Math.abs(v) < 1e-4 && v !== 0) ? Number(v).toExponential().replace(/e([+-])(\d)$/, 'e$10$2') : s;
  }
  return String(v);
}

/** Go's `==` on two interface values holding JSON scalars. */
function same(a: unknown, b: unknown): boolean {
  return goType(a) === goType(b) && a === b;
}

function noMergeKey(m: JsonObject, key: string): StrategicPatchError {
  return new StrategicPatchError(`map: ${goFormat(m)} does not contain declared merge key: ${key}`);
}

function badArgType(expected: string, actual: unknown): StrategicPatchError {
  const names: Record<GoType, string> = { map: 'map[string]interface {}', slice: '[]interface {}', string: 'string', int64: 'int64', float64: 'float64', bool: 'bool', nil: '<nil>' };
  return new StrategicPatchError(`expected a ${expected}, but received a ${names[goType(actual)]}`);
}

function extractKey(key: string, prefix: string): string {
  const slash = key.indexOf('/');
  if (slash < 0 || key.slice(0, slash) !== prefix) {
    if (prefix === DELETE_FROM_PRIMITIVE_LIST) throw badPatch(BAD_PRIMITIVE_LIST);
    throw badPatch(BAD_SET_ELEMENT_ORDER);
  }
  return key.slice(slash + 1);
}

interface FieldMeta {
  schema: SchemaNode | undefined;
  strategy: string;
  mergeKey: string;
}

/** A field's sub-schema and patch strategy ('retainKeys' split off, as extractRetainKeysPatchStrategy does). */
function fieldMeta(schema: SchemaNode | undefined, key: string, list: boolean): FieldMeta {
  const child = schema?.child(key);
  if (!child) return { schema: undefined, strategy: '', mergeKey: '' };
  const strategies = (list ? child.list.strategies : child.strategies).filter((s) => s !== 'retainKeys');
  if (strategies.length > 1) throw new StrategicPatchError(`unexpected patch strategy: ${strategies.join(',')}`);
  return { schema: list ? child.items() : child, strategy: strategies[0] ?? '', mergeKey: list ? (child.list.mergeKey ?? '') : '' };
}

/** Removes maps carrying `$patch` (they vanish) at any depth; returns undefined when `v` itself goes. */
function removeDirectives(v: unknown): { value: unknown; keep: boolean } {
  if (isJsonObject(v)) {
    if (Object.hasOwn(v, DIRECTIVE)) return { value: null, keep: false };
    for (const k of Object.keys(v)) {
      const r = removeDirectives(v[k]);
      if (r.keep) setOwn(v, k, r.value);
      else delete v[k];
    }
    return { value: v, keep: true };
  }
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    for (const item of v) {
      const r = removeDirectives(item);
      if (r.keep) out.push(r.value);
    }
    return { value: out, keep: true };
  }
  return { value: v, keep: true };
}

function discardNulls(v: unknown): void {
  if (isJsonObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) delete v[k];
      else discardNulls(v[k]);
    }
  } else if (Array.isArray(v)) {
    for (const item of v) discardNulls(item);
  }
}

function sliceElementType(...lists: readonly unknown[][]): GoType {
  let prev: GoType | undefined;
  for (const list of lists) {
    for (const v of list) {
      const t = goType(v);
      if (prev === undefined) {
        prev = t;
        if (t === 'slice') throw new PatchError(422, 'Invalid', NO_LIST_OF_LISTS);
      } else if (prev !== t) {
        throw new StrategicPatchError(`list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (prev === undefined) throw new StrategicPatchError('no elements in any of the given slices');
  return prev;
}

function findByKey(list: readonly unknown[], key: string, value: unknown): number {
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (!isJsonObject(item)) throw new StrategicPatchError(`value for key ${i} is not a map`);
    if (Object.hasOwn(item, key) && same(item[key], value)) return i;
  }
  return -1;
}

function partition(list: readonly unknown[], by: readonly unknown[], mergeKey: string): [unknown[], unknown[]] {
  const inPatch: unknown[] = [];
  const serverOnly: unknown[] = [];
  for (const v of list) {
    let found: boolean;
    if (mergeKey) {
      if (!isJsonObject(v)) throw badArgType('map[string]interface {}', v);
      if (!Object.hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
      found = findByKey(by, mergeKey, v[mergeKey]) >= 0;
    } else {
      found = by.some((b) => same(b, v));
    }
    (found ? inPatch : serverOnly).push(v);
  }
  return [inPatch, serverOnly];
}

function indexIn(list: readonly unknown[], v: unknown, isMap: boolean, mergeKey: string): number {
  const val = (x: unknown): unknown => (isMap ? (isJsonObject(x) ? x[mergeKey] : undefined) : x);
  const want = val(v);
  return list.findIndex((x) => same(val(x), want));
}

function normalizeSliceOrder(toSort: unknown[], order: readonly unknown[], mergeKey: string, isMap: boolean): unknown[] {
  if (isMap) {
    for (const list of [toSort, order]) {
      for (const item of list) {
        if (!isJsonObject(item)) throw badArgType('map[string]interface {}', item);
        if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
      }
    }
  }
  const [present, absent] = partition(toSort, order, isMap ? mergeKey : '');
  // A stable sort by position in `order` (every item here is in it).
  const sorted = present.map((v, i) => ({ v, i, at: indexIn(order, v, isMap, mergeKey) })).sort((a, b) => a.at - b.at || a.i - b.i);
  return [...sorted.map((x) => x.v), ...absent];
}

/** Interleaves server-only items into the patch items by their order in the live list (mergeSortedSlice). */
function mergeSorted(left: unknown[], right: unknown[], serverOrder: readonly unknown[], mergeKey: string, isMap: boolean): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const li = indexIn(serverOrder, left[i], isMap, mergeKey);
      const ri = indexIn(serverOrder, right[j], isMap, mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

function normalizeElementOrder(patchItems: unknown[], serverOnly: unknown[], patchOrder: readonly unknown[], serverOrder: readonly unknown[], mergeKey: string, isMap: boolean): unknown[] {
  const p = normalizeSliceOrder(patchItems, patchOrder, mergeKey, isMap);
  const s = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, isMap);
  return mergeSorted(s, p, serverOrder, mergeKey, isMap);
}

function mergeSlice(original: unknown[], patch: unknown[], schema: SchemaNode | undefined, mergeKey: string, isDeleteList: boolean): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const t = sliceElementType(original, patch);
  let merged: unknown[];
  const isMap = t === 'map';
  if (!isMap) {
    if (isDeleteList) return original.filter((v) => !patch.some((d) => same(d, v)));
    merged = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => same(m, v))) merged.push(v);
  } else {
    if (!mergeKey) throw new StrategicPatchError(`cannot merge lists without merge key for ${schema ? 'type' : 'unknown'}`);
    const plain: unknown[] = [];
    let replace = false;
    for (const v of patch) {
      const m = v as JsonObject;
      if (!Object.hasOwn(m, DIRECTIVE)) {
        plain.push(v);
        continue;
      }
      const directive = m[DIRECTIVE];
      if (directive === DELETE) {
        if (!Object.hasOwn(m, mergeKey)) throw noMergeKey(m, mergeKey);
        for (let at = findByKey(original, mergeKey, m[mergeKey]); at >= 0; at = findByKey(original, mergeKey, m[mergeKey])) original.splice(at, 1);
      } else if (directive === REPLACE) {
        replace = true;
      } else if (directive === MERGE) {
        throw new StrategicPatchError('merging lists cannot yet be specified in the patch');
      } else {
        throw new StrategicPatchError(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(m)}`);
      }
    }
    if (replace) {
      original = plain;
      patch = [];
    } else {
      patch = plain;
    }
    merged = [...original];
    for (const v of patch) {
      const m = v as JsonObject;
      if (!Object.hasOwn(m, mergeKey)) throw noMergeKey(m, mergeKey);
      const at = findByKey(merged, mergeKey, m[mergeKey]);
      if (at >= 0) {
        merged[at] = mergeMap(merged[at] as JsonObject, m, schema);
        if (at < original.length) original[at] = merged[at];
      } else merged.push(v);
    }
  }
  const [patchItems, serverOnly] = partition(merged, patch, mergeKey);
  return normalizeElementOrder(patchItems, serverOnly, patch, original, mergeKey, isMap);
}

function mergeSliceHandler(original: unknown, patch: unknown, meta: FieldMeta, isDeleteList: boolean): unknown[] {
  if (!Array.isArray(original)) throw badArgType('[]interface {}', original);
  if (!Array.isArray(patch)) throw badArgType('[]interface {}', patch);
  if (meta.strategy === MERGE || isDeleteList) return mergeSlice(original, patch, meta.schema, meta.mergeKey, isDeleteList);
  return patch;
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw badPatch(BAD_RETAIN_KEYS);
  const keep = (k: string): boolean => list.some((v) => same(v, k));
  for (const k of Object.keys(patch)) {
    if (patch[k] === null || k.startsWith(DELETE_FROM_PRIMITIVE_LIST) || k.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!keep(k)) throw badPatch(BAD_RETAIN_KEYS);
  }
  for (const k of Object.keys(original)) if (!keep(k)) delete original[k];
}

function validateWithSetOrder(patchList: unknown, order: unknown, mergeKey: string): void {
  if (!Array.isArray(order) || !Array.isArray(patchList)) throw badPatch(BAD_SET_ELEMENT_ORDER);
  if (order.length === 0 || patchList.length === 0) return;
  const nonDelete = mergeKey ? patchList.filter((v) => !(isJsonObject(v) && v[DIRECTIVE] === DELETE)) : patchList;
  let p = 0;
  let s = 0;
  const keyOf = (v: unknown): unknown => {
    if (!mergeKey) return v;
    if (!isJsonObject(v)) throw badArgType('map[string]interface {}', v);
    if (!Object.hasOwn(v, mergeKey)) throw noMergeKey(v, mergeKey);
    return v[mergeKey];
  };
  while (p < nonDelete.length && s < order.length) {
    if (isJsonObject(nonDelete[p]) && Object.hasOwn(nonDelete[p] as JsonObject, DIRECTIVE)) {
      p++;
      continue;
    }
    if (same(keyOf(nonDelete[p]), keyOf(order[s]))) p++;
    s++;
  }
  if (p < nonDelete.length && s >= order.length) {
    throw new StrategicPatchError(`the order in patch list:\n${goFormat(patchList)}\n doesn't match ${SET_ELEMENT_ORDER} list:\n${goFormat(order)}`);
  }
}

/** `$setElementOrder/<field>`: merges that list now and orders it: directive order > patch order > live order. */
function applySetElementOrder(original: JsonObject, patch: JsonObject, schema: SchemaNode | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw badArgType('[]interface {}', order);
    const field = extractKey(key, SET_ELEMENT_ORDER);
    const foundOriginal = Object.hasOwn(original, field);
    const foundPatch = Object.hasOwn(patch, field);
    const originalList = foundOriginal ? original[field] : undefined;
    const patchList = foundPatch ? patch[field] : undefined;
    if (foundOriginal && !Array.isArray(originalList)) throw badArgType('[]interface {}', originalList);
    if (foundPatch && !Array.isArray(patchList)) throw badArgType('[]interface {}', patchList);
    const meta = fieldMeta(schema, field, true);
    validateWithSetOrder(patchList ?? [], order, meta.mergeKey);
    let merged: unknown[];
    if (foundOriginal && !foundPatch) merged = originalList as unknown[];
    else if (!foundOriginal && foundPatch) merged = removeDirectives(patchList).value as unknown[];
    else if (foundOriginal && foundPatch) merged = mergeSliceHandler(originalList, patchList, meta, false);
    else continue;
    const [inOrder, serverOnly] = partition(merged, order, meta.mergeKey);
    const t = sliceElementType((originalList as unknown[] | undefined) ?? [], (patchList as unknown[] | undefined) ?? []);
    setOwn(original, field, normalizeElementOrder(inOrder, serverOnly, order, (originalList as unknown[] | undefined) ?? [], meta.mergeKey, t === 'map'));
    delete patch[field];
  }
}

/** mergeMap with MergeParallelList and IgnoreUnmatchedNulls, as StrategicMergeMapPatch runs it. */
function mergeMap(original: JsonObject | null, patch: JsonObject, schema: SchemaNode | undefined): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) {
    const directive = patch[DIRECTIVE];
    if (directive === REPLACE) {
      delete patch[DIRECTIVE];
      return patch;
    }
    if (directive === DELETE) return {};
    throw new StrategicPatchError(`unknown patch type: ${goFormat(directive)} in map: ${goFormat(patch)}`);
  }
  const orig = original ?? {};
  applyRetainKeys(orig, patch);
  applySetElementOrder(orig, patch, schema);
  for (const rawKey of Object.keys(patch)) {
    const patchV = patch[rawKey];
    let k = rawKey;
    let isDeleteList = false;
    if (rawKey.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      k = extractKey(rawKey, DELETE_FROM_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (patchV === null) {
      delete orig[k];
      continue;
    }
    if (!Object.hasOwn(orig, k) || goType(orig[k]) !== goType(patchV)) {
      if (!isDeleteList) {
        discardNulls(patchV);
        const r = removeDirectives(patchV);
        if (r.keep) setOwn(orig, k, r.value);
        else delete orig[k];
      }
      continue;
    }
    const t = goType(orig[k]);
    if (t === 'map') {
      const meta = fieldMeta(schema, k, false);
      setOwn(orig, k, meta.strategy === REPLACE ? patchV : mergeMap(orig[k] as JsonObject, patchV as JsonObject, meta.schema));
    } else if (t === 'slice') {
      setOwn(orig, k, mergeSliceHandler(orig[k], patchV, fieldMeta(schema, k, true), isDeleteList));
    } else {
      const r = removeDirectives(patchV);
      if (r.keep) setOwn(orig, k, r.value);
      else delete orig[k];
    }
  }
  return orig;
}

export interface DecodedStrategicPatch {
  /** The patch as decoded (a JSON object, or null which changes nothing). */
  readonly patch: JsonObject | null;
  /** Duplicate-field findings (Strict/Warn), no prefix. */
  readonly strictErrors: readonly string[];
}

/**
 * Decodes a strategic merge patch body into a map as upstream does (kjson.UnmarshalStrict for Strict/Warn).
 * @throws PatchError 400 with Go's decoder text (no prefix) for syntax errors and non-object bodies.
 */
export function decodeStrategicPatch(body: string, fieldValidation: FieldValidation = 'Warn'): DecodedStrategicPatch {
  let value: unknown;
  const strict = new StrictCollector();
  if (fieldValidation === 'Ignore') {
    try {
      value = parseGoJson(body).value;
    } catch (e: unknown) {
      if (e instanceof GoJsonSyntaxError) throw badPatch(e.message);
      throw e;
    }
  } else {
    const doc = parseBody(body, '');
    value = doc.value;
    const saved = new SavedError();
    walkInterface(doc, value, strict, saved);
    if (saved.message !== undefined) throw badPatch(saved.message);
  }
  if (value !== null && !isJsonObject(value)) throw badPatch(typeError(value, 'map[string]interface {}'));
  return { patch: value, strictErrors: strict.errors };
}

/**
 * Applies a decoded strategic merge patch to a copy of `current` (never mutated), with merge keys and patch
 * strategies from `schema` (the resource's published schema; without one every list is replaced).
 * @throws PatchError for the mergepatch format errors (400, or 422 for lists of lists),
 *   StrategicPatchError for the others (upstream answers those 500).
 */
export function applyStrategicPatch(current: JsonObject, patch: JsonObject | null, schema: SchemaNode | undefined): JsonObject {
  if (patch === null) return deepCopy(current);
  return mergeMap(deepCopy(current), deepCopy(patch), schema);
}
