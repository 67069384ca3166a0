// ObjectMeta validation on create and update (names, namespace, labels, annotations, owners, finalizers) as upstream.
import type { FieldError, KubeObject, ObjectMeta } from './types.ts';
import { isObj, jsonEqual, strMap } from './object.ts';
import { validateLabels as validateLabelMap } from '../selectors/validation.ts';
import {
  FIELD_IMMUTABLE,
  forbidden,
  fp,
  goStringSlice,
  invalid,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  nonNegative,
  required,
  tooLong,
} from './validation.ts';

/** A name rule: `prefix` is true when checking a generateName. Returns messages. */
export type NameRule = (name: string, prefix: boolean) => string[];

/** Upstream's maskTrailingDash (drops two characters, as upstream does). */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? name.slice(0, -2) + 'a' : name;
}

/** Most resources: names are DNS-1123 subdomains. */
export const nameIsDNSSubdomain: NameRule = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);

/** Namespaces, nodes' … : DNS-1123 labels. */
export const nameIsDNSLabel: NameRule = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);

/** Services: DNS-1035 labels. */
export const nameIsDNS1035Label: NameRule = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** RBAC objects and others whose names are only path segments. */
export const nameIsPathSegment: NameRule = (name, prefix) => {
  if (!prefix) {
    if (name === '.' || name === '..') return [`may not be '${name}'`];
  }
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
};

/** ValidateLabels over raw JSON (see server/selectors/validation.ts): errors point at the map itself. */
export function validateLabels(labels: unknown, field: string): FieldError[] {
  return validateLabelMap(strMap(labels), field);
}

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** ValidateAnnotations: keys are qualified names (case-insensitive), total size at most 256 KiB. */
export function validateAnnotations(annotations: unknown, field: string): FieldError[] {
  if (!isObj(annotations)) return [];
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations)) {
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(invalid(field, k, m));
    total += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateOwnerReferences(refs: unknown, field: string): FieldError[] {
  if (!Array.isArray(refs)) return [];
  const errs: FieldError[] = [];
  let firstController = '';
  for (const ref of refs) {
    if (!isObj(ref)) continue;
    const apiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (!version) errs.push(invalid(fp(field, 'apiVersion'), apiVersion, 'version must not be empty'));
    for (const k of ['kind', 'name', 'uid'] as const) {
      const v = typeof ref[k] === 'string' ? (ref[k] as string) : '';
      if (!v) errs.push(invalid(fp(field, k), v, 'must not be empty'));
    }
    if (ref.controller === true) {
      const cur = `${String(ref.kind ?? '')}/${String(ref.name ?? '')}`;
      if (firstController) {
        errs.push(invalid(field, refs, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`));
      } else {
        firstController = cur;
      }
    }
  }
  return errs;
}

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';

function validateFinalizers(finalizers: unknown, field: string): FieldError[] {
  if (!Array.isArray(finalizers)) return [];
  const errs: FieldError[] = [];
  for (const f of finalizers) {
    const s = typeof f === 'string' ? f : String(f);
    for (const m of isQualifiedName(s)) errs.push(invalid(field, s, m));
  }
  if (finalizers.includes(ORPHAN) && finalizers.includes(FOREGROUND)) {
    errs.push(invalid(field, finalizers, `finalizer ${ORPHAN} and ${FOREGROUND} cannot be both set`));
  }
  return errs;
}

export interface MetaRules {
  namespaced: boolean;
  name: NameRule;
}

/**
 * ValidateObjectMeta: name (or generateName) by the resource's rule, namespace set exactly when the
 * resource is namespaced, and the shared label/annotation/owner/finalizer rules.
 */
export function validateObjectMeta(meta: Readonly<ObjectMeta> | undefined, rules: MetaRules, field = 'metadata'): FieldError[] {
  const m = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) for (const msg of rules.name(m.generateName, true)) errs.push(invalid(fp(field, 'generateName'), m.generateName, msg));
  if (!m.name) errs.push(required(fp(field, 'name'), 'name or generateName is required'));
  else for (const msg of rules.name(m.name, false)) errs.push(invalid(fp(field, 'name'), m.name, msg));
  if (rules.namespaced) {
    if (!m.namespace) errs.push(required(fp(field, 'namespace')));
    else for (const msg of isDNS1123Label(m.namespace)) errs.push(invalid(fp(field, 'namespace'), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden(fp(field, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...nonNegative(fp(field, 'generation'), m.generation));
  errs.push(...validateLabels(m.labels, fp(field, 'labels')));
  errs.push(...validateAnnotations(m.annotations, fp(field, 'annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, fp(field, 'ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, fp(field, 'finalizers')));
  return errs;
}

/** ValidateObjectMetaUpdate: identity fields immutable, no new finalizers once deletion started, plus the create rules for maps. */
export function validateObjectMetaUpdate(meta: Readonly<ObjectMeta>, old: Readonly<ObjectMeta>, field = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of ['name', 'namespace', 'uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
    if (!jsonEqual(meta[k] ?? null, old[k] ?? null)) errs.push(invalid(fp(field, k), meta[k] ?? null, FIELD_IMMUTABLE));
  }
  if (old.deletionTimestamp) {
    const before = new Set(old.finalizers ?? []);
    const added = [...new Set(meta.finalizers ?? [])].filter((f) => !before.has(f)).sort();
    if (added.length) {
      errs.push(forbidden(fp(field, 'finalizers'), `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(added)}`));
    }
  }
  errs.push(...nonNegative(fp(field, 'generation'), meta.generation));
  errs.push(...validateLabels(meta.labels, fp(field, 'labels')));
  errs.push(...validateAnnotations(meta.annotations, fp(field, 'annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, fp(field, 'ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, fp(field, 'finalizers')));
  return errs;
}

/** A Strategy.validate that checks only metadata (resources without spec rules). */
export function metaOnly(rules: MetaRules): (obj: Readonly<KubeObject>) => FieldError[] {
  return (obj) => validateObjectMeta(obj.metadata, rules);
}

/** A Strategy.validateUpdate that checks only metadata. */
export function metaOnlyUpdate(): (obj: Readonly<KubeObject>, old: Readonly<KubeObject>) => FieldError[] {
  return (obj, old) => validateObjectMetaUpdate(obj.metadata, old.metadata);
}
