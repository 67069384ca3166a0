// The node IPAM flags of `tskube controller-manager` and `tskube up`, named and defaulted as kube-controller-manager's.
import { describe, expect, it } from 'vitest';
import { parseFlags } from '../../cli/flags.ts';
import { nodeIpamSettings, normalizeNodeIpamArgs } from '../cli.ts';

const settings = (args: string[], def?: string) => nodeIpamSettings(parseFlags(normalizeNodeIpamArgs(args), []), def);

describe('the node IPAM flags', () => {
  it.each([
    [[], '10.244.0.0/16', { allocateNodeCidrs: true, clusterCIDR: '10.244.0.0/16' }],
    [[], undefined, { allocateNodeCidrs: true, clusterCIDR: undefined }],
    [['--cluster-cidr', '10.8.0.0/14', '--node-cidr-mask-size=20'], undefined, { allocateNodeCidrs: true, clusterCIDR: '10.8.0.0/14', nodeCIDRMaskSize: 20 }],
    [['--allocate-node-cidrs=false'], '10.244.0.0/16', { allocateNodeCidrs: false, clusterCIDR: '10.244.0.0/16' }],
    [['--allocate-node-cidrs', '--service-cluster-ip-range=10.96.0.0/12'], undefined, { allocateNodeCidrs: true, clusterCIDR: undefined, serviceClusterIPRange: '10.96.0.0/12' }],
  ])('%j (default cluster CIDR %s) → %j', (args, def, want) => {
    expect(settings(args, def)).toEqual(want);
  });

  it.each([['--allocate-node-cidrs=maybe'], ['--node-cidr-mask-size=big']])('rejects %s', (arg) => {
    expect(() => settings([arg])).toThrow('invalid value');
  });
});
