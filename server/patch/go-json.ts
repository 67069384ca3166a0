// A JSON reader that fails exactly where Go's encoding/json fails, with Go's error texts, and keeps duplicate members.

import { goQuoteByte } from '../selectors/go-format.ts';
import { type JsonObject, setOwn } from './json-value.ts';

/** A Go json.SyntaxError: `message` is its Error() text, `offset` the index in the input text. */
export class GoJsonSyntaxError extends Error {
  override readonly name = 'GoJsonSyntaxError';

  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** One object member as written: duplicates are all kept; `literal` is set for numbers that overflow a float64. */
export type Member = readonly [key: string, value: unknown, literal?: string];

export interface ParsedJson {
  /** The value as JSON.parse would build it (last duplicate wins), lone surrogates read as U+FFFD as Go does. */
  readonly value: unknown;
  /** Every member of an object from this document, in document order, duplicates included. */
  members(obj: JsonObject): readonly Member[];
  /** The source text of array element `index` when it is a number too large for a float64. */
  overflowLiteral(array: readonly unknown[], index: number): string | undefined;
}

/** Go's maxNestingDepth. */
const MAX_DEPTH = 10000;

const SIMPLE_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['"', '"'],
  ['\\', '\\'],
  ['/', '/'],
  ['b', '\b'],
  ['f', '\f'],
  ['n', '\n'],
  ['r', '\r'],
  ['t', '\t'],
]);

const isWhitespace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/** The first byte of the UTF-8 encoding of the code point at `at` (Go's scanner reports bytes). */
function firstByte(text: string, at: number): number {
  let cp = text.codePointAt(at) ?? 0xfffd;
  if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
  if (cp < 0x80) return cp;
  if (cp < 0x800) return 0xc0 | (cp >> 6);
  if (cp < 0x10000) return 0xe0 | (cp >> 12);
  return 0xf0 | (cp >> 18);
}

type Frame =
  | { readonly kind: 'array'; readonly array: unknown[]; readonly overflow: Map<number, string> }
  | { readonly kind: 'object'; readonly object: JsonObject; readonly members: Member[]; key: string };

/**
 * Parses `text` as Go's json.Unmarshal would accept it: same grammar, same nesting limit, same
 * first error. Guarantees: on success the value equals JSON.parse(text) except that lone UTF-16
 * surrogates become U+FFFD and own `__proto__` members are plain data.
 * @throws GoJsonSyntaxError, e.g. `invalid character 'x' looking for beginning of value` or `unexpected end of JSON input`.
 */
