// Reads @kubernetes/client-node's model metadata (types from the .js, docs from the .d.ts) under upstream definition names.
import * as clientNode from '@kubernetes/client-node';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** One field of a model: its JSON name, client-node's type string (`Array<V1Container>`, `Date`, …) and docs. */
export interface ModelProp {
  json: string;
  type: string;
  format: string;
  description?: string;
  required: boolean;
}

export interface Model {
  className: string;
  /** Upstream definition name, e.g. `io.k8s.api.apps.v1.Deployment`. */
  definition: string;
  description?: string;
  props: readonly ModelProp[];
}

export interface ModelIndex {
  byClass: ReadonlyMap<string, Model>;
  byDefinition: ReadonlyMap<string, Model>;
}

interface AttributeType {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

/** The single-label built-in groups; every other built-in group is `<label>.k8s.io` (or listed below). */
const PLAIN_GROUPS = new Set(['apps', 'batch', 'autoscaling', 'policy']);
const SPECIAL_GROUPS: Readonly<Record<string, string>> = {
  core: '',
  rbac: 'rbac.authorization.k8s.io',
  flowcontrol: 'flowcontrol.apiserver.k8s.io',
  apiserverinternal: 'internal.apiserver.k8s.io',
};

/**
 * The definition-name prefix upstream uses for a group's Go package: `io.k8s.api.core` for the core group,
 * `io.k8s.api.<first label>` for built-ins, the apiextensions/aggregator packages for their groups, and the
 * reversed domain for anything else (as upstream names CRD schemas, e.g. `com.example.stable`).
 */
export function definitionPackage(group: string): string {
  if (group === '') return 'io.k8s.api.core';
  if (group === 'apiextensions.k8s.io') return 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions';
  if (group === 'apiregistration.k8s.io') return 'io.k8s.kube-aggregator.pkg.apis.apiregistration';
  if (group === 'internal.apiserver.k8s.io') return 'io.k8s.api.apiserverinternal';
  if (PLAIN_GROUPS.has(group) || group.endsWith('.k8s.io')) return `io.k8s.api.${group.split('.')[0]!}`;
  return group.split('.').reverse().join('.');
}

/** `io.k8s.api.apps.v1.Deployment` for apps/v1 Deployment. */
export function definitionName(group: string, version: string, kind: string): string {
  return `${definitionPackage(group)}.${version}.${kind}`;
}

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** client-node classes that live in k8s.io/apimachinery meta/v1 (their class names carry no group). */
const META_KINDS = new Set([
  'APIGroup', 'APIGroupList', 'APIResource', 'APIResourceList', 'APIVersions', 'Condition', 'DeleteOptions',
  'FieldSelectorRequirement', 'GroupVersionForDiscovery', 'LabelSelector', 'LabelSelectorRequirement', 'ListMeta',
  'ManagedFieldsEntry', 'ObjectMeta', 'OwnerReference', 'Preconditions', 'ServerAddressByClientCIDR', 'Status',
  'StatusCause', 'StatusDetails', 'WatchEvent',
]);

/** Kinds that client-node's API classes use outside their own group (subresource bodies). */
const CROSS_GROUP_ROOTS: Readonly<Record<string, string>> = { V1Scale: 'autoscaling', V1Eviction: 'policy' };

const VERSION = '(V\\d+(?:alpha\\d+|beta\\d+)?)';
const UNPREFIXED_RE = new RegExp(`^${VERSION}([A-Z]\\w*)$`);
const PREFIXED_RE = new RegExp(`^([A-Z][a-z]+)${VERSION}([A-Z]\\w*)$`);
const CLASS_TOKEN_RE = /\b[A-Z][A-Za-z0-9]*\b/g;

function groupOfLabel(label: string): string {
  const l = label.toLowerCase();
  return SPECIAL_GROUPS[l] ?? (PLAIN_GROUPS.has(l) ? l : `${l}.k8s.io`);
}

function unescapeDoc(text: string): string {
  return text.replace(/\\(["'\\])/g, '$1');
}

interface Docs {
  classDoc?: string;
  props: Map<string, { description?: string; required: boolean }>;
}

/** Parses the JSDoc of one generated .d.ts: the class comment and each `'name'?: type` property's comment. */
export function parseDts(text: string): Docs {
  const docs: Docs = { props: new Map() };
  let pending: string[] | undefined;
  let collecting: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (collecting) {
      if (line.startsWith('*/')) {
        pending = collecting;
        collecting = undefined;
      } else {
        collecting.push(line.replace(/^\* ?/, ''));
      }
      continue;
    }
    if (line.startsWith('/**')) {
      collecting = [];
      continue;
    }
    const description = pending && pending.length > 0 ? unescapeDoc(pending.join('\n').trim()) : undefined;
    const cls = /^export declare class \w+/.exec(line);
    const prop = /^'([^']+)'(\?)?:/.exec(line);
    if (cls) docs.classDoc = description;
    else if (prop) docs.props.set(prop[1]!, { description, required: prop[2] === undefined });
    if (line !== '') pending = undefined;
  }
  return docs;
}

function clientNodeDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node'));
}

/** Model classes client-node exports (its models folder also holds stale files of removed types). */
function exportedModels(): Map<string, readonly AttributeType[]> {
  const out = new Map<string, readonly AttributeType[]>();
  for (const [name, value] of Object.entries(clientNode)) {
    const map = (value as { attributeTypeMap?: unknown } | null)?.attributeTypeMap;
    if (typeof value === 'function' && Array.isArray(map)) out.set(name, map as AttributeType[]);
  }
  return out;
}

