// Tests for SAN helpers: IP normalisation and DNS-name validation.
import { describe, expect, it } from 'vitest';
import { isDnsName, normalizeIp } from './san.ts';

describe('normalizeIp', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['FD00::0001', 'fd00:0:0:0:0:0:0:1'],
    ['1::', '1:0:0:0:0:0:0:0'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8:0:0:1:0:0:1'],
    ['::ffff:10.96.0.1', '0:0:0:0:0:ffff:a60:1'],
  ])('writes %s as %s', (ip, want) => {
    expect(normalizeIp(ip)).toBe(want);
  });

  it.each(['10.0.0.256', 'localhost', '', '1:2:3'])('rejects %j', (ip) => {
    expect(() => normalizeIp(ip)).toThrow(/invalid IP address/);
  });
});

describe('isDnsName', () => {
  it.each([
    ['kubernetes.default.svc.cluster.local', true],
    ['my-host', true],
    ['*.example.com', true],
    ['bad name', false],
    ['-lead.example', false],
    ['a..b', false],
    ['', false],
  ])('judges %j valid: %s', (name, want) => {
    expect(isDnsName(name)).toBe(want);
  });
});