export function parseGoJson(text: string): ParsedJson {
  const membersOf = new WeakMap<object, Member[]>();
  const overflowOf = new WeakMap<object, Map<number, string>>();
  const n = text.length;
  const stack: Frame[] = [];
  let i = 0;

  // At end of input Go's scanner feeds one space, so a truncated token reports ' '.
  const fail = (context: string, at = i): never => {
    const byte = at < n ? firstByte(text, at) : 0x20;
    throw new GoJsonSyntaxError(`invalid character ${goQuoteByte(byte)} ${context}`, at);
  };
  const unexpectedEnd = (): never => {
    throw new GoJsonSyntaxError('unexpected end of JSON input', n);
  };
  const skipWhitespace = (): void => {
    while (isWhitespace(text[i])) i++;
  };

  const readString = (): string => {
    i++; // opening quote
    let out = '';
    let runStart = i;
    for (;;) {
      if (i >= n) unexpectedEnd();
      const c = text[i]!;
      const code = c.charCodeAt(0);
      if (c !== '"' && c !== '\\' && code >= 0x20 && (code < 0xd800 || code > 0xdfff)) {
        i++;
        continue;
      }
      out += text.slice(runStart, i);
      if (c === '"') {
        i++;
        return out;
      }
      if (code < 0x20) fail('in string literal');
      if (c !== '\\') {
        // A raw surrogate: keep a well-formed pair, replace a lone one.
        const next = text.charCodeAt(i + 1);
        if (code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          out += text.slice(i, i + 2);
          i += 2;
        } else {
          out += '\ufffd';
          i++;
        }
        runStart = i;
        continue;
      }
      i++; // backslash
      const e = text[i];
      if (e === undefined) fail('in string escape code');
      const simple = SIMPLE_ESCAPES.get(e!);
      if (simple !== undefined) {
        out += simple;
        i++;
      } else if (e === 'u') {
        i++;
        for (let k = 0; k < 4; k++) if (!isHex(text[i + k])) fail('in \\u hexadecimal character escape', i + k);
        const unit = parseInt(text.slice(i, i + 4), 16);
        i += 4;
        if (unit >= 0xd800 && unit <= 0xdfff) {
          const pair = /^\\u([dD][c-fC-F][0-9a-fA-F]{2})/.exec(text.slice(i, i + 6));
          if (unit <= 0xdbff && pair) {
            out += String.fromCharCode(unit, parseInt(pair[1]!, 16));
            i += 6;
          } else {
            out += '\ufffd';
          }
        } else {
          out += String.fromCharCode(unit);
        }
      } else {
        fail('in string escape code');
      }
      runStart = i;
    }
  };

  const readNumber = (): [number, string] => {
    const start = i;
    if (text[i] === '-') {
      i++;
      if (!isDigit(text[i])) fail('in numeric literal');
    }
    if (text[i] === '0') i++;
    else while (isDigit(text[i])) i++;
    if (text[i] === '.') {
      i++;
      if (!isDigit(text[i])) fail('after decimal point in numeric literal');
      while (isDigit(text[i])) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!isDigit(text[i])) fail('in exponent of numeric literal');
      while (isDigit(text[i])) i++;
    }
    const literal = text.slice(start, i);
    return [Number(literal), literal];
  };

  const readLiteral = (word: 'true' | 'false' | 'null'): void => {
    for (let k = 1; k < word.length; k++) {
      if (text[i + k] !== word[k]) fail(`in literal ${word} (expecting '${word[k]}')`, i + k);
    }
    i += word.length;
  };

  /** After `{` or `,` inside an object: a key string and its colon. */
  const readKey = (): string => {
    skipWhitespace();
    if (i >= n) unexpectedEnd();
    if (text[i] !== '"') fail('looking for beginning of object key string');
    const key = readString();
    skipWhitespace();
    if (i >= n) unexpectedEnd();
    if (text[i] !== ':') fail('after object key');
    i++;
    return key;
  };

  for (;;) {
    // Expecting the beginning of a value.
    skipWhitespace();
    if (i >= n) unexpectedEnd();
    const c = text[i]!;
    let value: unknown;
    let literal: string | undefined;
    if (c === '{' || c === '[') {
      if (stack.length + 1 > MAX_DEPTH) fail('exceeded max depth');
      i++;
      skipWhitespace();
      if (c === '{') {
        const object: JsonObject = {};
        const members: Member[] = [];
        membersOf.set(object, members);
        if (text[i] === '}') {
          i++;
          value = object;
        } else {
          stack.push({ kind: 'object', object, members, key: readKey() });
          continue;
        }
      } else {
        const array: unknown[] = [];
        const overflow = new Map<number, string>();
        overflowOf.set(array, overflow);
        if (text[i] === ']') {
          i++;
          value = array;
        } else {
          stack.push({ kind: 'array', array, overflow });
          continue;
        }
      }
    } else if (c === '"') {
      value = readString();
    } else if (c === '-' || isDigit(c)) {
      const [num, source] = readNumber();
      value = num;
      if (!Number.isFinite(num)) literal = source;
    } else if (c === 't' || c === 'f' || c === 'n') {
      const word = c === 't' ? 'true' : c === 'f' ? 'false' : 'null';
      readLiteral(word);
      value = word === 'null' ? null : word === 'true';
    } else {
      fail('looking for beginning of value');
    }

    // A value is complete: hand it to its container, closing containers as they end.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        skipWhitespace();
        if (i < n) fail('after top-level value');
        const result = value;
        return {
          value: result,
          members: (obj) => membersOf.get(obj) ?? [],
          overflowLiteral: (array, index) => overflowOf.get(array)?.get(index),
        };
      }
      if (top.kind === 'array') {
        if (literal !== undefined) top.overflow.set(top.array.length, literal);
        top.array.push(value);
      } else {
        top.members.push(literal === undefined ? [top.key, value] : [top.key, value, literal]);
        setOwn(top.object, top.key, value);
      }
      literal = undefined;
      skipWhitespace();
      if (i >= n) unexpectedEnd();
      const d = text[i];
      if (d === ',') {
        i++;
        if (top.kind === 'object') top.key = readKey();
        break;
      }
      if ((top.kind === 'array' && d === ']') || (top.kind === 'object' && d === '}')) {
        i++;
        stack.pop();
        value = top.kind === 'array' ? top.array : top.object;
        continue;
      }
      fail(top.kind === 'array' ? 'after array element' : 'after object key:value pair');
    }
  }
}
