import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultRouteInterface, defaultRouteIPv4, hostIPv4 } from './host-address.ts';

const addr = (address: string, internal = false): NetworkInterfaceInfo => ({ address, family: 'IPv4', internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: `${address}/24` });
const HEADER = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n';
const route = (iface: string, dest: string, metric: number, mask: string): string => `${iface}\t${dest}\t010200C0\t0003\t0\t0\t${metric}\t${mask}\n`;

describe('the host address', () => {
  it('takes the default route of lowest metric, ignoring other routes', () => {
    const text = HEADER + route('eth1', '00000000', 200, '00000000') + route('eth0', '00000000', 100, '00000000') + route('eth2', '0000000A', 0, '000000FF');
    expect(defaultRouteInterface(text)).toBe('eth0');
    expect(defaultRouteInterface(HEADER)).toBeUndefined();
  });

  it('is the default route interface IPv4, else a real interface, else loopback', () => {
    const ifaces = { lo: [addr('127.0.0.1', true)], docker0: [addr('172.17.0.1')], tskube0: [addr('10.88.0.1')], eth0: [addr('192.0.2.2')], eth1: [addr('198.51.100.7')] };
    const viaEth1 = HEADER + route('eth1', '00000000', 0, '00000000');
    expect(defaultRouteIPv4(viaEth1, ifaces)).toBe('198.51.100.7');
    expect(hostIPv4(viaEth1, ifaces)).toBe('198.51.100.7');
    expect(defaultRouteIPv4(HEADER, ifaces)).toBeUndefined();
    expect(hostIPv4(HEADER, ifaces)).toBe('192.0.2.2');
    expect(hostIPv4(HEADER, { lo: [addr('127.0.0.1', true)] })).toBe('127.0.0.1');
  });
});
