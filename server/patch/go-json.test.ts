// The Go-compatible JSON reader: accepted input and Go's exact syntax errors.

import { describe, expect, it } from 'vitest';
import { GoJsonSyntaxError, parseGoJson } from './go-json.ts';

function syntaxError(text: string): string {
  try {
    parseGoJson(text);
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(GoJsonSyntaxError);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseGoJson', () => {
  it.each([
    '{}',
    '[]',
    ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9\\ud83d\\ude00"], "b": {"c": {}}} ',
    '0',
    '"s"',
    '[[[]]]',
    '-0.0E+1',
  ])('reads %j as JSON.parse does', (text) => {
    expect(parseGoJson(text).value).toEqual(JSON.parse(text));
  });

  it.each([
    ['', 'unexpected end of JSON input'],
    ['  \n', 'unexpected end of JSON input'],
    ['{', 'unexpected end of JSON input'],
    ['{"a"', 'unexpected end of JSON input'],
    ['{"a":', 'unexpected end of JSON input'],
    ['{"a":1', 'unexpected end of JSON input'],
    ['[', 'unexpected end of JSON input'],
    ['[1,', 'unexpected end of JSON input'],
    ['"abc', 'unexpected end of JSON input'],
    ['x', "invalid character 'x' looking for beginning of value"],
    ["'a'", "invalid character '\\'' looking for beginning of value"],
    ['\ufeff{}', "invalid character 'ï' looking for beginning of value"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['{a:1}', "invalid character 'a' looking for beginning of object key string"],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['{,}', "invalid character ',' looking for beginning of object key string"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['[,]', "invalid character ',' looking for beginning of value"],
    ['[1 2]', "invalid character '2' after array element"],
    ['01', "invalid character '1' after top-level value"],
    ['[01]', "invalid character '1' after array element"],
    ['[1]x', "invalid character 'x' after top-level value"],
    ['{}}', "invalid character '}' after top-level value"],
    ['-', "invalid character ' ' in numeric literal"],
    ['-a', "invalid character 'a' in numeric literal"],
    ['1.', "invalid character ' ' after decimal point in numeric literal"],
    ['1.x', "invalid character 'x' after decimal point in numeric literal"],
    ['1e', "invalid character ' ' in exponent of numeric literal"],
    ['1e+x', "invalid character 'x' in exponent of numeric literal"],
    ['tru', "invalid character ' ' in literal true (expecting 'e')"],
    ['trux', "invalid character 'x' in literal true (expecting 'e')"],
    ['nul', "invalid character ' ' in literal null (expecting 'l')"],
    ['fa', "invalid character ' ' in literal false (expecting 'l')"],
    ['"a\\x"', "invalid character 'x' in string escape code"],
    ['"a\\', "invalid character ' ' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ['"a\tb"', "invalid character '\\t' in string literal"],
    ['é', "invalid character 'Ã' looking for beginning of value"],
  ])('rejects %j as Go does: %s', (text, message) => {
    expect(syntaxError(text)).toBe(message);
  });

  it('allows 10000 levels of nesting and refuses the next, as Go does', () => {
    expect(() => parseGoJson(`${'['.repeat(10000)}${']'.repeat(10000)}`)).not.toThrow();
    expect(syntaxError('['.repeat(10001))).toBe("invalid character '[' exceeded max depth");
  });

  it('keeps every member in order, duplicates included, while the value keeps the last', () => {
    const doc = parseGoJson('{"a":1,"b":{"c":2},"a":3}');
    expect(doc.value).toEqual({ a: 3, b: { c: 2 } });
    expect(doc.members(doc.value as Record<string, unknown>).map(([k, v]) => [k, v])).toEqual([
      ['a', 1],
      ['b', { c: 2 }],
      ['a', 3],
    ]);
  });

  it('stores a __proto__ member as data without touching the prototype', () => {
    const value = parseGoJson('{"__proto__":{"polluted":true}}').value as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('replaces lone surrogates with U+FFFD as Go does', () => {
    expect(parseGoJson('"\\ud800x"').value).toBe('\ufffdx');
    expect(parseGoJson('"\\udc00"').value).toBe('\ufffd');
  });

  it('remembers the text of numbers too large for a float64', () => {
    const doc = parseGoJson('{"n":1e400,"a":[1,2e999]}');
    const obj = doc.value as Record<string, unknown>;
    expect(doc.members(obj)[0]).toEqual(['n', Infinity, '1e400']);
    expect(doc.overflowLiteral(obj.a as unknown[], 1)).toBe('2e999');
    expect(doc.overflowLiteral(obj.a as unknown[], 0)).toBeUndefined();
  });
});
