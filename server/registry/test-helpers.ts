// Test helpers: run a ResourceDef's strategy hooks in the generic store's order, without storage.
import type { FieldError, KubeObject, ResourceDef } from './types.ts';
import { groupVersion } from './types.ts';

export interface CreateResult {
  obj: KubeObject;
  errors: FieldError[];
}

/** The store's create order: prepareForCreate → meta (uid, timestamps) → validate → canonicalize. */
export function runCreate(def: ResourceDef, input: Partial<KubeObject> & { metadata?: KubeObject['metadata'] }, uid = '0c3f5a4e-0000-4000-8000-000000000001'): CreateResult {
  const obj = structuredClone({ metadata: {}, ...input }) as KubeObject;
  obj.apiVersion = groupVersion(def);
  obj.kind = def.kind;
  if (def.namespaced && !obj.metadata.namespace) obj.metadata.namespace = 'default';
  def.strategy?.prepareForCreate?.(obj);
  obj.metadata.uid = uid;
  obj.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
  if (def.hasGeneration) obj.metadata.generation = 1;
  const errors = def.strategy?.validate?.(obj) ?? [];
  if (errors.length === 0) def.strategy?.canonicalize?.(obj);
  return { obj, errors };
}

/** The store's update order for the main endpoint: status kept, prepareForUpdate, validateUpdate, canonicalize. */
export function runUpdate(def: ResourceDef, next: KubeObject, old: KubeObject): CreateResult {
  const obj = structuredClone(next);
  obj.metadata.uid = old.metadata.uid;
  obj.metadata.creationTimestamp = old.metadata.creationTimestamp;
  obj.metadata.resourceVersion = old.metadata.resourceVersion ?? '1';
  if (def.subresources?.status) {
    if (old.status === undefined) delete obj.status;
    else obj.status = structuredClone(old.status);
  }
  def.strategy?.prepareForUpdate?.(obj, old);
  const errors = def.strategy?.validateUpdate ? def.strategy.validateUpdate(obj, old) : (def.strategy?.validate?.(obj) ?? []);
  if (errors.length === 0) def.strategy?.canonicalize?.(obj);
  return { obj, errors };
}

/** `field: message` lines, as kubectl prints a 422's causes. */
export function lines(errors: readonly FieldError[]): string[] {
  return errors.map((e) => `${e.field}: ${e.message}`);
}

/** The cells of every column of `def` for an object (NAME excluded). */
export function cells(def: ResourceDef, obj: KubeObject, now = new Date('2024-01-01T01:00:00Z')): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of def.columns ?? []) out[c.name] = c.cell(obj, now);
  return out;
}
