// Label selector parsing, matching, conversion and validation against upstream's texts.

import { describe, expect, it } from 'vitest';
import { SelectorParseError } from './errors.ts';
import {
  formatLabelSelector,
  labelSelectorAsSelector,
  type LabelSelector,
  parseLabelSelector,
  selectorFromSet,
  validateLabelSelector,
} from './labels.ts';

const NAME_PART =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
  "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function parseError(selector: string): string {
  try {
    parseLabelSelector(selector);
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(SelectorParseError);
    return (e as SelectorParseError).message;
  }
  throw new Error(`expected ${JSON.stringify(selector)} to be rejected`);
}

describe('parseLabelSelector', () => {
  it.each([
    ['', ''],
    ['   ', ''],
    ['a=b', 'a=b'],
    ['a==b', 'a==b'],
    ['a!=b', 'a!=b'],
    ['a', 'a'],
    ['!a', '!a'],
    ['a in (x,y)', 'a in (x,y)'],
    ['a notin (y,x)', 'a notin (x,y)'],
    ['a in (x)', 'a in (x)'],
    ['a>5', 'a>5'],
    ['a<50', 'a<50'],
    ['  a = b ,  c  ', 'a=b,c'],
    ['\ta\n=\rb', 'a=b'],
    ['z=1,a=2,m', 'a=2,m,z=1'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['a in (,x)', 'a in (,x)'],
    ['a in (x,)', 'a in (,x)'],
    ['a in (b,b)', 'a in (b)'],
    ['a=', 'a='],
    ['a=,b', 'a=,b'],
    ['in in (in, notin)', 'in in (in,notin)'],
    ['a==in', 'a==in'],
    ['example.com/app=web', 'example.com/app=web'],
  ])('parses %j and prints it back as %j', (selector, printed) => {
    expect(parseLabelSelector(selector).toString()).toBe(printed);
  });

  it('calls an empty selector empty and a non-empty one not', () => {
    expect(parseLabelSelector('').empty).toBe(true);
    expect(parseLabelSelector('a').empty).toBe(false);
  });

  it.each([
    ['a=b', { a: 'b' }, true],
    ['a=b', { a: 'c' }, false],
    ['a=b', {}, false],
    ['a==b', { a: 'b' }, true],
    ['a!=b', { a: 'c' }, true],
    ['a!=b', { a: 'b' }, false],
    ['a!=b', {}, true],
    ['a in (x,y)', { a: 'y' }, true],
    ['a in (x,y)', { a: 'z' }, false],
    ['a in (x,y)', {}, false],
    ['a notin (x,y)', { a: 'z' }, true],
    ['a notin (x,y)', { a: 'x' }, false],
    ['a notin (x,y)', {}, true],
    ['a', { a: '' }, true],
    ['a', { b: '' }, false],
    ['!a', { b: '' }, true],
    ['!a', { a: 'x' }, false],
    ['a=', { a: '' }, true],
    ['a=', {}, false],
    ['a in ()', { a: '' }, true],
    ['a>5', { a: '6' }, true],
    ['a>5', { a: '5' }, false],
    ['a>5', { a: 'x' }, false],
    ['a>5', {}, false],
    ['a<5', { a: '-3' }, true],
    ['a<5', { a: '99999999999999999999' }, false],
    ['a=b,c', { a: 'b', c: '1' }, true],
    ['a=b,c', { a: 'b' }, false],
    ['', {}, true],
    ['toString', {}, false],
  ])('%j against %j matches: %s', (selector, labels, expected) => {
    expect(parseLabelSelector(selector).matches(labels)).toBe(expected);
  });

  it('treats undefined labels as no labels', () => {
    expect(parseLabelSelector('!a').matches(undefined)).toBe(true);
    expect(parseLabelSelector('a').matches(undefined)).toBe(false);
  });

  it('reports the single value a key is pinned to', () => {
    const s = parseLabelSelector('a=1,b in (2),c in (3,4),d!=5');
    expect(s.requiresExactMatch('a')).toBe('1');
    expect(s.requiresExactMatch('b')).toBe('2');
    expect(s.requiresExactMatch('c')).toBeUndefined();
    expect(s.requiresExactMatch('d')).toBeUndefined();
    expect(s.requiresExactMatch('e')).toBeUndefined();
  });

  it.each([
    // The Status message upstream returns for ?labelSelector=a%20in%20 (400 BadRequest).
    ['a in ', "unable to parse requirement: found '' expected: '('"],
    ['a in x', "unable to parse requirement: found 'x' expected: '('"],
    ['a in (x', "unable to parse requirement: found '', expected: ',' or ')'"],
    ['a in (x y)', "unable to parse requirement: found 'y', expected: ',' or ')'"],
    ['a in (x,=)', "unable to parse requirement: found '=', expected: ',', or identifier"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['a!b', "unable to parse requirement: found '!', expected: in, notin, =, ==, !=, gt, lt"],
    ['a=(b)', "unable to parse requirement: found '(', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['!=a', "found '!=', expected: !, identifier, or 'end of string'"],
    ['!!a', "unable to parse requirement: found '!', expected: identifier"],
    [',', "found ',', expected: !, identifier, or 'end of string'"],
    ['=a', "found '=', expected: !, identifier, or 'end of string'"],
    ['a,', "found '', expected: identifier after ','"],
    ['a,,b', "found ',', expected: identifier after ','"],
    ['a=b=c', "found '=', expected: ',' or 'end of string'"],
    ['!a=b', "found '=', expected: ',' or 'end of string'"],
    ['a=b c', "found 'c', expected: ',' or 'end of string'"],
    ['app:monolith', `unable to parse requirement: <nil>: Invalid value: "app:monolith": ${NAME_PART}`],
    ['*bar', `unable to parse requirement: <nil>: Invalid value: "*bar": ${NAME_PART}`],
    [
      'a/b/c ?=? def',
      "unable to parse requirement: <nil>: Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', " +
        "and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is " +
        "'([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ],
    [
      'App.Example/x',
      "unable to parse requirement: <nil>: Invalid value: \"App.Example/x\": prefix part a lowercase RFC 1123 subdomain must consist of lower case " +
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is " +
        "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ],
    ['/x', 'unable to parse requirement: <nil>: Invalid value: "/x": prefix part must be non-empty'],
    [
      'p/',
      `unable to parse requirement: <nil>: Invalid value: "p/": name part must be non-empty; ${NAME_PART}`,
    ],
    [
      `${'k'.repeat(64)}`,
      `unable to parse requirement: <nil>: Invalid value: "${'k'.repeat(64)}": name part must be no more than 63 characters`,
    ],
    [
      `a=${'z'.repeat(64)}`,
      `unable to parse requirement: values[0][a]: Invalid value: "${'z'.repeat(64)}": must be no more than 63 characters`,
    ],
    ['a=b c d', "found 'c', expected: ',' or 'end of string'"],
    ['a=-x', `unable to parse requirement: values[0][a]: Invalid value: "-x": ${LABEL_VALUE}`],
    [
      'a in (-x,_y)',
      `unable to parse requirement: [values[0][a]: Invalid value: "-x": ${LABEL_VALUE}, values[1][a]: Invalid value: "_y": ${LABEL_VALUE}]`,
    ],
    ['a>x', `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`],
    ['a>-1', `unable to parse requirement: values[0][a]: Invalid value: "-1": ${LABEL_VALUE}`],
  ])('rejects %j with upstream text', (selector, message) => {
    expect(parseError(selector)).toBe(message);
  });

  it('stops at a NUL byte where a token would start, as upstream lexes byte 0 as end of input', () => {
    expect(parseLabelSelector('a=b \0garbage(').toString()).toBe('a=b');
    expect(parseError('a=b,\0x')).toBe("found '', expected: identifier after ','");
  });
});

describe('labelSelectorAsSelector', () => {
  it('matches nothing for a missing selector and everything for an empty one', () => {
    expect(labelSelectorAsSelector(undefined).matches({ a: 'b' })).toBe(false);
    expect(labelSelectorAsSelector(null).empty).toBe(false);
    expect(labelSelectorAsSelector({}).matches({ a: 'b' })).toBe(true);
    expect(labelSelectorAsSelector({ matchLabels: {}, matchExpressions: [] }).empty).toBe(true);
  });

  it.each<[LabelSelector, Record<string, string>, boolean]>([
    [{ matchLabels: { app: 'web' } }, { app: 'web', tier: 'fe' }, true],
    [{ matchLabels: { app: 'web' } }, { app: 'db' }, false],
    [{ matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }] }, { tier: 'be' }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['fe'] }] }, {}, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, { tier: '' }, true],
    [{ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, { tier: '' }, false],
    [
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] },
      { app: 'web', env: 'prod' },
      false,
    ],
  ])('%j against %j matches: %s', (ps, labels, expected) => {
    expect(labelSelectorAsSelector(ps).matches(labels)).toBe(expected);
  });

  it('prints like upstream, requirements sorted by key', () => {
    const s = labelSelectorAsSelector({
      matchLabels: { z: '1', app: 'web' },
      matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod', 'dev'] }],
    });
    expect(s.toString()).toBe('app=web,env notin (dev,prod),z=1');
  });

  it.each<[LabelSelector, string]>([
    [{ matchExpressions: [{ key: 'a', operator: 'Foo' }] }, '"Foo" is not a valid pod selector operator'],
    [{ matchExpressions: [{ key: 'a', operator: 'in', values: ['x'] }] }, '"in" is not a valid pod selector operator'],
    [
      { matchExpressions: [{ key: 'a', operator: 'In' }] },
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] },
      "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] },
      'values: Invalid value: ["x"]: values set must be empty for exists and does not exist',
    ],
    [{ matchLabels: { 'A B': 'x' } }, `key: Invalid value: "A B": ${NAME_PART}`],
    [{ matchLabels: { a: 'b c' } }, `values[0][a]: Invalid value: "b c": ${LABEL_VALUE}`],
  ])('rejects %j with upstream text', (ps, message) => {
    expect(() => labelSelectorAsSelector(ps)).toThrow(new SelectorParseError(message));
  });

  it('formats for describe as upstream FormatLabelSelector does', () => {
    expect(formatLabelSelector({ matchLabels: { app: 'web' } })).toBe('app=web');
    expect(formatLabelSelector({})).toBe('<none>');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bad' }] })).toBe('<error>');
  });
});

