// The default advertise address: the kubernetes Service's endpoint must be an address pods can reach.
import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { defaultAdvertiseAddress } from './kubernetes-service.ts';

const addr = (address: string, internal = false): NetworkInterfaceInfo => ({ address, family: 'IPv4', internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: `${address}/24` });
const ifaces = { lo: [addr('127.0.0.1', true)], docker0: [addr('172.17.0.1')], eth0: [addr('192.0.2.2')], eth1: [addr('198.51.100.7')] };
const routes = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\neth1\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\n';

describe('the default advertise address', () => {
  it.each([
    ['a specific bind address', '10.1.2.3', routes, '10.1.2.3'],
    ['the host address when bound to loopback', '127.0.0.1', routes, '198.51.100.7'],
    ['the default-route interface when bound to all', '0.0.0.0', routes, '198.51.100.7'],
    ['the first real interface without a default route (not a container bridge)', '0.0.0.0', '', '192.0.2.2'],
  ])('is %s', (_what, bind, table, want) => {
    expect(defaultAdvertiseAddress(bind, table, ifaces)).toBe(want);
  });

  it('falls back to loopback on a host with no other interface', () => {
    expect(defaultAdvertiseAddress('0.0.0.0', '', { lo: [addr('127.0.0.1', true)] })).toBe('127.0.0.1');
  });
});
