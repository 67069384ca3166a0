// Schema-aware operations of server-side apply over JSON objects: field sets, comparison, merge and pruning.
import { ATOMIC_STRUCTS } from '../discovery/openapi-listmeta.ts';
import { deepCopy, isJsonObject, jsonEqual, type JsonObject } from '../patch/json-value.ts';
import type { SchemaNode } from '../validation/schema.ts';
import { FieldSet, fieldPE, indexPE, keyPE, type Path, type PathElement, valuePE } from './fieldpath.ts';

/** How structured-merge-diff treats a node: a leaf, a struct/map of fields, or a keyed/set list. */
type Shape =
  | { kind: 'leaf' }
  | { kind: 'fields'; node: SchemaNode | undefined; isMap: boolean }
  | { kind: 'assoc'; keys: readonly string[]; items: SchemaNode | undefined }
  | { kind: 'set' };

/** Key fields upstream's schemas default, so list items that omit them still have a key (ports' protocol). */
const KEY_DEFAULTS: Readonly<Record<string, unknown>> = { protocol: 'TCP' };

function shapeOf(node: SchemaNode | undefined, value: unknown): Shape {
  const kind = node?.kind ?? 'any';
  if (kind === 'any') {
    if (isJsonObject(value)) return { kind: 'fields', node: undefined, isMap: true };
    return { kind: 'leaf' };
  }
  if (kind === 'scalar') return { kind: 'leaf' };
  if (kind === 'struct') return node!.definition && ATOMIC_STRUCTS.has(node!.definition) ? { kind: 'leaf' } : { kind: 'fields', node, isMap: false };
  if (kind === 'map') return { kind: 'fields', node, isMap: true };
  const info = node!.list;
  if (info.listType === 'atomic') return { kind: 'leaf' };
  const merge = info.strategies.includes('merge');
  if (info.listType === 'map' || (merge && info.mergeKey)) return { kind: 'assoc', keys: info.mapKeys ?? [info.mergeKey!], items: node!.items() };
  if (info.listType === 'set' || merge) return { kind: 'set' };
  return { kind: 'leaf' };
}

function itemPE(shape: Shape, item: unknown, index: number): PathElement {
  if (shape.kind === 'assoc' && isJsonObject(item)) {
    const keys: Record<string, unknown> = {};
    for (const k of shape.keys) {
      if (Object.hasOwn(item, k)) keys[k] = item[k];
      else if (k in KEY_DEFAULTS) keys[k] = KEY_DEFAULTS[k];
    }
    return keyPE(keys);
  }
  if (shape.kind === 'set') return valuePE(item);
  return indexPE(index);
}

function childNode(shape: Shape & { kind: 'fields' }, key: string): SchemaNode | undefined {
  return shape.node?.child(key);
}

function isDeclared(shape: Shape & { kind: 'fields' }, key: string): boolean {
  return !shape.isMap && !!shape.node?.child(key);
}

function isEmpty(v: unknown): boolean {
  return v === null || v === undefined || (isJsonObject(v) && Object.keys(v).length === 0) || (Array.isArray(v) && v.length === 0);
}

