// metadata.managedFields bookkeeping: decoding/encoding entries, and the Update operation's ownership rules.
import { nowTimestamp } from '../registry/store.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';
import { groupVersion } from '../registry/types.ts';
import { schemaOf } from '../validation/schema.ts';
import { FieldSet, type Path } from './fieldpath.ts';
import { compare } from './typed.ts';

export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
}

/** The manager identity upstream keys ownership by: time never counts, an applier's apiVersion neither. */
export function managerKey(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([m.manager, m.operation, m.operation === 'Apply' ? '' : m.apiVersion, m.subresource ?? '']);
}

/** Decodes metadata.managedFields; entries that are not FieldsV1 are dropped. */
export function decodeManagers(entries: unknown): Manager[] {
  if (!Array.isArray(entries)) return [];
  const out: Manager[] = [];
  for (const e of entries) {
    if (!e || typeof e !== 'object') continue;
    const m = e as Record<string, unknown>;
    if (typeof m.manager !== 'string' || (m.operation !== 'Apply' && m.operation !== 'Update')) continue;
    const entry: Manager = { manager: m.manager, operation: m.operation, apiVersion: String(m.apiVersion ?? ''), set: FieldSet.fromFieldsV1(m.fieldsV1) };
    if (typeof m.time === 'string') entry.time = m.time;
    if (typeof m.subresource === 'string' && m.subresource) entry.subresource = m.subresource;
    out.push(entry);
  }
  return out;
}

/** metadata.managedFields as upstream writes them: empty managers dropped, sorted by operation, time, manager. */
export function encodeManagers(managers: readonly Manager[]): unknown[] {
  const live = managers.filter((m) => !m.set.empty);
  live.sort((a, b) => cmp(a.operation, b.operation) || cmp(a.time ?? '', b.time ?? '') || cmp(a.manager, b.manager) || cmp(a.apiVersion, b.apiVersion) || cmp(a.subresource ?? '', b.subresource ?? ''));
  return live.map((m) => {
    const e: Record<string, unknown> = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
    if (m.time) e.time = m.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = m.set.toFieldsV1();
    if (m.subresource) e.subresource = m.subresource;
    return e;
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Server-set paths no manager owns: apiVersion, kind, metadata itself, and these fields of metadata. */
const STRIPPED_TOP = new Set(['f:apiVersion', 'f:kind', 'f:metadata']);
const STRIPPED_META = new Set(['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => `f:${f}`));

function isStripped(p: Path): boolean {
  if (p.length === 1) return STRIPPED_TOP.has(p[0]!);
  return p.length === 2 && p[0] === 'f:metadata' && STRIPPED_META.has(p[1]!);
}

/**
 * The paths a write through `subresource` may own: never the server-set metadata, and on a resource with a
 * status subresource the main endpoint never owns status while /status owns only status (upstream's reset fields).
 */
export function ownable(def: ResourceDef, subresource: string): (p: Path) => boolean {
  return (p) => {
    if (isStripped(p)) return false;
    if (subresource === 'status') return p[0] === 'f:status' || (p[0] === 'f:metadata' && p[1] !== 'f:labels');
    if (def.subresources?.status && p[0] === 'f:status') return false;
    return true;
  };
}

/** Go fields that are non-pointer structs: present (empty) in the zero value upstream compares a create against. */
const NON_POINTER = new Set(['metadata', 'spec', 'status', 'template', 'strategy', 'updateStrategy', 'jobTemplate', 'loadBalancer', 'resources']);

/** Zero values per kind: built from the schema once, only ever read (compare does not mutate its inputs). */
const zeroValues = new WeakMap<ResourceDef, KubeObject>();

function zeroValue(def: ResourceDef): KubeObject {
  let zero = zeroValues.get(def);
  if (!zero) zeroValues.set(def, (zero = buildZeroValue(def)));
  return zero;
}

function buildZeroValue(def: ResourceDef): KubeObject {
  const root = schemaOf(def);
  const build = (depth: number, node: typeof root): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (!node || depth > 4) return out;
    const props = node.schema.properties as Record<string, unknown> | undefined;
    const required = new Set((node.schema.required as string[] | undefined) ?? []);
    for (const name of Object.keys(props ?? {})) {
      const child = node.child(name);
      if (NON_POINTER.has(name) && child?.kind === 'struct') out[name] = build(depth + 1, child);
      // Required fields carry no omitempty in Go: the zero value has them as null.
      else if (required.has(name) && name !== 'apiVersion' && name !== 'kind' && name !== 'metadata') out[name] = null;
    }
    return out;
  };
  return build(0, root) as KubeObject;
}

function withoutManaged(obj: KubeObject): KubeObject {
  const { managedFields: _mf, ...meta } = obj.metadata;
  return { ...obj, metadata: meta };
}

/**
 * The Update operation (create, update, non-apply patch): `manager` gains what it added or changed, every other
 * manager loses it, removed fields leave every set; sets that empty out go. Writes `obj.metadata.managedFields`.
 * Managed fields sent in the body replace the live ones (an empty list resets them), as upstream allows.
 * A manager whose set is unchanged keeps its time, so a no-op write stays a no-op.
 */
export function recordUpdate(def: ResourceDef, old: KubeObject | undefined, obj: KubeObject, manager: string, subresource = ''): void {
  const incoming = obj.metadata.managedFields;
  const managers = decodeManagers(subresource || incoming === undefined ? old?.metadata.managedFields : incoming);
  const schema = schemaOf(def);
  const c = compare(old ? withoutManaged(old) : zeroValue(def), withoutManaged(obj), schema);
  const keep = ownable(def, subresource);
  const changed = c.modified.union(c.added).filter(keep);
  const removed = c.removed;
  const apiVersion = groupVersion(def);
  const me = { manager, operation: 'Update' as const, apiVersion, subresource: subresource || undefined };
  const myKey = managerKey(me);
  let mine = managers.find((m) => managerKey(m) === myKey);
  for (const m of managers) {
    if (m === mine) continue;
    m.set = m.set.difference(changed).difference(removed);
  }
  const before = mine?.set;
  const set = (before ?? new FieldSet()).difference(removed).union(changed).filter(keep);
  if (!mine) {
    mine = { ...me, set };
    managers.push(mine);
  }
  mine.set = set;
  if (!before || !before.difference(set).empty || !set.difference(before).empty || !mine.time) {
    mine.time = nowTimestamp();
  }
  obj.metadata.managedFields = encodeManagers(managers);
}
