// The range allocator's bookkeeping and settings (the API round trip is in nodeipam.apiserver.test.ts).
import { describe, expect, it } from 'vitest';
import { TerminalError, type KubeObject } from '../runtime/index.ts';
import { RangeAllocator, nodeIpamConfig, podCIDRsOf } from './index.ts';

describe('the node IPAM settings', () => {
  it.each([
    [{}, undefined],
    [{ clusterCIDR: '10.244.0.0/16', allocateNodeCidrs: false }, undefined],
    [{ clusterCIDR: '10.244.0.0/16' }, { clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24 }],
    [{ clusterCIDR: '10.0.0.0/8', nodeCIDRMaskSize: 20, serviceClusterIPRange: '10.96.0.0/12' }, { clusterCIDR: '10.0.0.0/8', nodeCIDRMaskSize: 20, serviceClusterIPRange: '10.96.0.0/12' }],
  ])('%j → %j', (settings, want) => {
    expect(nodeIpamConfig(settings)).toEqual(want);
  });

  it('refuses an unusable cluster CIDR at start, not at the first node', () => {
    expect(() => nodeIpamConfig({ clusterCIDR: '10.0.0.0/8', nodeCIDRMaskSize: 28 })).toThrow('node CIDR size is too big');
    expect(() => nodeIpamConfig({ clusterCIDR: '10.0.0.0/8,fd00::/48' })).toThrow('IPv4');
  });
});

describe('the range allocator', () => {
  const node = (s: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: s });

  it('reads podCIDRs, falling back to podCIDR', () => {
    expect(podCIDRsOf(node({ podCIDRs: ['10.1.0.0/24'], podCIDR: '10.1.0.0/24' }))).toEqual(['10.1.0.0/24']);
    expect(podCIDRsOf(node({ podCIDR: '10.1.0.0/24' }))).toEqual(['10.1.0.0/24']);
    expect(podCIDRsOf(node({}))).toEqual([]);
  });

  it('keeps the service range out of node subnets', () => {
    const a = new RangeAllocator({ clusterCIDR: '10.96.0.0/11', nodeCIDRMaskSize: 12, serviceClusterIPRange: '10.96.0.0/12' });
    expect(a.allocate('n1')).toEqual(['10.112.0.0/12']);
  });

  it('gives a node the same CIDR until it is released, and the released CIDR back to the pool', () => {
    const a = new RangeAllocator({ clusterCIDR: '10.244.0.0/23', nodeCIDRMaskSize: 24 });
    expect(a.allocate('n1')).toEqual(['10.244.0.0/24']);
    expect(a.allocate('n1')).toEqual(['10.244.0.0/24']);
    a.occupy('n2', ['10.244.1.0/24']);
    expect(() => a.allocate('n3')).toThrow('no remaining CIDRs');
    a.release('n1');
    expect(a.allocate('n3')).toEqual(['10.244.0.0/24']);
    expect(a.held('n3')).toEqual(['10.244.0.0/24']);
  });

  it('reports a node CIDR outside the range once, as a terminal error', () => {
    const a = new RangeAllocator({ clusterCIDR: '10.244.0.0/16', nodeCIDRMaskSize: 24 });
    expect(() => a.occupy('n1', ['10.201.3.0/24'])).toThrow(TerminalError);
    expect(() => a.occupy('n1', ['10.201.3.0/24'])).not.toThrow();
    expect(a.set.allocated).toBe(0);
  });
});
