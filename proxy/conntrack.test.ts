// Stale UDP conntrack entries (issue 8): which `conntrack -D` filters a rule change calls for, and how the cleaner runs them.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../server/log.ts';
import { ConntrackCleaner, staleUdpFlows, type ConntrackDelete, type DeleteResult } from './conntrack.ts';
import type { ServicePort } from './rules.ts';

function port(endpoints: string[], more: Partial<ServicePort> = {}): ServicePort {
  return { id: 'kube-system/kube-dns:dns', protocol: 'udp', clusterIP: '10.96.0.10', port: 53, endpoints, ...more };
}

const filters = (before: ServicePort[], after: ServicePort[]): string[] => staleUdpFlows(before, after).map((s) => s.filter.join(' '));

describe('stale UDP flows after a rule change', () => {
  it('are none when nothing changed', () => {
    const ports = [port(['10.244.0.5:53', '10.244.0.6:53'], { nodePort: 30053 })];
    expect(filters(ports, ports)).toEqual([]);
  });

  it('are the entries DNATed to a removed endpoint, on the clusterIP and on the NodePort', () => {
    expect(filters([port(['10.244.0.5:53', '10.244.0.6:53'], { nodePort: 30053 })], [port(['10.244.0.6:53'], { nodePort: 30053 })])).toEqual([
      '-p udp --orig-dst 10.96.0.10 --orig-port-dst 53 --dst-nat 10.244.0.5',
      '-p udp --orig-port-dst 30053 --dst-nat 10.244.0.5',
    ]);
  });

  it('are the entries of an endpoint replaced by another (the new pod gets the next datagram)', () => {
    expect(filters([port(['10.244.0.5:53'])], [port(['10.244.0.7:53'])])).toEqual(['-p udp --orig-dst 10.96.0.10 --orig-port-dst 53 --dst-nat 10.244.0.5']);
  });

  it('include an endpoint whose port changed, by its IP', () => {
    expect(filters([port(['10.244.0.5:53'])], [port(['10.244.0.5:5353'])])).toEqual(['-p udp --orig-dst 10.96.0.10 --orig-port-dst 53 --dst-nat 10.244.0.5']);
  });

  it('are every entry of a frontend that gains its first endpoint (made while there was no DNAT rule)', () => {
    expect(filters([port([], { nodePort: 30053 })], [port(['10.244.0.5:53'], { nodePort: 30053 })])).toEqual([
      '-p udp --orig-dst 10.96.0.10 --orig-port-dst 53',
      '-p udp --orig-port-dst 30053',
    ]);
  });

  it('are every entry of a frontend whose Service is gone or has no endpoints left', () => {
    const before = [port(['10.244.0.5:53']), port(['10.244.0.9:9999'], { id: 'ns/other:', clusterIP: '10.96.3.3', port: 9999, nodePort: 31000 })];
    expect(filters(before, [port([])])).toEqual(['-p udp --orig-dst 10.96.0.10 --orig-port-dst 53', '-p udp --orig-dst 10.96.3.3 --orig-port-dst 9999', '-p udp --orig-port-dst 31000']);
  });

  it('are every entry of the new frontend and none of the old when a Service port changes number', () => {
    expect(filters([port(['10.244.0.5:53'])], [port(['10.244.0.5:53'], { port: 54 })])).toEqual([
      '-p udp --orig-dst 10.96.0.10 --orig-port-dst 54',
      '-p udp --orig-dst 10.96.0.10 --orig-port-dst 53',
    ]);
  });

  it('are every served UDP frontend on the first sync (a restarted proxy does not know what changed while it was down)', () => {
    expect(filters([], [port(['10.244.0.5:53'])])).toEqual(['-p udp --orig-dst 10.96.0.10 --orig-port-dst 53']);
  });

  it.each(['tcp', 'sctp'] as const)('leave %s service ports alone', (protocol) => {
    expect(filters([port(['10.244.0.5:53'], { protocol })], [port(['10.244.0.6:53'], { protocol })])).toEqual([]);
    expect(filters([], [port(['10.244.0.5:53'], { protocol })])).toEqual([]);
  });

  it('keep the TCP port of the same number apart from the UDP one', () => {
    const tcp = port(['10.244.0.5:53'], { id: 'kube-system/kube-dns:dns-tcp', protocol: 'tcp' });
    expect(filters([port(['10.244.0.5:53']), tcp], [port(['10.244.0.5:53']), { ...tcp, endpoints: ['10.244.0.6:53'] }])).toEqual([]);
  });
});

function recorder(results: DeleteResult[]): { del: ConntrackDelete; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    del: async (filter, timeoutMs) => {
      calls.push(`${filter.join(' ')} (${timeoutMs} ms)`);
      return results.shift() ?? { deleted: 0 };
    },
  };
}

describe('the conntrack cleaner', () => {
  it('compares each sync with the previous one and sums what conntrack deleted', async () => {
    const { del, calls } = recorder([{ deleted: 2 }, { deleted: 1 }]);
    const cleaner = new ConntrackCleaner(createLogger('test', () => {}), { delete: del, timeoutMs: 1234 });
    expect(await cleaner.afterSync([port(['10.244.0.5:53'])])).toBe(2);
    expect(await cleaner.afterSync([port(['10.244.0.5:53'])])).toBe(0);
    expect(await cleaner.afterSync([port(['10.244.0.6:53'])])).toBe(1);
    expect(calls).toEqual(['-p udp --orig-dst 10.96.0.10 --orig-port-dst 53 (1234 ms)', '-p udp --orig-dst 10.96.0.10 --orig-port-dst 53 --dst-nat 10.244.0.5 (1234 ms)']);
  });

  it('logs a missing conntrack binary once and never throws', async () => {
    const lines: string[] = [];
    const { del, calls } = recorder([{ missing: true }, { missing: true }]);
    const cleaner = new ConntrackCleaner(createLogger('test', (l) => lines.push(l)), { delete: del });
    expect(await cleaner.afterSync([port(['10.244.0.5:53'], { nodePort: 30053 })])).toBe(0);
    expect(await cleaner.afterSync([port(['10.244.0.6:53'], { nodePort: 30053 })])).toBe(0);
    expect(calls).toHaveLength(2); // the first failure of each sync ends that sync's attempts
    expect(lines.filter((l) => l.includes('conntrack binary not found'))).toHaveLength(1);
  });

  it('logs a failed deletion and goes on with the next', async () => {
    const lines: string[] = [];
    const { del, calls } = recorder([{ error: 'timed out after 5000 ms' }, { deleted: 3 }]);
    const cleaner = new ConntrackCleaner(createLogger('test', (l) => lines.push(l)), { delete: del });
    expect(await cleaner.afterSync([port(['10.244.0.5:53'], { nodePort: 30053 })])).toBe(3);
    expect(calls).toHaveLength(2);
    expect(lines.some((l) => l.includes('timed out after 5000 ms'))).toBe(true);
  });
});