function referencedClasses(type: string, known: ReadonlyMap<string, unknown>): string[] {
  return (type.match(CLASS_TOKEN_RE) ?? []).filter((t) => known.has(t));
}

/**
 * Assigns each unprefixed model class to the group whose Go package defines it. Roots come from client-node's
 * per-group-version API classes (the types their operations send and receive); everything reachable from a
 * root's fields belongs to the root's group unless an earlier group claimed it. Core goes first, so shared
 * types (PodTemplateSpec, ObjectReference, …) land in core as upstream has them.
 */
function assignGroups(models: ReadonlyMap<string, readonly AttributeType[]>): Map<string, string> {
  const apisDir = join(clientNodeDir(), 'gen', 'apis');
  const roots: { group: string; classes: string[] }[] = [];
  for (const file of readdirSync(apisDir)) {
    const apiName = file.replace(/\.js$/, '');
    if (!file.endsWith('.js') || !/V\d+(?:alpha\d+|beta\d+)?Api$/.test(apiName) || !(apiName in clientNode)) continue;
    const text = readFileSync(join(apisDir, file), 'utf8');
    const path = /localVarPath = '\/(?:api\/v\d+|apis\/([^/']+)\/v[^/']+)\//.exec(text);
    if (!path) continue;
    const group = path[1] ?? '';
    const classes = [...new Set([...text.matchAll(/"(\w+)"/g)].map((m) => m[1]!))].filter((c) => models.has(c));
    roots.push({ group, classes });
  }
  roots.sort((a, b) => (a.group === '' ? -1 : b.group === '' ? 1 : a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
  const owner = new Map<string, string>();
  const claim = (cls: string, group: string): boolean => {
    if (owner.has(cls) || !UNPREFIXED_RE.test(cls) || META_KINDS.has(UNPREFIXED_RE.exec(cls)![2]!)) return false;
    owner.set(cls, CROSS_GROUP_ROOTS[cls] ?? group);
    return true;
  };
  for (const { group, classes } of roots) for (const c of classes) claim(c, group);
  // Walk through every class (prefixed and meta ones too: CoreV1Event leads to core's EventSource), claiming
  // the unprefixed ones not yet owned; a class is walked once, by the first group that reaches it.
  // A class's fields belong with the class's own group (Scale's ScaleSpec is autoscaling's even when reached
  // from core's API), so the group travels with each queued class.
  const visited = new Set<string>();
  for (const root of roots) {
    const queue: [string, string][] = root.classes.map((c) => [c, root.group]);
    while (queue.length > 0) {
      const [cls, via] = queue.shift()!;
      if (visited.has(cls)) continue;
      visited.add(cls);
      claim(cls, via);
      const prefixed = PREFIXED_RE.exec(cls);
      const group = owner.get(cls) ?? (prefixed && !/^V\d/.test(cls) ? groupOfLabel(prefixed[1]!) : via);
      for (const attr of models.get(cls) ?? []) for (const ref of referencedClasses(attr.type, models)) queue.push([ref, group]);
    }
  }
  return owner;
}

function definitionOf(cls: string, owner: ReadonlyMap<string, string>): string | undefined {
  if (cls === 'VersionInfo') return 'io.k8s.apimachinery.pkg.version.Info';
  const prefixed = PREFIXED_RE.exec(cls);
  if (prefixed && !/^V\d/.test(cls)) return definitionName(groupOfLabel(prefixed[1]!), prefixed[2]!.toLowerCase(), prefixed[3]!);
  const m = UNPREFIXED_RE.exec(cls);
  if (!m) return undefined;
  const version = m[1]!.toLowerCase();
  if (META_KINDS.has(m[2]!)) return `${META}.${m[2]!}`;
  // Unreachable from any API (unused by the served kinds); core is the least surprising home.
  return definitionName(owner.get(cls) ?? '', version, m[2]!);
}

let cached: ModelIndex | undefined;

/**
 * Every model client-node exports, under its upstream definition name, with field types and docs. Built once
 * (about a second: ~700 .d.ts files are read) and cached for the process.
 */
export function loadModels(): ModelIndex {
  if (cached) return cached;
  const models = exportedModels();
  const owner = assignGroups(models);
  const modelsDir = join(clientNodeDir(), 'gen', 'models');
  const byClass = new Map<string, Model>();
  const byDefinition = new Map<string, Model>();
  for (const [cls, attrs] of models) {
    const definition = definitionOf(cls, owner);
    if (!definition) continue;
    let docs: Docs = { props: new Map() };
    try {
      docs = parseDts(readFileSync(join(modelsDir, `${cls}.d.ts`), 'utf8'));
    } catch (e: unknown) {
      // A model without its .d.ts still has types; it just goes undocumented.
      void e;
    }
    const props = attrs.map((a): ModelProp => {
      const d = docs.props.get(a.name);
      const p: ModelProp = { json: a.baseName, type: a.type, format: a.format, required: d?.required ?? false };
      if (d?.description !== undefined) p.description = d.description;
      return p;
    });
    const model: Model = { className: cls, definition, props };
    if (docs.classDoc !== undefined) model.description = docs.classDoc;
    byClass.set(cls, model);
    if (!byDefinition.has(definition)) byDefinition.set(definition, model);
  }
  cached = { byClass, byDefinition };
  return cached;
}
