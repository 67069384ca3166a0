// Builds OpenAPI schema definitions (Swagger 2.0 or OpenAPI 3.0 flavour) from client-node's model metadata.
import { INT_OR_STRING_DOC, missingFieldDoc } from './openapi-docs.ts';
import { listMetaOf } from './openapi-listmeta.ts';
import { loadModels, META, type Model, type ModelProp } from './openapi-models.ts';

export type Dialect = 'v2' | 'v3';
/** A JSON schema object as it goes on the wire. */
export type Schema = { [key: string]: unknown };

export interface GVK {
  group: string;
  version: string;
  kind: string;
}

const INTSTR = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const RAW = 'io.k8s.apimachinery.pkg.runtime.RawExtension';
const CORE = 'io.k8s.api.core.v1';

/** Definitions client-node has no class for (its generator inlines them), with upstream's wording. */
const SYNTHETIC: Readonly<Record<string, (d: Dialect) => Schema>> = {
  [`${META}.Time`]: () => ({
    description:
      'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.',
    type: 'string',
    format: 'date-time',
  }),
  [`${META}.MicroTime`]: () => ({
    description: 'MicroTime is version of Time with microsecond level precision.',
    type: 'string',
    format: 'date-time',
  }),
  [`${META}.FieldsV1`]: () => ({
    description:
      "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.\n\nEach key is either a '.' representing the field itself, and will always map to an empty set, or a string representing a sub-field or item. The string will follow one of these four formats: 'f:<name>', where <name> is the name of a field in a struct, or key in a map 'v:<value>', where <value> is the exact json formatted value of a list item 'i:<index>', where <index> is position of a item in a list 'k:<keys>', where <keys> is a map of  a list item's key fields to their unique values If a key maps to an empty Fields value, the field that key represents is part of the set.\n\nThe exact format is defined in sigs.k8s.io/structured-merge-diff",
    type: 'object',
  }),
  [`${META}.Patch`]: () => ({
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
    type: 'object',
  }),
  [INTSTR]: (d) => {
    const description =
      'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.';
    return d === 'v2'
      ? { description, type: 'string', format: 'int-or-string' }
      : { description, format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] };
  },
  [QUANTITY]: (d) => ({
    description:
      'Quantity is a fixed-point representation of a number. It provides convenient marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.\n\nThe serialization format is:\n\n``` <quantity>        ::= <signedNumber><suffix>\n\n\t(Note that <suffix> may be empty, from the "" case in <decimalSI>.)\n\n<digit>           ::= 0 | 1 | ... | 9 <digits>          ::= <digit> | <digit><digits> <number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits> <sign>            ::= "+" | "-" <signedNumber>    ::= <number> | <sign><number> <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI> <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei\n\n\t(International System of units; See: http://physics.nist.gov/cuu/Units/binary.html)\n\n<decimalSI>       ::= m | "" | k | M | G | T | P | E\n\n\t(Note that 1024 = 1Ki but 1000 = 1k; I didn\'t choose the capitalization.)\n\n<decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber> ```',
    // v3 (like upstream) gives no single type, so kubectl explain prints `Quantity` rather than `string`.
    ...(d === 'v2' ? { type: 'string' } : { oneOf: [{ type: 'string' }, { type: 'number' }] }),
  }),
  [RAW]: () => ({
    description: 'RawExtension is used to hold extensions in external versions.',
    type: 'object',
  }),
};