/** The field set an applied configuration names (typed.ToFieldSet). */
export function toFieldSet(value: unknown, node: SchemaNode | undefined): FieldSet {
  const set = new FieldSet();
  const walk = (v: unknown, n: SchemaNode | undefined, path: PathElement[]): void => {
    const shape = shapeOf(n, v);
    if (shape.kind === 'leaf') {
      if (path.length) set.insert(path);
      return;
    }
    if (shape.kind === 'fields') {
      if (!isJsonObject(v)) {
        if (path.length) set.insert(path);
        return;
      }
      for (const key of Object.keys(v)) {
        const child = [...path, fieldPE(key)];
        walk(v[key], childNode(shape, key), child);
        if (isEmpty(v[key]) && !Array.isArray(v[key])) set.insert(child);
        else if (!isDeclared(shape, key)) set.insert(child);
      }
      return;
    }
    if (!Array.isArray(v)) return;
    v.forEach((item, i) => {
      const child = [...path, itemPE(shape, item, i)];
      if (shape.kind === 'assoc') walk(item, shape.items, child);
      set.insert(child);
    });
  };
  walk(value, node, []);
  return set;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed between two versions of an object, as typed.Compare reports it. */
export function compare(lhs: unknown, rhs: unknown, node: SchemaNode | undefined): Comparison {
  const c: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareWalk(c, lhs, rhs, node, []);
  return c;
}

// Module-level rather than a closure in compare: it runs on every write, and a closure per call costs.
function compareWalk(c: Comparison, l: unknown, r: unknown, n: SchemaNode | undefined, path: PathElement[]): void {
  // A field missing on one side and null on the other is the same zero value to upstream's typed objects.
  if ((l === undefined && r === null) || (l === null && r === undefined)) return;
  const shape = shapeOf(n, r !== undefined ? r : l);
  const leaf = shape.kind === 'leaf' || (isEmpty(l) && isEmpty(r) && l !== undefined && r !== undefined);
  if (leaf || (shape.kind === 'fields' && (!isJsonObject(l ?? {}) || !isJsonObject(r ?? {}))) || (shape.kind !== 'fields' && (!Array.isArray(l ?? []) || !Array.isArray(r ?? [])))) {
    if (!path.length) return;
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
    else if (!jsonEqual(l, r)) c.modified.insert(path);
    return;
  }
  if (shape.kind === 'fields') {
    const lo = (l ?? {}) as JsonObject;
    const ro = (r ?? {}) as JsonObject;
    for (const key of Object.keys(lo)) {
      compareWalk(c, lo[key], Object.hasOwn(ro, key) ? ro[key] : undefined, childNode(shape, key), [...path, fieldPE(key)]);
    }
    for (const key of Object.keys(ro)) {
      if (!Object.hasOwn(lo, key)) compareWalk(c, undefined, ro[key], childNode(shape, key), [...path, fieldPE(key)]);
    }
  } else {
    const li = itemsByPE(shape, l);
    const ri = itemsByPE(shape, r);
    for (const pe of new Set([...li.keys(), ...ri.keys()])) {
      const child = [...path, pe];
      if (shape.kind === 'assoc') compareWalk(c, li.get(pe), ri.get(pe), shape.items, child);
      else if (!li.has(pe)) c.added.insert(child);
      else if (!ri.has(pe)) c.removed.insert(child);
    }
  }
  if (path.length && l === undefined) c.added.insert(path);
  else if (path.length && r === undefined) c.removed.insert(path);
}

function itemsByPE(shape: Shape, list: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  ((list ?? []) as unknown[]).forEach((item, i) => out.set(itemPE(shape, item, i), item));
  return out;
}

/** The applied configuration merged into the live object (typed.Merge): config values win, lists merge by key. */
export function merge(lhs: unknown, rhs: unknown, node: SchemaNode | undefined): unknown {
  if (rhs === undefined) return deepCopy(lhs);
  if (lhs === undefined) return deepCopy(rhs);
  const shape = shapeOf(node, rhs);
  if (shape.kind === 'leaf') return deepCopy(rhs);
  if (shape.kind === 'fields') {
    if (!isJsonObject(lhs) || !isJsonObject(rhs)) return deepCopy(rhs);
    const out: JsonObject = {};
    for (const key of Object.keys(lhs)) out[key] = Object.hasOwn(rhs, key) ? merge(lhs[key], rhs[key], childNode(shape, key)) : deepCopy(lhs[key]);
    for (const key of Object.keys(rhs)) if (!Object.hasOwn(lhs, key)) out[key] = deepCopy(rhs[key]);
    return out;
  }
  if (!Array.isArray(lhs) || !Array.isArray(rhs)) return deepCopy(rhs);
  const lpes = lhs.map((item, i) => itemPE(shape, item, i));
  const rpes = rhs.map((item, i) => itemPE(shape, item, i));
  const rIndex = new Map(rpes.map((pe, i) => [pe, i]));
  const lIndex = new Map(lpes.map((pe, i) => [pe, i]));
  const mergeItem = (pe: PathElement): unknown => {
    const l = lIndex.has(pe) ? lhs[lIndex.get(pe)!] : undefined;
    const r = rIndex.has(pe) ? rhs[rIndex.get(pe)!] : undefined;
    return shape.kind === 'assoc' ? merge(l, r, shape.items) : deepCopy(r ?? l);
  };
  // Live-only items keep their place; items the config names follow the config's order.
  const out: unknown[] = [];
  const done = new Set<PathElement>();
  let ri = 0;
  for (const pe of lpes) {
    if (!rIndex.has(pe)) {
      out.push(mergeItem(pe));
      continue;
    }
    while (ri < rpes.length && !done.has(pe)) {
      const next = rpes[ri++]!;
      if (done.has(next)) continue;
      out.push(mergeItem(next));
      done.add(next);
    }
  }
  for (; ri < rpes.length; ri++) if (!done.has(rpes[ri]!)) out.push(mergeItem(rpes[ri]!)), done.add(rpes[ri]!);
  return out;
}

/** Removes the node at `path` from `value` (in place); list items are matched by their path element. */
export function removePath(value: unknown, path: Path, node: SchemaNode | undefined): void {
  if (path.length === 0) return;
  const [pe, ...rest] = path as [PathElement, ...PathElement[]];
  const shape = shapeOf(node, value);
  if (shape.kind === 'fields' && isJsonObject(value) && pe.startsWith('f:')) {
    const key = pe.slice(2);
    if (!Object.hasOwn(value, key)) return;
    if (rest.length === 0) delete value[key];
    else removePath(value[key], rest, childNode(shape, key));
    return;
  }
  if ((shape.kind === 'assoc' || shape.kind === 'set') && Array.isArray(value)) {
    const at = value.findIndex((item, i) => itemPE(shape, item, i) === pe);
    if (at < 0) return;
    if (rest.length === 0) value.splice(at, 1);
    else if (shape.kind === 'assoc') removePath(value[at], rest, shape.items);
  }
}
