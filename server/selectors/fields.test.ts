// Field selector parsing, escaping and per-kind label conversion against upstream's texts.

import { describe, expect, it } from 'vitest';
import { SelectorParseError } from './errors.ts';
import {
  convertFieldLabels,
  DEFAULT_FIELD_LABEL_POLICY,
  escapeFieldValue,
  fieldLabelNotSupported,
  type FieldLabelPolicy,
  fieldSelectorFromSet,
  parseFieldSelector,
  unescapeFieldValue,
} from './fields.ts';

describe('parseFieldSelector', () => {
  it.each([
    ['', []],
    ['metadata.name=foo', [{ field: 'metadata.name', operator: '=', value: 'foo' }]],
    ['metadata.name==foo', [{ field: 'metadata.name', operator: '=', value: 'foo' }]],
    ['status.phase!=Running', [{ field: 'status.phase', operator: '!=', value: 'Running' }]],
    ['spec.nodeName=', [{ field: 'spec.nodeName', operator: '=', value: '' }]],
    [
      'status.phase!=Succeeded,status.phase!=Failed',
      [
        { field: 'status.phase', operator: '!=', value: 'Failed' },
        { field: 'status.phase', operator: '!=', value: 'Succeeded' },
      ],
    ],
    ['b=1,,a=2', [{ field: 'a', operator: '=', value: '2' }, { field: 'b', operator: '=', value: '1' }]],
    ['a=x\\,y', [{ field: 'a', operator: '=', value: 'x,y' }]],
    ['a=x\\=y', [{ field: 'a', operator: '=', value: 'x=y' }]],
    ['a=x\\\\y', [{ field: 'a', operator: '=', value: 'x\\y' }]],
    ['a=!b', [{ field: 'a', operator: '=', value: '!b' }]],
    ['a = b', [{ field: 'a ', operator: '=', value: ' b' }]],
    ['x!=\\=y', [{ field: 'x', operator: '!=', value: '=y' }]],
  ])('parses %j into %j', (selector, requirements) => {
    expect(parseFieldSelector(selector).requirements).toEqual(requirements);
  });

  it.each([
    ['foo', "invalid selector: 'foo'; can't understand 'foo'"],
    ['a=b,foo', "invalid selector: 'a=b,foo'; can't understand 'foo'"],
    ['a=b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a==b=c', 'invalid field selector: unescaped character in value: 61'],
    ['a=b\\n', 'invalid field selector: invalid escape sequence: \\n'],
    ['a=b\\', 'invalid field selector: invalid escape sequence: \\'],
    ['x!==y', 'invalid field selector: unescaped character in value: 61'],
  ])('rejects %j with upstream text', (selector, message) => {
    expect(() => parseFieldSelector(selector)).toThrow(new SelectorParseError(message));
  });

  it.each([
    ['metadata.name=a', { 'metadata.name': 'a' }, true],
    ['metadata.name=a', { 'metadata.name': 'b' }, false],
    ['spec.nodeName=', {}, true],
    ['spec.nodeName=', { 'spec.nodeName': 'n1' }, false],
    ['spec.nodeName!=', { 'spec.nodeName': 'n1' }, true],
    ['status.phase!=Succeeded,status.phase!=Failed', { 'status.phase': 'Running' }, true],
    ['status.phase!=Succeeded,status.phase!=Failed', { 'status.phase': 'Failed' }, false],
    ['a=x\\,y', { a: 'x,y' }, true],
    ['constructor=', {}, true],
    ['', { anything: 'x' }, true],
  ])('%j against %j matches: %s', (selector, fields, expected) => {
    expect(parseFieldSelector(selector).matches(fields)).toBe(expected);
  });

  it('prints terms back with values escaped, equality as "="', () => {
    expect(parseFieldSelector('b==x\\,y,a!=1').toString()).toBe('a!=1,b=x\\,y');
  });

  it('is empty only without terms and reports exact matches', () => {
    expect(parseFieldSelector('').empty).toBe(true);
    const s = parseFieldSelector('metadata.name=web,spec.nodeName!=n1');
    expect(s.empty).toBe(false);
    expect(s.requiresExactMatch('metadata.name')).toBe('web');
    expect(s.requiresExactMatch('spec.nodeName')).toBeUndefined();
  });
});

describe('escapeFieldValue and unescapeFieldValue', () => {
  it.each(['plain', 'a,b', 'a=b', 'a\\b', '\\,=', ''])('round-trips %j', (value) => {
    expect(unescapeFieldValue(escapeFieldValue(value))).toBe(value);
  });
});

describe('fieldSelectorFromSet', () => {
  it('requires every entry', () => {
    const s = fieldSelectorFromSet({ 'metadata.name': 'a', 'metadata.namespace': 'ns' });
    expect(s.matches({ 'metadata.name': 'a', 'metadata.namespace': 'ns' })).toBe(true);
    expect(s.matches({ 'metadata.name': 'a' })).toBe(false);
  });
});

// Fixtures shaped like upstream's core/v1 Pod and Node conversions; server/http/list-options.test.ts checks
// that the catalogue yields these policies.
const POD_POLICY: FieldLabelPolicy = {
  supported: ['metadata.name', 'metadata.namespace', 'spec.nodeName', 'status.phase'],
  aliases: { 'spec.host': 'spec.nodeName' },
  unsupported: fieldLabelNotSupported,
};
const NODE_POLICY: FieldLabelPolicy = { supported: ['metadata.name', 'spec.unschedulable'], unsupported: fieldLabelNotSupported };

describe('convertFieldLabels', () => {
  it.each([
    ['foo=bar', DEFAULT_FIELD_LABEL_POLICY, '"foo" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ['spec.nodeName=x', DEFAULT_FIELD_LABEL_POLICY, '"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ['foo=bar', POD_POLICY, 'field label not supported: foo'],
    ['metadata.namespace=x', NODE_POLICY, 'field label not supported: metadata.namespace'],
    ['metadata.name=a,zzz=1,aaa=1', POD_POLICY, 'field label not supported: aaa'],
    ['metadata.name =a', POD_POLICY, 'field label not supported: metadata.name '],
  ])('rejects %j for its kind with upstream text', (selector, policy, message) => {
    expect(() => convertFieldLabels(parseFieldSelector(selector), policy)).toThrow(new SelectorParseError(message));
  });

  it('accepts supported labels and renames aliases (pods: spec.host → spec.nodeName)', () => {
    const s = convertFieldLabels(parseFieldSelector('spec.host=n1,status.phase=Running'), POD_POLICY);
    expect(s.toString()).toBe('spec.nodeName=n1,status.phase=Running');
    expect(s.matches({ 'spec.nodeName': 'n1', 'status.phase': 'Running' })).toBe(true);
  });

  it('accepts metadata.name and metadata.namespace by default', () => {
    const s = convertFieldLabels(parseFieldSelector('metadata.name=a,metadata.namespace=b'));
    expect(s.requirements).toHaveLength(2);
  });

  it('uses a custom rejection text when the kind has one', () => {
    const policy = { supported: ['status.successful'], unsupported: (l: string) => `field label "${l}" not supported for Job` };
    expect(() => convertFieldLabels(parseFieldSelector('x=1'), policy)).toThrow('field label "x" not supported for Job');
    expect(fieldLabelNotSupported('x')).toBe('field label not supported: x');
  });
});
