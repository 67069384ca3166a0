// Walks the OpenAPI v3 schemas the server publishes (server/discovery): the one source of known fields and list metadata.
import { buildDefinitions, type Schema } from '../discovery/openapi-schemas.ts';
import { definitionName } from '../discovery/openapi-models.ts';
import type { ResourceDef } from '../registry/types.ts';

/** What a schema node holds, as the decoders of upstream's Go types see it. */
export type NodeKind = 'struct' | 'map' | 'list' | 'scalar' | 'any';

/** List extensions of a list-valued field (x-kubernetes-*), read from the published schema. */
export interface ListInfo {
  listType?: 'atomic' | 'set' | 'map';
  mapKeys?: readonly string[];
  mergeKey?: string;
  /** The patch strategies, e.g. ['merge', 'retainKeys']. */
  strategies: readonly string[];
}

const REF_PREFIX = '#/components/schemas/';
const definitions = new Map<string, Schema>();

function definition(name: string): Schema | undefined {
  if (!definitions.has(name)) {
    for (const [k, v] of Object.entries(buildDefinitions([name], new Map(), 'v3'))) if (!definitions.has(k)) definitions.set(k, v);
  }
  return definitions.get(name);
}

/**
 * A resolved schema node: `$ref` and single-element `allOf` wrappers followed, while the extensions written
 * on the field itself (patch strategy, list type) are kept from the wrapper.
 */
export class SchemaNode {
  readonly schema: Schema;
  readonly field: Schema;
  /** The definition the field refers to, e.g. `io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector`. */
  readonly definition: string | undefined;

  constructor(field: Schema, definitionName?: string) {
    this.field = field;
    let def = definitionName;
    let s: Schema = field;
    for (let i = 0; i < 8; i++) {
      const ref = typeof s.$ref === 'string' ? s.$ref : Array.isArray(s.allOf) && s.allOf.length === 1 ? ((s.allOf[0] as Schema).$ref as string | undefined) : undefined;
      if (!ref || !ref.startsWith(REF_PREFIX)) break;
      const target = definition(ref.slice(REF_PREFIX.length));
      if (!target) break;
      s = target;
      def = ref.slice(REF_PREFIX.length);
    }
    this.schema = s;
    this.definition = def;
  }

  // Definitions never change once built, so what a node derives from them is computed once: validation and
  // managedFields walk the same nodes on every write. Children are cached per declared field only (a map's
  // keys are the user's, so they share one value node rather than grow a cache).
  #kind?: NodeKind;
  #fields?: Map<string, SchemaNode>;
  #additional?: SchemaNode | null;
  #items?: SchemaNode | null;
  #list?: ListInfo;

  get kind(): NodeKind {
    return (this.#kind ??= this.#computeKind());
  }

  #computeKind(): NodeKind {
    const s = this.schema;
    if (s['x-kubernetes-preserve-unknown-fields'] === true && !s.properties) return 'any';
    if (s.type === 'array') return 'list';
    if (s.properties && typeof s.properties === 'object') return 'struct';
    if (s.additionalProperties && typeof s.additionalProperties === 'object') return 'map';
    if (s.type === 'object') return 'any';
    if (s.type === undefined && !s.oneOf && !s.format) return 'any';
    return 'scalar';
  }

  /** Unknown fields are kept (x-kubernetes-preserve-unknown-fields). */
  get preservesUnknown(): boolean {
    return this.schema['x-kubernetes-preserve-unknown-fields'] === true;
  }

  /** A struct's field, or a map's value schema; undefined for a field the struct does not have. */
  child(name: string): SchemaNode | undefined {
    const s = this.schema;
    const props = s.properties as Record<string, Schema> | undefined;
    if (props && Object.hasOwn(props, name)) {
      const fields = (this.#fields ??= new Map());
      let node = fields.get(name);
      if (!node) fields.set(name, (node = new SchemaNode(props[name]!)));
      return node;
    }
    if (this.#additional === undefined) {
      this.#additional = s.additionalProperties && typeof s.additionalProperties === 'object' ? new SchemaNode(s.additionalProperties as Schema) : null;
    }
    return this.#additional ?? undefined;
  }

  /** A list's item schema. */
  items(): SchemaNode | undefined {
    if (this.#items === undefined) {
      const items = this.schema.items;
      this.#items = items && typeof items === 'object' ? new SchemaNode(items as Schema) : null;
    }
    return this.#items ?? undefined;
  }

  /** The list metadata written on this (list-valued) field. */
  get list(): ListInfo {
    return (this.#list ??= this.#computeList());
  }

  #computeList(): ListInfo {
    const f = this.field;
    const s = this.schema;
    const pick = <T>(k: string): T | undefined => (f[k] ?? s[k]) as T | undefined;
    const strategy = pick<string>('x-kubernetes-patch-strategy');
    return {
      listType: pick('x-kubernetes-list-type'),
      mapKeys: pick('x-kubernetes-list-map-keys'),
      mergeKey: pick('x-kubernetes-patch-merge-key'),
      strategies: strategy ? strategy.split(',') : [],
    };
  }

  /** The patch strategies written on a map- or struct-valued field (e.g. retainKeys on volumes' sources). */
  get strategies(): readonly string[] {
    const strategy = (this.field['x-kubernetes-patch-strategy'] ?? this.schema['x-kubernetes-patch-strategy']) as string | undefined;
    return strategy ? strategy.split(',') : [];
  }
}

const roots = new Map<string, SchemaNode | undefined>();

/**
 * The schema of a resource's kind, or undefined when the server publishes none it can check against (a kind
 * client-node does not model). Built from the same definitions /openapi/v3 serves, once per kind.
 */
export function schemaOf(def: Pick<ResourceDef, 'group' | 'version' | 'kind'>): SchemaNode | undefined {
  const name = definitionName(def.group, def.version, def.kind);
  if (!roots.has(name)) {
    const s = definition(name);
    const node = s ? new SchemaNode(s, name) : undefined;
    roots.set(name, node && node.kind === 'struct' && !node.preservesUnknown ? node : undefined);
  }
  return roots.get(name);
}

/** A schema node for an arbitrary definition name (tests, subresource bodies). */
export function schemaOfDefinition(name: string): SchemaNode | undefined {
  const s = definition(name);
  return s ? new SchemaNode(s, name) : undefined;
}
