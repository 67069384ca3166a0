// Server-side field validation (fieldValidation=Strict|Warn|Ignore): unknown and duplicate fields, with upstream's texts.
import type { ParsedJson } from '../patch/go-json.ts';
import { isJsonObject, type JsonObject } from '../patch/json-value.ts';
import { goQuote } from '../selectors/go-format.ts';
import type { SchemaNode } from './schema.ts';

/**
 * Walks `value` against `schema` in document order and returns the strict-decoding findings as upstream words
 * them: `unknown field "spec.template.spec.containers[0].foo"` (full path) and `duplicate field "replicas"`
 * (the member's own name). Unknown fields are removed from `value` in place, as decoding into upstream's Go
 * types drops them whatever the validation mode. `doc` (the parsed body) is needed to see duplicates.
 */
export function checkFields(schema: SchemaNode, value: unknown, doc?: ParsedJson): string[] {
  const findings = new Findings();
  walk(schema, value, '', doc, findings);
  return findings.out;
}

/** The findings of one check: at most 100, each message once. A class, not closures: this runs on every write. */
class Findings {
  readonly out: string[] = [];
  readonly #seen = new Set<string>();

  add(m: string): void {
    if (this.out.length < 100 && !this.#seen.has(m)) {
      this.#seen.add(m);
      this.out.push(m);
    }
  }
}

function members(obj: JsonObject, doc: ParsedJson | undefined): readonly (readonly [string, unknown, string?])[] {
  // An object the parser did not produce (added after parsing) has no recorded members: no duplicates to see.
  const recorded = doc?.members(obj);
  if (recorded && (recorded.length > 0 || Object.keys(obj).length === 0)) return recorded;
  return Object.keys(obj).map((k) => [k, obj[k]] as const);
}

function walk(node: SchemaNode, value: unknown, path: string, doc: ParsedJson | undefined, findings: Findings): void {
  const kind = node.kind;
  if (kind === 'any' || kind === 'scalar') return;
  if (kind === 'list') {
    if (!Array.isArray(value)) return;
    const items = node.items();
    if (!items) return;
    value.forEach((v, i) => walk(items, v, `${path}[${i}]`, doc, findings));
    return;
  }
  if (!isJsonObject(value)) return;
  const seen = new Set<string>();
  const unknown: string[] = [];
  for (const [key, v] of members(value, doc)) {
    if (seen.has(key)) findings.add(`duplicate field ${goQuote(key)}`);
    seen.add(key);
    const child = node.child(key);
    const childPath = path ? `${path}.${key}` : key;
    if (!child) {
      if (!node.preservesUnknown) {
        findings.add(`unknown field ${goQuote(childPath)}`);
        unknown.push(key);
      }
      continue;
    }
    walk(child, v, kind === 'map' ? `${path}[${key}]` : childPath, doc, findings);
  }
  for (const key of unknown) delete value[key];
}

/** The Go type name upstream's decoder prints for a schema node (`int32`, `v1.PodTemplateSpec`, `[]v1.Container`, …). */
function goTypeName(node: SchemaNode): string {
  const s = node.schema;
  switch (node.kind) {
    case 'list': {
      const items = node.items();
      return `[]${items ? goTypeName(items) : 'interface {}'}`;
    }
    case 'map': {
      const v = node.child('');
      return `map[string]${v ? goTypeName(v) : 'interface {}'}`;
    }
    case 'struct': {
      const d = node.definition ?? '';
      const parts = d.split('.');
      return parts.length >= 2 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : d;
    }
  }
  if (s.type === 'integer') return s.format === 'int64' ? 'int64' : 'int32';
  if (s.type === 'number') return 'float64';
  if (s.type === 'boolean') return 'bool';
  return 'string';
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'object';
}

/** Whether a JSON value decodes into the Go type behind `node` (null always does). */
function fits(node: SchemaNode, v: unknown): boolean | 'fraction' {
  if (v === null || v === undefined) return true;
  const s = node.schema;
  switch (node.kind) {
    case 'any':
      return true;
    case 'list':
      return Array.isArray(v);
    case 'map':
    case 'struct':
      return isJsonObject(v);
  }
  if (s.format === 'int-or-string' || s.oneOf) return typeof v === 'string' || typeof v === 'number';
  if (s.type === 'integer') return typeof v !== 'number' ? false : Number.isInteger(v) ? true : 'fraction';
  if (s.type === 'number') return typeof v === 'number';
  if (s.type === 'boolean') return typeof v === 'boolean';
  if (s.type === 'string') return typeof v === 'string';
  return true;
}

/** `v1.Deployment` → `Deployment`; no array per struct walked, as the type check runs on every write. */
function lastSegment(name: string): string {
  return name.slice(name.lastIndexOf('.') + 1);
}

/**
 * The first value whose JSON type the Go type of its field cannot take, in Go's words:
 * `json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`
 * (the struct's type name, the field's JSON path without list indexes, the Go type). Undefined when all fit.
 */
export function typeError(schema: SchemaNode, value: unknown): string | undefined {
  return typeErrorAt(schema, value, '', '');
}

function typeErrorAt(node: SchemaNode, v: unknown, path: string, owner: string): string | undefined {
  const ok = fits(node, v);
  if (ok !== true) {
    const what = ok === 'fraction' ? `number ${String(v)}` : jsonKind(v);
    return path ? `json: cannot unmarshal ${what} into Go struct field ${owner}.${path} of type ${goTypeName(node)}` : `json: cannot unmarshal ${what} into Go value of type ${goTypeName(node)}`;
  }
  if (v === null || v === undefined) return undefined;
  if (node.kind === 'list') {
    const items = node.items();
    if (items) {
      for (const item of v as unknown[]) {
        const found = typeErrorAt(items, item, path, owner);
        if (found !== undefined) return found;
      }
    }
  } else if (node.kind === 'struct' || node.kind === 'map') {
    const structName = node.kind === 'struct' ? lastSegment(node.definition ?? '') : owner;
    for (const key of Object.keys(v as JsonObject)) {
      const child = node.child(key);
      if (!child) continue;
      const found = typeErrorAt(child, (v as JsonObject)[key], node.kind === 'map' ? path : path ? `${path}.${key}` : key, structName);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
