// Decodes Kubernetes protobuf request bodies (`k8s\0` + runtime.Unknown) into the JSON object a JSON client would send.
import { createLogger } from '../log.ts';
import { messageNameForKind, messageSpec } from './schema/index.ts';
import { isMessageElem, type FieldSpec, type MessageSpec } from './schema/notation.ts';
import { formatDuration, formatMicroTime, formatTime } from './format.ts';
import { concat, ProtobufDecodeError, readFields, readPackedVarints, WireType, type WireField } from './wire.ts';

const log = createLogger('protobuf');

/** The 4-byte prefix of every Kubernetes protobuf payload. */
export const KUBE_PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface KubeObject extends JsonObject {
  apiVersion: string;
  kind: string;
}

/** What a field collected from the wire: the payloads in order (messages are merged by concatenation). */
interface Collected {
  varints: bigint[];
  chunks: Uint8Array[];
}

const EMPTY = new Uint8Array(0);
const VARINT_ELEMS = new Set(['b', 'i32', 'i64']);

/**
 * Decodes a Kubernetes protobuf body into the JSON object upstream's JSON encoding of the decoded Go struct would
 * give: JSON field names, Go `omitempty` rules, `null` for nil pointers/slices/maps without omitempty, `{}` for
 * zero structs, RFC 3339 times, base64 `[]byte`, IntOrString as number or string. apiVersion and kind come from the
 * envelope (or `expected` when the envelope leaves them empty) and are the first keys.
 *
 * Unknown field numbers are skipped, as protobuf does. Throws ProtobufDecodeError: `unsupported` (→ 415) when a
 * message, kind or envelope encoding is outside our schema; otherwise (→ 400) for malformed data.
 */
export function decodeKubeProtobuf(body: Uint8Array, expected?: { apiVersion: string; kind: string }): KubeObject {
  if (body.length < 4 || !KUBE_PROTOBUF_MAGIC.equals(body.subarray(0, 4))) {
    throw new ProtobufDecodeError(`provided data does not appear to be a protobuf message, expected prefix [${[...KUBE_PROTOBUF_MAGIC].join(' ')}]`);
  }
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = EMPTY;
  let contentEncoding = '';
  let contentType = '';
  for (const f of readFields(body.subarray(4))) {
    if (f.no === 1 && f.wireType === WireType.Bytes) {
      for (const t of readFields(f.value)) {
        if (t.no === 1 && t.wireType === WireType.Bytes) apiVersion = text(t.value);
        else if (t.no === 2 && t.wireType === WireType.Bytes) kind = text(t.value);
      }
    } else if (f.no === 2 && f.wireType === WireType.Bytes) raw = f.value;
    else if (f.no === 3 && f.wireType === WireType.Bytes) contentEncoding = text(f.value);
    else if (f.no === 4 && f.wireType === WireType.Bytes) contentType = text(f.value);
  }
  if (!apiVersion && !kind && expected) ({ apiVersion, kind } = expected);
  if (!kind) throw new ProtobufDecodeError(`Object 'Kind' is missing in protobuf envelope`);
  if (contentEncoding) throw new ProtobufDecodeError(`protobuf envelope content encoding "${contentEncoding}" is not supported`, true);
  if (contentType && contentType !== 'application/vnd.kubernetes.protobuf') {
    if (contentType !== 'application/json') throw new ProtobufDecodeError(`protobuf envelope content type "${contentType}" is not supported`, true);
    const inner = parseJson(raw, 'envelope raw');
    if (!inner || typeof inner !== 'object' || Array.isArray(inner)) throw new ProtobufDecodeError('protobuf envelope carries JSON that is not an object');
    return { ...inner, apiVersion, kind } as KubeObject;
  }
  const name = messageNameForKind(apiVersion, kind);
  const spec = name ? messageSpec(name) : undefined;
  if (!spec) {
    throw new ProtobufDecodeError(`protobuf decoding of ${apiVersion || '(no apiVersion)'}, Kind=${kind} (message ${name ?? 'unknown'}) is not supported; send application/json`, true);
  }
  return { apiVersion, kind, ...decodeMessage(spec, raw, kind) };
}

