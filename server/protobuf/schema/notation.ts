// Our compact notation for the protobuf schema of Kubernetes API types, and its parser.
//
// One string per message lists its fields in Go declaration order (the order encoding/json writes them):
//
//   <json>[?]=<number>:<type>
//
//   json     the JSON name; empty for a Go embedded struct whose fields JSON inlines into the parent
//   ?        Go's `omitempty`
//   number   the protobuf field number (0: JSON-only field, never on the wire)
//   type     [modifier]<elem>, modifier one of
//              *   pointer (nil → absent/null; present zero values are kept)
//              []  repeated
//              {}  map<string, elem> (wire: repeated entry {key = 1, value = 2}); `{}~elem` for wrapper values
//              ~   named slice carried as a wrapper message {repeated elem items = 1} (e.g. ExtraValue)
//            elem one of
//              s b i32 i64 f64 bytes           string, bool, ints, double, []byte (base64 in JSON)
//              time mtime dur ios q raw fv1    meta.v1 Time/MicroTime/Duration, IntOrString, Quantity,
//                                              runtime.RawExtension, meta.v1 FieldsV1
//              <group>.<version>.<Type>         another message of the table

export type Shape = 'value' | 'pointer' | 'list' | 'map' | 'wrapped';

export const SCALARS = ['s', 'b', 'i32', 'i64', 'f64', 'bytes'] as const;
export const SPECIALS = ['time', 'mtime', 'dur', 'ios', 'q', 'raw', 'fv1'] as const;
export type ScalarElem = (typeof SCALARS)[number];
export type SpecialElem = (typeof SPECIALS)[number];

export interface FieldSpec {
  no: number;
  /** '' when inline. */
  json: string;
  inline: boolean;
  omitEmpty: boolean;
  shape: Shape;
  /** A scalar or special code, or a message name. */
  elem: string;
  /** Map values that are named-slice wrapper messages (`{}~elem`). */
  wrappedValues: boolean;
}

export interface MessageSpec {
  name: string;
  fields: readonly FieldSpec[];
  byNumber: ReadonlyMap<number, FieldSpec>;
}

const FIELD = /^([A-Za-z0-9_]*)(\?)?=(\d+):(\*|\[\]|\{\}|~)?(~)?([A-Za-z0-9_.]+)$/;
const MODIFIERS: Record<string, Shape> = { '*': 'pointer', '[]': 'list', '{}': 'map', '~': 'wrapped' };

/** True for a message reference (`pkg.version.Type`), false for scalar and special codes. */
export function isMessageElem(elem: string): boolean {
  return elem.includes('.');
}

/** Parses one message's field list; throws on anything outside the notation (a table bug, caught by tests). */
export function parseMessage(name: string, text: string): MessageSpec {
  const fields: FieldSpec[] = [];
  const byNumber = new Map<number, FieldSpec>();
  for (const part of text.split(' ').filter(Boolean)) {
    const m = FIELD.exec(part);
    if (!m) throw new Error(`schema ${name}: cannot parse field "${part}"`);
    const [, json, omit, no, modifier, wrapped, elem] = m;
    if (wrapped && modifier !== '{}') throw new Error(`schema ${name}: "~" after "${modifier ?? ''}" in "${part}"`);
    if (!isMessageElem(elem) && !(SCALARS as readonly string[]).includes(elem) && !(SPECIALS as readonly string[]).includes(elem)) {
      throw new Error(`schema ${name}: unknown type "${elem}" in "${part}"`);
    }
    const field: FieldSpec = { no: Number(no), json, inline: json === '', omitEmpty: omit === '?', shape: modifier ? MODIFIERS[modifier] : 'value', elem, wrappedValues: wrapped === '~' };
    if (field.inline && (field.shape !== 'value' || !isMessageElem(elem))) throw new Error(`schema ${name}: inline field "${part}" must be a message value`);
    fields.push(field);
    if (field.no > 0) {
      if (byNumber.has(field.no)) throw new Error(`schema ${name}: field number ${field.no} twice`);
      byNumber.set(field.no, field);
    }
  }
  return { name, fields, byNumber };
}
