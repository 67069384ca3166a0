import { describe, expect, it } from 'vitest';
import { mayRecurse } from './access.ts';

describe('who may use the DNS to resolve names outside the cluster', () => {
  it.each([
    ['a pod', '10.244.0.7', true],
    ['a node behind kube-proxy masquerade', '172.17.0.1', true],
    ['loopback', '127.0.0.1', true],
    ['an IPv4-mapped pod address', '::ffff:10.244.0.7', true],
    ['this host by its public address', '198.51.100.9', true],
    ['a stranger on the internet', '203.0.113.5', false],
    ['an IPv6 stranger', '2001:db8::1', false],
    ['an IPv6 unique-local peer', 'fd00::5', true],
  ])('%s (%s): %s', (_who, ip, want) => {
    expect(mayRecurse(ip, new Set(['198.51.100.9']))).toBe(want);
  });
});
