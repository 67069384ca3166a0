import { describe, expect, it } from 'vitest';
import { nameIsDNSLabel, nameIsDNSSubdomain, nameIsPathSegment, validateAnnotations, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta-validation.ts';
import { lines } from './test-helpers.ts';

const NS = { namespaced: true, name: nameIsDNSSubdomain } as const;
const CLUSTER = { namespaced: false, name: nameIsDNSSubdomain } as const;

describe('validateObjectMeta', () => {
  it.each([
    ['a valid namespaced object', { name: 'web', namespace: 'default' }, NS, []],
    ['no name nor generateName', { namespace: 'default' }, NS, ['metadata.name: Required value: name or generateName is required']],
    [
      'an upper-case name',
      { name: 'Foo', namespace: 'default' },
      NS,
      [
        "metadata.name: Invalid value: \"Foo\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ],
    ],
    ['a namespaced object without namespace', { name: 'a' }, NS, ['metadata.namespace: Required value']],
    ['a cluster object with a namespace', { name: 'a', namespace: 'x' }, CLUSTER, ['metadata.namespace: Forbidden: not allowed on this type']],
    ['a negative generation', { name: 'a', namespace: 'x', generation: -1 }, NS, ['metadata.generation: Invalid value: -1: must be greater than or equal to 0']],
    ['a generateName ending in a dash', { generateName: 'web-', name: 'web-abcde', namespace: 'default' }, NS, []],
  ])('%s', (_n, meta, rules, expected) => {
    expect(lines(validateObjectMeta(meta, rules))).toEqual(expected);
  });

  it('checks the namespace as a DNS label', () => {
    expect(lines(validateObjectMeta({ name: 'a', namespace: 'a.b' }, NS))).toEqual(['metadata.namespace: Invalid value: "a.b": must not contain dots']);
  });

  it('reports label errors at the map, as upstream', () => {
    expect(lines(validateLabels({ 'bad key!': 'ok' }, 'metadata.labels'))[0]).toMatch(/^metadata\.labels: Invalid value: "bad key!": name part must consist of/);
    expect(lines(validateLabels({ ok: 'bad value!' }, 'metadata.labels'))[0]).toMatch(/^metadata\.labels: Invalid value: "bad value!": a valid label must be/);
  });

  it('limits the total size of annotations to 256 KiB', () => {
    expect(lines(validateAnnotations({ a: 'x'.repeat(256 * 1024) }, 'metadata.annotations'))).toEqual(['metadata.annotations: Too long: may not be more than 262144 bytes']);
    expect(validateAnnotations({ a: 'x'.repeat(1000) }, 'metadata.annotations')).toEqual([]);
  });

  it('accepts upper-case annotation keys (checked case-insensitively)', () => {
    expect(validateAnnotations({ 'Example.COM/Key': 'v' }, 'metadata.annotations')).toEqual([]);
  });

  it('allows a single controller owner only', () => {
    const ref = (name: string) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: name, controller: true });
    const errs = lines(validateObjectMeta({ name: 'a', namespace: 'n', ownerReferences: [ref('x'), ref('y')] }, NS));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toContain('Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/x and ReplicaSet/y');
  });

  it('rejects owner references without uid', () => {
    const errs = lines(validateObjectMeta({ name: 'a', namespace: 'n', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: '' }] }, NS));
    expect(errs).toEqual(['metadata.ownerReferences.uid: Invalid value: "": must not be empty']);
  });
});

describe('name rules', () => {
  it('namespaces use DNS labels', () => {
    expect(nameIsDNSLabel('kube-system', false)).toEqual([]);
    expect(nameIsDNSLabel('a.b', false)).toEqual(['must not contain dots']);
  });

  it.each([
    ['system:controller:foo', []],
    ['..', ["may not be '..'"]],
    ['a/b', ["may not contain '/'"]],
    ['a%b', ["may not contain '%'"]],
  ])('RBAC name %s', (name, msgs) => {
    expect(nameIsPathSegment(name, false)).toEqual(msgs);
  });
});

describe('validateObjectMetaUpdate', () => {
  it('keeps identity immutable', () => {
    expect(lines(validateObjectMetaUpdate({ name: 'b', namespace: 'n' }, { name: 'a', namespace: 'n' }))).toEqual(['metadata.name: Invalid value: "b": field is immutable']);
  });

  it('forbids new finalizers once deletion started', () => {
    const old = { name: 'a', deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['x/a'] };
    expect(lines(validateObjectMetaUpdate({ ...old, finalizers: ['x/a', 'x/b'] }, old))).toEqual([
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"x/b"}',
    ]);
  });
});
