import { describe, expect, it } from 'vitest';
import {
  GoText,
  duplicate,
  forbidden,
  goLabelSelector,
  goStringMap,
  goValue,
  invalid,
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  isValidPortName,
  notSupported,
  positiveIntOrPercent,
  required,
  tooLong,
  tooMany,
} from './validation.ts';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

describe('field error messages', () => {
  it.each([
    ['required without detail', required('spec.containers'), 'Required value'],
    ['required with detail', required('metadata.name', 'name or generateName is required'), 'Required value: name or generateName is required'],
    ['invalid string value', invalid('metadata.name', 'Foo', 'bad'), 'Invalid value: "Foo": bad'],
    ['invalid number value', invalid('spec.replicas', -1, 'must be greater than or equal to 0'), 'Invalid value: -1: must be greater than or equal to 0'],
    ['unsupported value', notSupported('spec.restartPolicy', 'x', ['Always', 'OnFailure', 'Never']), 'Unsupported value: "x": supported values: "Always", "OnFailure", "Never"'],
    ['duplicate', duplicate('spec.containers[1].name', 'web'), 'Duplicate value: "web"'],
    ['forbidden', forbidden('metadata.namespace', 'not allowed on this type'), 'Forbidden: not allowed on this type'],
    ['too long', tooLong('metadata.annotations', 262144), 'Too long: may not be more than 262144 bytes'],
    ['too many', tooMany('endpoints[0].addresses', 101, 100), 'Too many: 101: must have at most 100 items'],
  ])('%s', (_name, err, message) => {
    expect(err.message).toBe(message);
  });

  it('types follow upstream causes', () => {
    expect(required('a').type).toBe('FieldValueRequired');
    expect(invalid('a', 1, 'x').type).toBe('FieldValueInvalid');
    expect(notSupported('a', 'b', []).type).toBe('FieldValueNotSupported');
    expect(tooLong('a', 1).message).toBe('Too long: may not be more than 1 byte');
  });
});

describe('Go value printing', () => {
  it.each([
    ['a string is quoted', 'a"b', '"a\\"b"'],
    ['a number is bare', 3, '3'],
    ['a boolean is bare', true, 'true'],
    ['null prints null', null, 'null'],
    ['a string slice', ['a', 'b'], '[]string{"a", "b"}'],
    ['a string map sorts keys', { b: '2', a: '1' }, 'map[string]string{"a":"1", "b":"2"}'],
    ['pre-rendered text', new GoText('25%'), '25%'],
  ])('%s', (_name, value, text) => {
    expect(goValue(value)).toBe(text);
  });

  it('prints a nil map as Go does', () => {
    expect(goStringMap(undefined)).toBe('map[string]string(nil)');
  });

  it('prints a label selector as v1.LabelSelector', () => {
    expect(goLabelSelector({ matchLabels: { app: 'nginx2' } })).toBe('v1.LabelSelector{MatchLabels:map[string]string{"app":"nginx2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}');
    expect(goLabelSelector({ matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }] })).toBe(
      'v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"a", Operator:"In", Values:[]string{"x"}}}}',
    );
  });
});

describe('name validators', () => {
  it.each([
    ['a valid subdomain', 'example.com', []],
    ['upper case', 'Foo', [SUBDOMAIN_MSG]],
    ['too long', 'a'.repeat(254), ['must be no more than 253 characters']],
  ])('subdomain: %s', (_n, value, msgs) => {
    expect(isDNS1123Subdomain(value)).toEqual(msgs);
  });

  it.each([
    ['a valid label', 'my-name', []],
    ['dots', 'a.b', ['must not contain dots']],
    ['underscore', 'a_b', [LABEL_MSG]],
    ['too long', 'a'.repeat(64), ['must be no more than 63 characters']],
  ])('label: %s', (_n, value, msgs) => {
    expect(isDNS1123Label(value)).toEqual(msgs);
  });

  it.each([
    ['a valid DNS-1035 label', 'my-svc', []],
    ['a leading digit', '1svc', [DNS1035_MSG]],
  ])('DNS-1035: %s', (_n, value, msgs) => {
    expect(isDNS1035Label(value)).toEqual(msgs);
  });
});

describe('label and key validators', () => {
  it.each([
    ['a plain name', 'app', []],
    ['a prefixed name', 'app.kubernetes.io/name', []],
    ['an empty prefix', '/a', ['prefix part must be non-empty']],
    ['an empty name', 'example.com/', ['name part must be non-empty', "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"]],
    [
      'two slashes',
      'a/b/c',
      ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"],
    ],
  ])('qualified name: %s', (_n, value, msgs) => {
    expect(isQualifiedName(value)).toEqual(msgs);
  });

  it('rejects a label value with a space', () => {
    expect(isValidLabelValue('a b')).toEqual([
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
    ]);
    expect(isValidLabelValue('')).toEqual([]);
  });

  it.each([
    ['a dotted key', 'app.properties', []],
    ['a slash', 'a/b', ["a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]],
    ['dot-dot', '..', ["must not be '..'"]],
    ['a dot-dot prefix', '..a', ["must not start with '..'"]],
  ])('config map key: %s', (_n, value, msgs) => {
    expect(isConfigMapKey(value)).toEqual(msgs);
  });

  it.each([
    ['http', []],
    ['HTTP', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']],
    ['a--b', ['must not contain consecutive hyphens']],
    ['1234', ['must contain at least one letter (a-z)']],
  ])('port name %s', (value, msgs) => {
    expect(isValidPortName(value)).toEqual(msgs);
  });
});

describe('int-or-percent fields', () => {
  it('accepts numbers and percentages', () => {
    expect(positiveIntOrPercent('f', 1)).toEqual([]);
    expect(positiveIntOrPercent('f', '25%')).toEqual([]);
  });

  it('reports a bad percentage unquoted, as upstream prints an IntOrString', () => {
    expect(positiveIntOrPercent('spec.strategy.rollingUpdate.maxSurge', 'abc')[0].message).toBe(
      "Invalid value: abc: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    );
  });
});
