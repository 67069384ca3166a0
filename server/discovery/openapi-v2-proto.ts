// Encodes the /openapi/v2 Swagger JSON as gnostic's `openapi.v2.Document` protobuf (what kubectl 1.27+ asks for).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dump, load } from 'js-yaml';
import protobuf from 'protobufjs';

/** Parsed JSON as the codecs walk it. */
type Json = unknown;
type JsonObject = { [key: string]: Json };
/** A message as a plain object keyed by the .proto's field names (protobufjs encodes these directly). */
type Msg = { [field: string]: unknown };

interface Ctx {
  /** JSON pointers of values the protobuf schema cannot carry (gnostic would reject the document). */
  dropped: string[];
}

/** One JSON shape ↔ one protobuf field value. `enc` returns undefined to leave the field unset. */
interface Codec {
  enc(v: Json, at: string, ctx: Ctx): unknown;
  dec(p: unknown): Json;
}

const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const pointer = (at: string, key: string | number): string => `${at}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;

function drop(at: string, ctx: Ctx): undefined {
  ctx.dropped.push(at);
  return undefined;
}

/**
 * A proto3 scalar. Go's marshaller writes no field holding its zero value, so neither do we: `false`, `0` and ''
 * are left unset, exactly the information gnostic loses too.
 */
function scalar(ok: (v: Json) => boolean): Codec {
  return {
    enc: (v, at, ctx) => (!ok(v) ? drop(at, ctx) : v === false || v === 0 || v === '' ? undefined : v),
    dec: (p) => p,
  };
}

const str = scalar((v) => typeof v === 'string');
const bool = scalar((v) => typeof v === 'boolean');
const num = scalar((v) => typeof v === 'number' && Number.isFinite(v));
const int = scalar((v) => Number.isSafeInteger(v));

/** `repeated string`. */
const strs: Codec = {
  enc: (v, at, ctx) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? v : drop(at, ctx)),
  dec: (p) => p,
};

/** gnostic's Any: the value as YAML text, in the block style gnostic's own YAML marshaller writes. */
const anyValue: Codec = {
  enc: (v) => ({ yaml: dump(v, { lineWidth: -1 }) }),
  dec: (p) => load(String((p as Msg).yaml ?? '')),
};

function list(item: Codec): Codec {
  return {
    enc: (v, at, ctx) => (Array.isArray(v) ? v.map((x, i) => item.enc(x, pointer(at, i), ctx) ?? {}) : drop(at, ctx)),
    dec: (p) => (p as unknown[]).map((x) => item.dec(x)),
  };
}

const anys = list(anyValue);

function vendorExtensions(o: JsonObject, at: string, ctx: Ctx): Msg[] {
  return Object.keys(o)
    .filter((k) => k.startsWith('x-'))
    .map((k) => ({ name: k, value: anyValue.enc(o[k], pointer(at, k), ctx) }));
}

function decodeVendorExtensions(p: Msg, field: string, out: JsonObject): void {
  for (const e of (p[field] as Msg[] | undefined) ?? []) out[String(e.name)] = anyValue.dec(e.value ?? {});
}

type Fields = Readonly<Record<string, readonly [field: string, codec: Codec]>>;

/**
 * A JSON object with fixed keys → a message. `x-` keys go to `vendor` when the message has one; any other key
 * is recorded as dropped. `fields` is a function so messages can refer to themselves (Schema.items).
 */
function message(fields: () => Fields, vendor?: string): Codec {
  return {
    enc(v, at, ctx) {
      if (!isObject(v)) return drop(at, ctx);
      const f = fields();
      const out: Msg = {};
      for (const [key, value] of Object.entries(v)) {
        const spec = Object.hasOwn(f, key) ? f[key] : undefined;
        if (spec) {
          const p = spec[1].enc(value, pointer(at, key), ctx);
          if (p !== undefined) out[spec[0]] = p;
        } else if (!(vendor && key.startsWith('x-'))) drop(pointer(at, key), ctx);
      }
      if (vendor) {
        const ext = vendorExtensions(v, at, ctx);
        if (ext.length > 0) out[vendor] = ext;
      }
      return out;
    },
    dec(p) {
      const m = p as Msg;
      const out: JsonObject = {};
      for (const [key, [field, codec]] of Object.entries(fields())) if (m[field] !== undefined) out[key] = codec.dec(m[field]);
      if (vendor) decodeVendorExtensions(m, vendor, out);
      return out;
    },
  };
}

/**
 * A JSON object with free keys → gnostic's wrapper message: keys matching `keys` become `{name, value}` entries of
 * `field` (document order kept), `x-` keys vendor extensions when `vendor` is given, anything else is dropped.
 */
function namedMap(value: () => Codec, field: string, keys: RegExp = /^/, vendor?: string): Codec {
  return {
    enc(v, at, ctx) {
      if (!isObject(v)) return drop(at, ctx);
      const named: Msg[] = [];
      for (const [k, x] of Object.entries(v)) {
        if (vendor && k.startsWith('x-')) continue;
        if (!keys.test(k)) drop(pointer(at, k), ctx);
        else named.push({ name: k, value: value().enc(x, pointer(at, k), ctx) ?? {} });
      }
      const out: Msg = { [field]: named };
      if (vendor) out[vendor] = vendorExtensions(v, at, ctx);
      return out;
    },
    dec(p) {
      const m = p as Msg;
      const out: JsonObject = {};
      for (const e of (m[field] as Msg[] | undefined) ?? []) out[String(e.name)] = value().dec(e.value ?? {});
      if (vendor) decodeVendorExtensions(m, vendor, out);
      return out;
    },
  };
}

/** A oneof wrapper: `choose` names the member a JSON value becomes (undefined: not representable). */
function oneOf(choose: (v: Json) => string | undefined, members: () => Readonly<Record<string, Codec>>): Codec {
  return {
    enc(v, at, ctx) {
      const member = choose(v);
      const codec = member === undefined ? undefined : members()[member];
      if (member === undefined || !codec) return drop(at, ctx);
      const p = codec.enc(v, at, ctx);
      return p === undefined ? undefined : { [member]: p };
    },
    dec(p) {
      const m = p as Msg;
      const member = Object.keys(members()).find((k) => m[k] !== undefined);
      return member === undefined ? {} : members()[member]!.dec(m[member]);
    },
  };
}

const hasRef = (v: Json): boolean => isObject(v) && typeof v.$ref === 'string';
const jsonReference = message(() => ({ $ref: ['_ref', str], description: ['description', str] }));

/** `type`: gnostic's TypeItem holds a list even for one name; one name decodes back to a string. */
const typeItem: Codec = {
  enc: (v, at, ctx) => {
    const names = typeof v === 'string' ? [v] : strs.enc(v, at, ctx);
    return names === undefined ? undefined : { value: names };
  },
  dec: (p) => {
    const names = ((p as Msg).value as string[] | undefined) ?? [];
    return names.length === 1 ? names[0] : names;
  },
};

/** `items`: one schema or a list (ItemsItem.schema); one decodes back to an object. */
const itemsItem: Codec = {
  enc: (v, at, ctx) => ({ schema: Array.isArray(v) ? list(schema).enc(v, at, ctx) : [schema.enc(v, at, ctx) ?? {}] }),
  dec: (p) => {
    const all = list(schema).dec((p as Msg).schema ?? []) as Json[];
    return all.length === 1 ? all[0] : all;
  },
};

/** `additionalProperties`: a schema or a boolean (a `false` member is still written: oneof members always are). */
const additionalProperties: Codec = {
  enc: (v, at, ctx) => (typeof v === 'boolean' ? { boolean: v } : isObject(v) ? { schema: schema.enc(v, at, ctx) } : drop(at, ctx)),
  dec: (p) => ((p as Msg).schema !== undefined ? schema.dec((p as Msg).schema) : Boolean((p as Msg).boolean)),
};

const VALIDATIONS: Fields = {
  maximum: ['maximum', num], exclusiveMaximum: ['exclusive_maximum', bool], minimum: ['minimum', num],
  exclusiveMinimum: ['exclusive_minimum', bool], maxLength: ['max_length', int], minLength: ['min_length', int],
  pattern: ['pattern', str], maxItems: ['max_items', int], minItems: ['min_items', int],
  uniqueItems: ['unique_items', bool], enum: ['enum', anys], multipleOf: ['multiple_of', num],
};

const schema: Codec = message(() => ({
  $ref: ['_ref', str], format: ['format', str], title: ['title', str], description: ['description', str],
  default: ['default', anyValue], ...VALIDATIONS, maxProperties: ['max_properties', int], minProperties: ['min_properties', int],
  required: ['required', strs], additionalProperties: ['additional_properties', additionalProperties], type: ['type', typeItem],
  items: ['items', itemsItem], allOf: ['all_of', list(schema)], properties: ['properties', namedMap(() => schema, 'additional_properties')],
  discriminator: ['discriminator', str], readOnly: ['read_only', bool], example: ['example', anyValue],
}), 'vendor_extension');

const primitivesItems: Codec = message(() => ({
  type: ['type', str], format: ['format', str], items: ['items', primitivesItems], collectionFormat: ['collection_format', str],
  default: ['default', anyValue], ...VALIDATIONS,
}), 'vendor_extension');

const NON_BODY: Fields = {
  required: ['required', bool], in: ['in', str], description: ['description', str], name: ['name', str],
  type: ['type', str], format: ['format', str], items: ['items', primitivesItems], collectionFormat: ['collection_format', str],
  default: ['default', anyValue], ...VALIDATIONS,
};
const nonBodyWithEmpty = message(() => ({ ...NON_BODY, allowEmptyValue: ['allow_empty_value', bool] }), 'vendor_extension');
const nonBodyPlain = message(() => NON_BODY, 'vendor_extension');

const NON_BODY_MEMBERS: Readonly<Record<string, string>> = {
  header: 'header_parameter_sub_schema', formData: 'form_data_parameter_sub_schema',
  query: 'query_parameter_sub_schema', path: 'path_parameter_sub_schema',
};

const parameter = oneOf((v) => (isObject(v) && v.in === 'body' ? 'body_parameter' : 'non_body_parameter'), () => ({
  body_parameter: message(() => ({ description: ['description', str], name: ['name', str], in: ['in', str], required: ['required', bool], schema: ['schema', schema] }), 'vendor_extension'),
  non_body_parameter: oneOf((v) => (isObject(v) && typeof v.in === 'string' ? NON_BODY_MEMBERS[v.in] : undefined), () => ({
    header_parameter_sub_schema: nonBodyPlain, form_data_parameter_sub_schema: nonBodyWithEmpty,
    query_parameter_sub_schema: nonBodyWithEmpty, path_parameter_sub_schema: nonBodyPlain,
  })),
}));

const parametersItem = oneOf((v) => (hasRef(v) ? 'json_reference' : 'parameter'), () => ({ parameter, json_reference: jsonReference }));

const response = message(() => ({ description: ['description', str], schema: ['schema', oneOf(() => 'schema', () => ({ schema }))] }), 'vendor_extension');
const responses = namedMap(() => oneOf((v) => (hasRef(v) ? 'json_reference' : 'response'), () => ({ response, json_reference: jsonReference })), 'response_code', /^(\d{3}|default)$/, 'vendor_extension');

const operation = message(() => ({
  tags: ['tags', strs], summary: ['summary', str], description: ['description', str], operationId: ['operation_id', str],
  produces: ['produces', strs], consumes: ['consumes', strs], parameters: ['parameters', list(parametersItem)],
  responses: ['responses', responses], schemes: ['schemes', strs], deprecated: ['deprecated', bool], security: ['security', list(securityRequirement)],
}), 'vendor_extension');

const pathItem = message(() => ({
  $ref: ['_ref', str], get: ['get', operation], put: ['put', operation], post: ['post', operation], delete: ['delete', operation],
  options: ['options', operation], head: ['head', operation], patch: ['patch', operation], parameters: ['parameters', list(parametersItem)],
}), 'vendor_extension');

/** One `security` entry: scheme name → scopes, as NamedStringArray{name, StringArray{value}}. */
const securityRequirement: Codec = {
  enc: (v, at, ctx) =>
    isObject(v)
      ? { additional_properties: Object.entries(v).map(([name, scopes]) => ({ name, value: { value: strs.enc(scopes, pointer(at, name), ctx) ?? [] } })) }
      : drop(at, ctx),
  dec: (p) => Object.fromEntries((((p as Msg).additional_properties as Msg[] | undefined) ?? []).map((e) => [e.name, ((e.value as Msg | undefined)?.value as string[] | undefined) ?? []])),
};

const securityScheme = oneOf((v) => (isObject(v) && v.type === 'apiKey' ? 'api_key_security' : isObject(v) && v.type === 'basic' ? 'basic_authentication_security' : undefined), () => ({
  api_key_security: message(() => ({ type: ['type', str], name: ['name', str], in: ['in', str], description: ['description', str] }), 'vendor_extension'),
  basic_authentication_security: message(() => ({ type: ['type', str], description: ['description', str] }), 'vendor_extension'),
}));

const document = message(() => ({
  swagger: ['swagger', str],
  info: ['info', message(() => ({ title: ['title', str], version: ['version', str], description: ['description', str], termsOfService: ['terms_of_service', str] }), 'vendor_extension')],
  host: ['host', str], basePath: ['base_path', str], schemes: ['schemes', strs], consumes: ['consumes', strs], produces: ['produces', strs],
  paths: ['paths', namedMap(() => pathItem, 'path', /^\//, 'vendor_extension')],
  definitions: ['definitions', namedMap(() => schema, 'additional_properties')],
  security: ['security', list(securityRequirement)],
  securityDefinitions: ['security_definitions', namedMap(() => securityScheme, 'additional_properties')],
  tags: ['tags', list(message(() => ({ name: ['name', str], description: ['description', str] }), 'vendor_extension'))],
}), 'vendor_extension');

let documentType: protobuf.Type | undefined;

/** The `openapi.v2.Document` type from our .proto (parsed once; field names kept in snake_case). */
export function gnosticDocumentType(): protobuf.Type {
  if (!documentType) {
    const source = readFileSync(fileURLToPath(new URL('./openapi-v2.proto', import.meta.url)), 'utf8');
    documentType = protobuf.parse(source, { keepCase: true }).root.lookupType('openapi.v2.Document');
  }
  return documentType;
}

/**
 * The gnostic message for a parsed Swagger 2.0 document, plus the JSON pointers of every value it could not carry
 * (unknown keys, wrong shapes). An empty `dropped` means the protobuf says everything the JSON says, up to proto3's
 * unset zero values (`false`, `0`, '') — the same loss kube-apiserver's gnostic conversion has.
 */
export function toGnosticDocument(swagger: Json): { message: Msg; dropped: string[] } {
  const ctx: Ctx = { dropped: [] };
  const message = (document.enc(swagger, '', ctx) as Msg | undefined) ?? {};
  return { message, dropped: ctx.dropped };
}

/**
 * /openapi/v2 as protobuf: `openapi.v2.Document` bytes for the served JSON text. Fields are written in field-number
 * order with zero values omitted, as Go's marshaller does. Values the schema cannot carry are left out (see
 * toGnosticDocument; the catalogue's tests keep that list empty).
 */
export function encodeOpenAPIV2(swaggerJSON: string): Uint8Array {
  const type = gnosticDocumentType();
  return type.encode(toGnosticDocument(JSON.parse(swaggerJSON) as Json).message).finish();
}

/** Decodes Document bytes back to Swagger JSON (for tests and debugging; zero values come back absent). */
export function decodeOpenAPIV2(bytes: Uint8Array): JsonObject {
  const type = gnosticDocumentType();
  const plain = type.toObject(type.decode(bytes), { longs: Number, defaults: false, arrays: false });
  return document.dec(plain) as JsonObject;
}
