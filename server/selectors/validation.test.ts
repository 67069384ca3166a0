// Go-style value formatting and upstream format checks used by selector errors.

import { describe, expect, it } from 'vitest';
import { goJsonMarshal, goQuote, goQuoteByte } from './go-format.ts';
import {
  aggregateMessage,
  fieldError,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  validateLabels,
} from './validation.ts';

describe('goQuote', () => {
  it.each([
    ['abc', '"abc"'],
    ['a"b', '"a\\"b"'],
    ['a\\b', '"a\\\\b"'],
    ['tab\there', '"tab\\there"'],
    ['nl\n', '"nl\\n"'],
    ['\x01', '"\\x01"'],
    ['\x7f', '"\\x7f"'],
    ['héllo', '"héllo"'],
    ['\u00a0', '"\\u00a0"'],
    ['\u200b', '"\\u200b"'],
  ])('quotes %j as Go %%q does: %s', (input, quoted) => {
    expect(goQuote(input)).toBe(quoted);
  });
});

describe('goQuoteByte', () => {
  it.each([
    [0x78, "'x'"],
    [0x27, "'\\''"],
    [0x22, `'"'`],
    [0x0a, "'\\n'"],
    [0x00, "'\\x00'"],
    [0xc3, "'Ã'"],
  ])('names byte %i as Go scanner errors do: %s', (byte, text) => {
    expect(goQuoteByte(byte)).toBe(text);
  });
});

describe('goJsonMarshal', () => {
  it.each([
    [null, 'null'],
    [undefined, 'null'],
    [['a', 'b'], '["a","b"]'],
    [{ b: 1, a: true }, '{"a":true,"b":1}'],
    ['<&>', '"\\u003c\\u0026\\u003e"'],
  ])('writes %j as Go json.Marshal does', (value, text) => {
    expect(goJsonMarshal(value)).toBe(text);
  });
});

describe('format checks', () => {
  it.each(['a', 'A', 'a.b-c_d', 'example.com/a', 'a1', `${'x'.repeat(63)}`, `${'a'.repeat(253)}/b`])(
    'accepts qualified name %j',
    (name) => {
      expect(isQualifiedName(name)).toEqual([]);
    },
  );

  it.each([
    ['', ['name part must be non-empty', expect.stringMatching(/^name part must consist of/)]],
    ['-a', [expect.stringMatching(/^name part must consist of/)]],
    ['a/b/c', [expect.stringMatching(/^a qualified name must consist of .* with an optional DNS subdomain prefix/)]],
    [`${'a'.repeat(254)}/b`, ['prefix part must be no more than 253 characters']],
  ])('rejects qualified name %j', (name, problems) => {
    expect(isQualifiedName(name)).toEqual(problems);
  });

  it('accepts empty and simple label values and rejects long or punctuated ones', () => {
    expect(isValidLabelValue('')).toEqual([]);
    expect(isValidLabelValue('v1.2_3-x')).toEqual([]);
    expect(isValidLabelValue('x'.repeat(64))).toEqual(['must be no more than 63 characters']);
    expect(isValidLabelValue('a b')).toHaveLength(1);
  });

  it('checks DNS subdomains in lower case only', () => {
    expect(isDNS1123Subdomain('a.b-c')).toEqual([]);
    expect(isDNS1123Subdomain('A.b')).toHaveLength(1);
  });
});

describe('field errors', () => {
  it('renders bodies as field.Error.ErrorBody does', () => {
    expect(fieldError('FieldValueInvalid', 'f', 'x', 'bad').message).toBe('Invalid value: "x": bad');
    expect(fieldError('FieldValueInvalid', 'f', 3, 'bad').message).toBe('Invalid value: 3: bad');
    expect(fieldError('FieldValueInvalid', 'f', ['a'], 'bad').message).toBe('Invalid value: ["a"]: bad');
    expect(fieldError('FieldValueRequired', 'f', '', 'needed').message).toBe('Required value: needed');
    expect(fieldError('FieldValueForbidden', 'f', '', '').message).toBe('Forbidden');
  });

  it('aggregates like utilerrors: one alone, several bracketed and de-duplicated', () => {
    const a = fieldError('FieldValueInvalid', 'f', 'x', 'bad');
    const b = fieldError('FieldValueInvalid', 'g', 'y', 'bad');
    expect(aggregateMessage([a])).toBe('f: Invalid value: "x": bad');
    expect(aggregateMessage([a, a])).toBe('f: Invalid value: "x": bad');
    expect(aggregateMessage([a, b])).toBe('[f: Invalid value: "x": bad, g: Invalid value: "y": bad]');
  });

  it('validates labels in key order with the map path as field', () => {
    expect(validateLabels({ ok: 'fine', 'b c': 'v' }, 'metadata.labels').map((e) => e.field)).toEqual(['metadata.labels']);
    expect(validateLabels(undefined, 'metadata.labels')).toEqual([]);
  });
});
