// Server-side apply (application/apply-patch+yaml): merge, prune, conflicts and ownership, as structured-merge-diff does.
import * as yaml from 'js-yaml';
import * as errors from '../http/errors.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';
import { groupVersion } from '../registry/types.ts';
import { checkFields } from '../validation/fields.ts';
import { schemaOf } from '../validation/schema.ts';
import { FieldSet, pathString, type Path } from './fieldpath.ts';
import { decodeManagers, encodeManagers, type Manager, managerKey, ownable } from './managed.ts';
import { compare, merge, removePath, toFieldSet } from './typed.ts';
import { nowTimestamp } from '../registry/store.ts';

export interface ApplyRequest {
  def: ResourceDef;
  namespace: string;
  name: string;
  manager: string;
  force: boolean;
  subresource: string;
}

/**
 * Decodes an apply body (YAML or JSON). It must name this resource's kind and apiVersion and carry no
 * managedFields. Unknown fields are upstream's 500 `failed to create typed patch object (…): .spec.foo: field
 * not declared in schema`.
 */
export function decodeApplied(req: ApplyRequest, body: Buffer): KubeObject {
  let value: unknown;
  try {
    value = yaml.load(body.toString('utf8'), { schema: yaml.JSON_SCHEMA } as yaml.LoadOptions);
  } catch (e: unknown) {
    throw errors.badRequest(`error decoding YAML: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw errors.badRequest('error decoding YAML: the applied configuration must be an object');
  const obj = value as KubeObject;
  const gvk = `${req.def.group}/${req.def.version}, Kind=${req.def.kind}`;
  if (obj.apiVersion !== groupVersion(req.def) || obj.kind !== req.def.kind) {
    throw errors.badRequest(`the API version in the data (${obj.apiVersion ?? ''}) does not match the expected API version (${groupVersion(req.def)})`);
  }
  obj.metadata ??= {};
  if (obj.metadata.managedFields !== undefined) throw errors.badRequest('metadata.managedFields must be nil');
  const schema = schemaOf(req.def);
  if (schema) {
    const unknown = checkFields(schema, structuredClone(obj)).filter((f) => f.startsWith('unknown field '));
    if (unknown.length > 0) {
      const where = `${req.def.namespaced ? req.namespace : ''}/${req.name}; ${gvk}`;
      const paths = unknown.map((u) => `.${JSON.parse(u.slice('unknown field '.length)) as string}: field not declared in schema`);
      throw new errors.ApiError(500, '' as errors.StatusReason, `failed to create typed patch object (${where}): ${paths.join('\n')}`);
    }
  }
  return obj;
}

function printManager(m: Manager): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** 409 with upstream's text: `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas`. */
function conflictError(conflicts: readonly { manager: Manager; path: Path }[]): errors.ApiError {
  const causes = conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with ${printManager(c.manager)}`, field: pathString(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${printManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, { printed: string; paths: string[] }>();
    for (const c of conflicts) {
      const key = managerKey(c.manager);
      const entry = byManager.get(key) ?? { printed: printManager(c.manager), paths: [] };
      entry.paths.push(pathString(c.path));
      byManager.set(key, entry);
    }
    const lines: string[] = [];
    for (const key of [...byManager.keys()].sort()) {
      const e = byManager.get(key)!;
      lines.push(`conflicts with ${e.printed}:`, ...e.paths.map((p) => `- ${p}`));
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new errors.ApiError(409, 'Conflict', message, { causes });
}

/**
 * Applies `applied` on top of `current` (undefined: create-on-apply) for `req.manager`: merges, prunes the
 * fields this manager applied before and no longer applies (unless someone else owns them), refuses changes
 * to fields other managers own (409) unless `force` takes them over, and records the manager's set as an
 * Apply entry. Returns the object to write (with its managedFields).
 */
export function applyObject(req: ApplyRequest, current: KubeObject | undefined, applied: KubeObject): KubeObject {
  const { def } = req;
  const schema = schemaOf(def);
  const live: KubeObject = current ? structuredClone(current) : { apiVersion: groupVersion(def), kind: def.kind, metadata: { name: req.name, ...(def.namespaced ? { namespace: req.namespace } : {}) } };
  const managers = decodeManagers(live.metadata.managedFields);
  delete live.metadata.managedFields;
  const keep = ownable(def, req.subresource);
  const me = { manager: req.manager, operation: 'Apply' as const, apiVersion: groupVersion(def), subresource: req.subresource || undefined };
  const myKey = managerKey(me);
  const mine = managers.find((m) => managerKey(m) === myKey);
  const newSet = toFieldSet(applied, schema).filter(keep);
  const merged = merge(live, applied, schema) as KubeObject;
  // Prune what this manager applied last time and no longer does, unless another manager owns it.
  if (mine) {
    let others = new FieldSet();
    for (const m of managers) if (m !== mine) others = others.union(m.set);
    const gone = [...mine.set.difference(newSet).paths()].filter((p) => !newSet.hasPrefix(p) && !others.hasPrefix(p));
    for (const p of gone.sort((a, b) => b.length - a.length)) removePath(merged, p, schema);
  }
  const c = compare(live, merged, schema);
  const changed = c.modified.union(c.added).filter(keep);
  const conflicts: { manager: Manager; path: Path }[] = [];
  for (const m of managers) {
    if (m === mine) continue;
    for (const p of m.set.intersection(changed).paths()) conflicts.push({ manager: m, path: p });
  }
  if (conflicts.length > 0 && !req.force) throw conflictError(conflicts);
  for (const m of managers) {
    if (m === mine) continue;
    m.set = m.set.difference(changed).difference(c.removed);
  }
  const before = mine?.set;
  const entry: Manager = mine ?? { ...me, set: newSet };
  entry.set = newSet;
  entry.apiVersion = groupVersion(def);
  const same = before && before.difference(newSet).empty && newSet.difference(before).empty;
  if (!same || !entry.time) entry.time = nowTimestamp();
  if (!mine) managers.push(entry);
  merged.metadata.managedFields = encodeManagers(managers);
  return merged;
}
