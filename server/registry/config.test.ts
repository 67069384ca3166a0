import { describe, expect, it } from 'vitest';
import type { KubeObject } from './types.ts';
import { configmaps, secrets, serviceaccounts } from './config.ts';
import { cells, lines, runCreate, runUpdate } from './test-helpers.ts';

const meta = { name: 'c', namespace: 'default' };

describe('configmaps', () => {
  it('reject bad keys and keys present twice', () => {
    expect(lines(runCreate(configmaps, { metadata: meta, data: { 'a/b': 'x' } }).errors)).toEqual([
      "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
    ]);
    expect(lines(runCreate(configmaps, { metadata: meta, data: { a: 'x' }, binaryData: { a: 'eA==' } }).errors)).toEqual([
      'data[a]: Invalid value: "a": duplicate of key present in binaryData',
      'binaryData[a]: Invalid value: "a": duplicate of key present in data',
    ]);
  });

  it('limit the data to 1 MiB', () => {
    expect(lines(runCreate(configmaps, { metadata: meta, data: { a: 'x'.repeat(1024 * 1024 + 1) } }).errors)).toEqual([': Too long: may not be more than 1048576 bytes']);
  });

  it('freeze data once immutable', () => {
    const created = runCreate(configmaps, { metadata: meta, data: { a: '1' }, immutable: true }).obj;
    const next = { ...structuredClone(created), data: { a: '2' } };
    expect(lines(runUpdate(configmaps, next, created).errors)).toEqual(['data: Forbidden: field is immutable when `immutable` is set']);
    const unset = { ...structuredClone(created), immutable: false };
    expect(lines(runUpdate(configmaps, unset, created).errors)).toEqual(['immutable: Forbidden: field is immutable when `immutable` is set']);
  });

  it('print DATA as the number of keys', () => {
    expect(cells(configmaps, { metadata: { name: 'c', creationTimestamp: '2024-01-01T00:59:55Z' }, data: { a: '1' }, binaryData: { b: 'eA==' } })).toEqual({ Data: 2, Age: '5s' });
  });
});

describe('secrets', () => {
  it('default to Opaque and fold stringData into data', () => {
    const { obj, errors } = runCreate(secrets, { metadata: meta, stringData: { password: 's3cret' }, data: { user: 'YWRtaW4=' } });
    expect(errors).toEqual([]);
    expect(obj.type).toBe('Opaque');
    expect(obj.data).toEqual({ user: 'YWRtaW4=', password: 'czNjcmV0' });
    expect(obj.stringData).toBeUndefined();
  });

  it.each([
    ['a TLS secret without key', { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }, ['data[tls.key]: Required value']],
    ['a token secret without account', { type: 'kubernetes.io/service-account-token' }, ['metadata.annotations[kubernetes.io/service-account.name]: Required value']],
    ['a docker config without config', { type: 'kubernetes.io/dockerconfigjson' }, ['data[.dockerconfigjson]: Required value']],
    ['basic auth without fields', { type: 'kubernetes.io/basic-auth' }, ['data[username]: Required value', 'data[password]: Required value']],
  ])('reject %s', (_n, fields, expected) => {
    expect(lines(runCreate(secrets, { metadata: meta, ...fields } as Partial<KubeObject>).errors)).toEqual(expected);
  });

  it('keep their type', () => {
    const created = runCreate(secrets, { metadata: meta }).obj;
    expect(lines(runUpdate(secrets, { ...structuredClone(created), type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==', 'tls.key': 'eA==' } }, created).errors)).toEqual([
      'type: Invalid value: "kubernetes.io/tls": field is immutable',
    ]);
  });

  it('print TYPE DATA AGE and select by type', () => {
    const s = runCreate(secrets, { metadata: meta, data: { a: 'eA==' } }).obj;
    expect(cells(secrets, s)).toEqual({ Type: 'Opaque', Data: 1, Age: '60m' });
    expect(secrets.fieldSelectors!.type(s)).toBe('Opaque');
  });
});

describe('serviceaccounts', () => {
  it('print SECRETS AGE', () => {
    expect(cells(serviceaccounts, { metadata: { name: 'default', creationTimestamp: '2024-01-01T00:00:00Z' } })).toEqual({ Secrets: 0, Age: '60m' });
    expect(serviceaccounts.shortNames).toEqual(['sa']);
  });
});