/** Fields client-node types as `{ [key: string]: string }` (or string) that upstream types as Quantity. */
const QUANTITY_FIELDS = new Set([
  `${CORE}.ResourceRequirements.limits`, `${CORE}.ResourceRequirements.requests`,
  `${CORE}.VolumeResourceRequirements.limits`, `${CORE}.VolumeResourceRequirements.requests`,
  `${CORE}.NodeStatus.capacity`, `${CORE}.NodeStatus.allocatable`,
  `${CORE}.ResourceQuotaSpec.hard`, `${CORE}.ResourceQuotaStatus.hard`, `${CORE}.ResourceQuotaStatus.used`,
  `${CORE}.LimitRangeItem.default`, `${CORE}.LimitRangeItem.defaultRequest`, `${CORE}.LimitRangeItem.max`,
  `${CORE}.LimitRangeItem.min`, `${CORE}.LimitRangeItem.maxLimitRequestRatio`,
  `${CORE}.PersistentVolumeSpec.capacity`, `${CORE}.PersistentVolumeClaimStatus.capacity`,
  `${CORE}.PersistentVolumeClaimStatus.allocatedResources`, `${CORE}.PodSpec.overhead`,
  `${CORE}.ContainerStatus.allocatedResources`, `${CORE}.EmptyDirVolumeSource.sizeLimit`,
  `${CORE}.ResourceFieldSelector.divisor`,
]);

/** `any`-typed client-node fields whose upstream type is a named definition. */
const ANY_FIELDS: Readonly<Record<string, string>> = {
  [`${META}.ManagedFieldsEntry.fieldsV1`]: `${META}.FieldsV1`,
  [`${META}.WatchEvent.object`]: RAW,
  ['io.k8s.api.apps.v1.ControllerRevision.data']: RAW,
};

/** Descriptions upstream gives ref-typed fields that client-node's .d.ts leaves undocumented. */
const REF_FIELD_DOCS: Readonly<Record<string, string>> = {
  [`${META}.ObjectMeta`]:
    "Standard object's metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
  [`${META}.ListMeta`]:
    'Standard list metadata. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
};

export function refPrefix(d: Dialect): string {
  return d === 'v2' ? '#/definitions/' : '#/components/schemas/';
}

interface Ctx {
  dialect: Dialect;
  classToDef: ReadonlyMap<string, string>;
  need(definition: string): void;
}

function ref(ctx: Ctx, definition: string): Schema {
  ctx.need(definition);
  return { $ref: refPrefix(ctx.dialect) + definition };
}

/** A schema for a type used as an array item or map value (no description). */
function valueSchema(ctx: Ctx, type: string, format: string, key: string): Schema {
  if (QUANTITY_FIELDS.has(key) && type === 'string') return ref(ctx, QUANTITY);
  switch (type) {
    case 'string':
      return format === 'byte' ? { type: 'string', format: 'byte' } : { type: 'string' };
    case 'boolean':
      return { type: 'boolean' };
    case 'number':
      return format === 'double' || format === 'float' ? { type: 'number', format } : { type: 'integer', ...(format ? { format } : {}) };
    case 'Date':
      return ref(ctx, format === 'date-time-micro' ? `${META}.MicroTime` : `${META}.Time`);
    case 'IntOrString':
      return ref(ctx, INTSTR);
    case 'any':
      return ANY_FIELDS[key] ? ref(ctx, ANY_FIELDS[key]) : { type: 'object' };
  }
  const array = /^Array<(.+)>$/.exec(type);
  if (array) return { type: 'array', items: itemSchema(ctx, array[1]!, format, key) };
  const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
  if (map) return { type: 'object', additionalProperties: itemSchema(ctx, map[1]!, format, key) };
  const def = ctx.classToDef.get(type);
  return def ? ref(ctx, def) : { type: 'object' };
}

/** Array items / map values: a class becomes upstream's `{allOf: [$ref], default: {}}` in v3, a bare $ref in v2. */
function itemSchema(ctx: Ctx, type: string, format: string, key: string): Schema {
  const s = valueSchema(ctx, type, format, key);
  if (ctx.dialect === 'v3' && typeof s.$ref === 'string' && !(s.$ref as string).endsWith('.Quantity')) {
    return { default: {}, allOf: [s] };
  }
  return s;
}

