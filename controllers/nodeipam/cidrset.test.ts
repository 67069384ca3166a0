// The node subnet bitmap: round-robin allocation, occupy/release of node and wider CIDRs, upstream's errors.
import { describe, expect, it } from 'vitest';
import { CidrSet, NO_CIDRS_REMAINING, SUBNET_TOO_BIG } from './cidrset.ts';
import { formatCidr, parseCidr } from '../../server/ipv4.ts';

describe('a CIDR set', () => {
  it('hands out node subnets in order and says so when none is left', () => {
    const set = new CidrSet('10.244.0.0/22', 24);
    expect([set.allocateNext(), set.allocateNext(), set.allocateNext(), set.allocateNext()]).toEqual(['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']);
    expect(() => set.allocateNext()).toThrow(NO_CIDRS_REMAINING);
  });

  it('skips occupied subnets and hands a released one out again only after the others (round robin)', () => {
    const set = new CidrSet('10.244.0.0/22', 24);
    set.occupy('10.244.0.0/24');
    expect(set.allocateNext()).toBe('10.244.1.0/24');
    set.release('10.244.0.0/24');
    expect(set.allocateNext()).toBe('10.244.2.0/24');
    expect(set.allocateNext()).toBe('10.244.3.0/24');
    expect(set.allocateNext()).toBe('10.244.0.0/24');
    expect(set.allocated).toBe(4);
  });

  it.each([
    ['a range wider than one subnet', '10.244.2.0/23', 2],
    ['a range narrower than one subnet', '10.244.1.128/25', 1],
    ['a range containing the whole cluster CIDR', '10.0.0.0/8', 4],
  ])('occupies every subnet %s touches', (_what, cidr, count) => {
    const set = new CidrSet('10.244.0.0/22', 24);
    set.occupy(cidr);
    expect(set.allocated).toBe(count);
    set.release(cidr);
    expect(set.allocated).toBe(0);
  });

  it('refuses a CIDR outside the cluster CIDR with upstream\'s message', () => {
    const set = new CidrSet('10.244.0.0/16', 24);
    expect(() => set.occupy('10.201.3.0/24')).toThrow('cidr 10.201.3.0/24 is out the range of cluster cidr 10.244.0.0/16');
    expect(set.contains('10.244.9.0/24')).toBe(true);
    expect(set.contains('10.245.0.0/24')).toBe(false);
  });

  it.each([
    ['10.0.0.0/8', 25, SUBNET_TOO_BIG],
    ['10.244.0.0/24', 16, 'shorter than the cluster CIDR'],
    ['fd00::/48', 64, 'invalid'],
  ])('refuses cluster CIDR %s with node mask /%d', (cidr, mask, message) => {
    expect(() => new CidrSet(cidr, mask)).toThrow(message);
  });

  it('parses CIDRs sloppily, masking host bits as upstream does', () => {
    expect(formatCidr(parseCidr('10.244.7.9/16'))).toBe('10.244.0.0/16');
    expect(() => parseCidr('10.244.0.0')).toThrow('invalid CIDR address');
  });
});
