// Go's value formatting (strconv.Quote, %q, encoding/json) as upstream error messages print values.

/** A value that prints as given: upstream types with a String() method (IntOrString, Quantity, …). */
export class GoText {
  constructor(readonly text: string) {}
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\x07': '\\a',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  '\v': '\\v',
  '\\': '\\\\',
};

/** Approximates Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** One code point as strconv.Quote writes it inside the quotes, with `quote` the delimiter to escape. */
function quoteRune(ch: string, quote: string): string {
  if (ch === quote) return `\\${quote}`;
  const simple = SIMPLE_ESCAPES[ch];
  if (simple !== undefined) return simple;
  const cp = ch.codePointAt(0) ?? 0xfffd;
  // Lone surrogates cannot come from valid UTF-8; Go would have seen U+FFFD there.
  if (cp >= 0xd800 && cp <= 0xdfff) return '\ufffd';
  if (PRINTABLE.test(ch)) return ch;
  if (cp < 0x80) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

/**
 * Go's strconv.Quote / fmt's %q for a string: double-quoted, escapes as Go writes them,
 * printable Unicode kept. Guarantees `goQuote('a"b') === '"a\\"b"'`.
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += quoteRune(ch, '"');
  return `${out}"`;
}

/**
 * How Go's encoding/scanner names one byte in a syntax error (`invalid character 'x' ...`):
 * the byte read as a code point, single-quoted. `byte` is 0–255.
 */
export function goQuoteByte(byte: number): string {
  if (byte === 0x27) return "'\\''";
  if (byte === 0x22) return `'"'`;
  return `'${quoteRune(String.fromCodePoint(byte), "'")}'`;
}

/** A JSON string literal as Go's encoding/json writes it (HTML-safe escapes for <, >, &, U+2028/9). */
function goJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0xfffd;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (cp < 0x20 || ch === '<' || ch === '>' || ch === '&' || cp === 0x2028 || cp === 0x2029) {
      out += `\\u${hex(cp, 4)}`;
    } else if (cp >= 0xd800 && cp <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return `${out}"`;
}

/**
 * A JSON value as Go's json.Marshal writes it: compact, object keys sorted (Go sorts map keys),
 * strings HTML-escaped. `undefined` is written as `null`, as Go writes a nil slice or map.
 */
export function goJsonMarshal(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return goJsonString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => goJsonMarshal(v)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${goJsonString(k)}:${goJsonMarshal((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return 'null';
}

/** Byte length of a string in UTF-8: Go's len() on a string, which upstream's length checks use. */
export function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