function propertySchema(ctx: Ctx, owner: string, p: ModelProp, topLevel: boolean): Schema {
  const key = `${owner}.${p.json}`;
  const inner = valueSchema(ctx, p.type, p.format, key);
  const target = typeof inner.$ref === 'string' ? (inner.$ref as string).slice(refPrefix(ctx.dialect).length) : undefined;
  // client-node drops the docs of ref-typed fields and gives int-or-string fields the type's text.
  const own = p.description === INT_OR_STRING_DOC ? undefined : p.description;
  const description = own ?? (target === undefined ? undefined : REF_FIELD_DOCS[target]) ?? missingFieldDoc(owner, p.json, topLevel);
  let s: Schema;
  if (typeof inner.$ref === 'string') {
    if (description === undefined) s = inner;
    else s = ctx.dialect === 'v2' ? { $ref: inner.$ref, description } : { description, allOf: [inner] };
  } else {
    s = description === undefined ? inner : { description, ...inner };
  }
  const lm = inner.type === 'array' ? listMetaOf(owner, p.json) : undefined;
  if (lm) {
    if (lm.mapKeys) s['x-kubernetes-list-map-keys'] = [...lm.mapKeys];
    if (lm.listType) s['x-kubernetes-list-type'] = lm.listType;
    if (lm.mergeKey) s['x-kubernetes-patch-merge-key'] = lm.mergeKey;
    if (lm.strategy) s['x-kubernetes-patch-strategy'] = lm.strategy;
  }
  return s;
}

function modelSchema(ctx: Ctx, m: Model): Schema {
  const s: Schema = {};
  if (m.description !== undefined) s.description = m.description;
  s.type = 'object';
  const required = m.props.filter((p) => p.required).map((p) => p.json);
  if (required.length > 0) s.required = required;
  const props = [...m.props].sort((a, b) => (a.json < b.json ? -1 : a.json > b.json ? 1 : 0));
  const names = new Set(m.props.map((p) => p.json));
  const topLevel = names.has('apiVersion') && names.has('kind') && names.has('metadata');
  if (props.length > 0) s.properties = Object.fromEntries(props.map((p) => [p.json, propertySchema(ctx, m.definition, p, topLevel)]));
  return s;
}

/** The schema we publish for a served kind client-node does not know (e.g. a kind only tskube has). */
function opaqueSchema(ctx: Ctx, kind: string): Schema {
  return {
    description: `${kind} is served by this API server without a published schema.`,
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: ref(ctx, `${META}.ObjectMeta`),
    },
    'x-kubernetes-preserve-unknown-fields': true,
  };
}

/**
 * The definitions reachable from `roots` (definition names), each with its GVK extension from `gvks` (sorted as
 * upstream: group, kind, version). A root client-node has no model for gets an opaque object schema (Lists get
 * `items`). The result's keys are sorted, so the JSON is stable for hashing.
 */
export function buildDefinitions(roots: Iterable<string>, gvks: ReadonlyMap<string, readonly GVK[]>, dialect: Dialect): Record<string, Schema> {
  const models = loadModels();
  const classToDef = new Map([...models.byClass].map(([c, m]) => [c, m.definition]));
  const out = new Map<string, Schema>();
  const queue: string[] = [];
  const ctx: Ctx = { dialect, classToDef, need: (d) => void queue.push(d) };
  queue.push(...roots);
  while (queue.length > 0) {
    const def = queue.shift()!;
    if (out.has(def)) continue;
    const model = models.byDefinition.get(def);
    const synthetic = SYNTHETIC[def];
    const kind = def.slice(def.lastIndexOf('.') + 1);
    let s: Schema;
    if (model) s = modelSchema(ctx, model);
    else if (synthetic) s = synthetic(dialect);
    else if (kind.endsWith('List') && kind !== 'List') {
      s = { type: 'object', required: ['items'], properties: { apiVersion: { type: 'string' }, items: { type: 'array', items: ref(ctx, def.slice(0, -4)) }, kind: { type: 'string' }, metadata: ref(ctx, `${META}.ListMeta`) } };
    } else s = opaqueSchema(ctx, kind);
    const list = gvks.get(def);
    if (list && list.length > 0) {
      s['x-kubernetes-group-version-kind'] = list.map((g) => ({ group: g.group, kind: g.kind, version: g.version }));
    }
    out.set(def, s);
  }
  return Object.fromEntries([...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