describe('selectorFromSet', () => {
  it('requires every entry and matches everything when empty', () => {
    expect(selectorFromSet({ app: 'web', tier: 'fe' }).matches({ app: 'web', tier: 'fe', x: 'y' })).toBe(true);
    expect(selectorFromSet({ app: 'web', tier: 'fe' }).matches({ app: 'web' })).toBe(false);
    expect(selectorFromSet(undefined).matches({})).toBe(true);
    expect(selectorFromSet({ b: '2', a: '1' }).toString()).toBe('a=1,b=2');
  });
});

describe('validateLabelSelector', () => {
  it('accepts a valid or absent selector', () => {
    expect(validateLabelSelector(undefined, 'spec.selector')).toEqual([]);
    expect(
      validateLabelSelector(
        { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }] },
        'spec.selector',
      ),
    ).toEqual([]);
  });

  it.each<[LabelSelector, { type: string; field: string; message: string }[]]>([
    [
      { matchExpressions: [{ key: 'a', operator: 'Foo' }] },
      [
        {
          type: 'FieldValueInvalid',
          field: 'spec.selector.matchExpressions[0].operator',
          message: 'Invalid value: "Foo": not a valid selector operator',
        },
      ],
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'NotIn' }] },
      [
        {
          type: 'FieldValueRequired',
          field: 'spec.selector.matchExpressions[0].values',
          message: "Required value: must be specified when `operator` is 'In' or 'NotIn'",
        },
      ],
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'DoesNotExist', values: ['x'] }] },
      [
        {
          type: 'FieldValueForbidden',
          field: 'spec.selector.matchExpressions[0].values',
          message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        },
      ],
    ],
    [
      { matchExpressions: [{ key: 'a', operator: 'In', values: ['ok', 'b c'] }] },
      [
        {
          type: 'FieldValueInvalid',
          field: 'spec.selector.matchExpressions[0].values[1]',
          message: `Invalid value: "b c": ${LABEL_VALUE}`,
        },
      ],
    ],
    [
      { matchLabels: { 'A B': 'x y' } },
      [
        { type: 'FieldValueInvalid', field: 'spec.selector.matchLabels', message: `Invalid value: "A B": ${NAME_PART}` },
        { type: 'FieldValueInvalid', field: 'spec.selector.matchLabels', message: `Invalid value: "x y": ${LABEL_VALUE}` },
      ],
    ],
  ])('reports %j as upstream field errors', (ps, errors) => {
    expect(validateLabelSelector(ps, 'spec.selector')).toEqual(errors);
  });

  it('skips value checks when asked to tolerate stored invalid values', () => {
    const ps = { matchExpressions: [{ key: 'a', operator: 'In', values: ['b c'] }] };
    expect(validateLabelSelector(ps, 'spec.selector', { allowInvalidLabelValueInSelector: true })).toEqual([]);
  });
});