function text(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

function parseJson(b: Uint8Array, at: string): Json {
  try {
    return JSON.parse(text(b)) as Json;
  } catch (e: unknown) {
    throw new ProtobufDecodeError(`${at}: embedded JSON is malformed: ${(e as Error).message}`);
  }
}

function spec(name: string, at: string): MessageSpec {
  const s = messageSpec(name);
  if (!s) throw new ProtobufDecodeError(`${at}: protobuf message ${name} is not supported`, true);
  return s;
}

/** Decodes one message's bytes into its JSON object (all fields, with Go's JSON omission rules). */
export function decodeMessage(message: MessageSpec, data: Uint8Array, at: string): JsonObject {
  const collected = new Map<FieldSpec, Collected>();
  for (const w of readFields(data)) {
    const field = message.byNumber.get(w.no);
    if (!field) {
      log.debug('skipping unknown protobuf field', { message: message.name, field: w.no, wireType: w.wireType, at });
      continue;
    }
    let c = collected.get(field);
    if (!c) collected.set(field, (c = { varints: [], chunks: [] }));
    collect(field, w, c, `${at}.${field.json || field.elem}`);
  }
  const out: JsonObject = {};
  for (const field of message.fields) {
    const c = collected.get(field);
    const where = `${at}.${field.json || field.elem}`;
    if (field.inline) {
      // Go's JSON inlines an embedded struct's fields; an outer field of the same name wins.
      const inner = decodeMessage(spec(field.elem, where), c ? concat(c.chunks) : EMPTY, where);
      for (const [k, v] of Object.entries(inner)) if (!(k in out)) out[k] = v;
      continue;
    }
    const value = fieldValue(field, c, where);
    if (value !== OMIT) out[field.json] = value;
  }
  return out;
}

function collect(field: FieldSpec, w: WireField, c: Collected, at: string): void {
  const list = field.shape === 'list';
  const scalarShape = field.shape === 'value' || field.shape === 'pointer' || list;
  if (scalarShape && VARINT_ELEMS.has(field.elem)) {
    if (w.wireType === WireType.Varint) {
      if (list) c.varints.push(w.value);
      else c.varints = [w.value];
      return;
    }
    if (w.wireType === WireType.Bytes && list) {
      c.varints.push(...readPackedVarints(w.value));
      return;
    }
  } else if (scalarShape && field.elem === 'f64') {
    if (w.wireType === WireType.Fixed64) {
      if (list) c.chunks.push(w.value);
      else c.chunks = [w.value];
      return;
    }
    if (w.wireType === WireType.Bytes && list && w.value.length % 8 === 0) {
      for (let i = 0; i < w.value.length; i += 8) c.chunks.push(w.value.subarray(i, i + 8));
      return;
    }
  } else if (w.wireType === WireType.Bytes) {
    // A string or []byte field is last-one-wins; embedded messages merge (concatenate) and lists/maps append.
    const lastWins = (field.shape === 'value' || field.shape === 'pointer') && (field.elem === 's' || field.elem === 'bytes');
    if (lastWins) c.chunks = [w.value];
    else c.chunks.push(w.value);
    return;
  }
  throw new ProtobufDecodeError(`${at}: wire type ${w.wireType} does not fit field ${field.no} (${field.shape} ${field.elem})`);
}

const OMIT = Symbol('omit');

function fieldValue(field: FieldSpec, c: Collected | undefined, at: string): Json | typeof OMIT {
  const present = c !== undefined && (c.varints.length > 0 || c.chunks.length > 0);
  switch (field.shape) {
    case 'value': {
      const v = present ? single(field.elem, c, at) : zeroValue(field.elem, at);
      if (field.omitEmpty && isEmpty(field.elem, v)) return OMIT;
      return v;
    }
    case 'pointer':
      if (!present) return field.omitEmpty ? OMIT : null;
      return single(field.elem, c, at);
    case 'list': {
      const items: Json[] = VARINT_ELEMS.has(field.elem) ? c?.varints.map((v) => varintValue(field.elem, v)) ?? [] : c?.chunks.map((b, i) => element(field.elem, b, `${at}[${i}]`)) ?? [];
      if (items.length === 0) return field.omitEmpty ? OMIT : null;
      return items;
    }
    case 'wrapped': {
      const items = wrappedItems(field.elem, c ? concat(c.chunks) : EMPTY, at);
      if (items === null) return field.omitEmpty ? OMIT : null;
      return items;
    }
    case 'map': {
      if (!present) return field.omitEmpty ? OMIT : null;
      const entries = new Map<string, Json>();
      for (const chunk of c.chunks) {
        let key = '';
        let value: Uint8Array | undefined;
        for (const e of readFields(chunk)) {
          if (e.no === 1 && e.wireType === WireType.Bytes) key = text(e.value);
          else if (e.no === 2 && e.wireType === WireType.Bytes) value = e.value;
          else if (e.no === 1 || e.no === 2) throw new ProtobufDecodeError(`${at}: map entry field ${e.no} has wire type ${e.wireType}`);
        }
        entries.set(key, mapValue(field, value, `${at}[${JSON.stringify(key)}]`));
      }
      // encoding/json writes map keys sorted.
      const out: JsonObject = {};
      for (const k of [...entries.keys()].sort()) out[k] = entries.get(k)!;
      return out;
    }
  }
}

function mapValue(field: FieldSpec, value: Uint8Array | undefined, at: string): Json {
  // Go's generated map decoding starts a []byte value as empty (not nil), so a missing one is "".
  if (field.elem === 'bytes') return Buffer.from(value ?? EMPTY).toString('base64');
  if (field.wrappedValues) return wrappedItems(field.elem, value ?? EMPTY, at);
  if (value === undefined) return zeroValue(field.elem, at);
  return element(field.elem, value, at);
}

/** A named-slice wrapper message {repeated elem items = 1}; null when it holds no items (a nil Go slice). */
function wrappedItems(elem: string, data: Uint8Array, at: string): Json[] | null {
  const items: Json[] = [];
  for (const w of readFields(data)) {
    if (w.no !== 1) continue;
    if (VARINT_ELEMS.has(elem) && w.wireType === WireType.Varint) items.push(varintValue(elem, w.value));
    else if (w.wireType === WireType.Bytes) items.push(element(elem, w.value, `${at}[${items.length}]`));
    else throw new ProtobufDecodeError(`${at}: wrapped item has wire type ${w.wireType}`);
  }
  return items.length ? items : null;
}

/** The value of a singular field that was on the wire. */
function single(elem: string, c: Collected, at: string): Json {
  if (VARINT_ELEMS.has(elem)) return varintValue(elem, c.varints[c.varints.length - 1]);
  return element(elem, concat(c.chunks), at);
}

function varintValue(elem: string, v: bigint): Json {
  if (elem === 'b') return v !== 0n;
  if (elem === 'i32') return Number(BigInt.asIntN(32, v));
  return Number(BigInt.asIntN(64, v));
}

/** A length-delimited (or fixed64) payload of one element type as JSON. */
function element(elem: string, b: Uint8Array, at: string): Json {
  switch (elem) {
    case 's':
      return text(b);
    case 'bytes':
      return Buffer.from(b).toString('base64');
    case 'f64':
      if (b.length !== 8) throw new ProtobufDecodeError(`${at}: double must be 8 bytes`);
      return Buffer.from(b).readDoubleLE(0);
    case 'time':
    case 'mtime': {
      // An empty Time message is the zero time, which JSON writes as null.
      if (b.length === 0) return null;
      const { seconds = 0n, nanos = 0n } = varintFields(b, { seconds: 1, nanos: 2 }, at);
      try {
        return elem === 'time' ? formatTime(BigInt.asIntN(64, seconds)) : formatMicroTime(BigInt.asIntN(64, seconds), BigInt.asIntN(32, nanos));
      } catch (e: unknown) {
        throw new ProtobufDecodeError(`${at}: ${(e as Error).message}`);
      }
    }
    case 'dur':
      return formatDuration(BigInt.asIntN(64, varintFields(b, { duration: 1 }, at).duration ?? 0n));
    case 'ios': {
      const { type = 0n, intVal = 0n } = varintFields(b, { type: 1, intVal: 2 }, at);
      if (type === 0n) return Number(BigInt.asIntN(32, intVal));
      if (type === 1n) return stringField(b, 3) ?? '';
      throw new ProtobufDecodeError(`${at}: impossible IntOrString.Type ${type}`);
    }
    case 'q': {
      const s = stringField(b, 1);
      if (s === undefined) return '0';
      if (!/^[+-]?[0-9.]+[eEinumkKMGTP]*[-+]?[0-9]*$/.test(s)) throw new ProtobufDecodeError(`${at}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`);
      return s;
    }
    case 'raw':
    case 'fv1': {
      const raw = bytesField(b, 1);
      if (raw === undefined || raw.length === 0) return null;
      if (elem === 'raw' && raw.length >= 4 && KUBE_PROTOBUF_MAGIC.equals(raw.subarray(0, 4))) return decodeKubeProtobuf(raw);
      return parseJson(raw, at);
    }
    default:
      if (!isMessageElem(elem)) throw new ProtobufDecodeError(`${at}: element type ${elem} is not modelled`, true);
      return decodeMessage(spec(elem, at), b, at);
  }
}

/** The JSON of a field that was not on the wire: Go's zero value. */
function zeroValue(elem: string, at: string): Json {
  switch (elem) {
    case 's':
      return '';
    case 'b':
      return false;
    case 'i32':
    case 'i64':
    case 'f64':
    case 'ios':
      return 0;
    case 'dur':
      return '0s';
    case 'q':
      return '0';
    case 'bytes':
    case 'time':
    case 'mtime':
    case 'raw':
    case 'fv1':
      return null;
    default:
      return decodeMessage(spec(elem, at), EMPTY, at);
  }
}

/** Go's omitempty test; structs (messages and the special types) are never empty. */
function isEmpty(elem: string, v: Json): boolean {
  switch (elem) {
    case 's':
      return v === '';
    case 'b':
      return v === false;
    case 'i32':
    case 'i64':
    case 'f64':
      return v === 0;
    case 'bytes':
      return v === null || v === '';
    default:
      return false;
  }
}

function varintFields<K extends string>(b: Uint8Array, numbers: Record<K, number>, at: string): Partial<Record<K, bigint>> {
  const out: Partial<Record<K, bigint>> = {};
  for (const w of readFields(b)) {
    for (const key of Object.keys(numbers) as K[]) {
      if (numbers[key] !== w.no) continue;
      if (w.wireType !== WireType.Varint) throw new ProtobufDecodeError(`${at}: field ${w.no} must be a varint`);
      out[key] = w.value;
    }
  }
  return out;
}

function bytesField(b: Uint8Array, no: number): Uint8Array | undefined {
  let found: Uint8Array | undefined;
  for (const w of readFields(b)) if (w.no === no && w.wireType === WireType.Bytes) found = w.value;
  return found;
}

function stringField(b: Uint8Array, no: number): string | undefined {
  const v = bytesField(b, no);
  return v === undefined ? undefined : text(v);
}
