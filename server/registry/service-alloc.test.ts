import { describe, expect, it } from 'vitest';
import { ServiceAllocator, firstServiceIp, parseServiceCidr } from './service-alloc.ts';
import { openSqliteBackend } from '../storage/sqlite.ts';
import type { KubeObject } from './types.ts';
import { ApiError } from '../http/errors.ts';

function svc(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { type: 'ClusterIP', ports: [{ port: 80, protocol: 'TCP' }], ...spec } };
}

function messages(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof ApiError) return (e.details?.causes ?? []).map((c) => `${c.field ?? ''}: ${c.message ?? ''}`);
    throw e;
  }
  return [];
}

const key = (name: string): string => `/registry/services/specs/default/${name}`;

describe('service CIDR parsing', () => {
  it.each([
    ['10.96.0.0/12', '10.96.0.1'],
    ['10.100.7.9/16', '10.100.0.1'],
    ['192.168.0.0/24', '192.168.0.1'],
  ])('%s starts at %s', (cidr, first) => {
    expect(firstServiceIp(parseServiceCidr(cidr))).toBe(first);
  });

  it.each(['10.96.0.0', 'fd00::/108', '10.0.0.0/31', 'x/12'])('rejects %s', (cidr) => {
    expect(() => parseServiceCidr(cidr)).toThrow(/invalid service CIDR/);
  });
});

describe('ServiceAllocator', () => {
  it('gives a ClusterIP inside the range and never the same one twice', () => {
    const a = new ServiceAllocator({ cidr: '10.0.0.0/27' });
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const s = svc(`s${i}`, {});
      a.reserve(key(`s${i}`), s, undefined, false);
      const ip = (s.spec as { clusterIP: string }).clusterIP;
      expect(ip).toMatch(/^10\.0\.0\.(\d+)$/);
      const last = Number(ip.split('.')[3]);
      expect(last).toBeGreaterThan(0);
      expect(last).toBeLessThan(31);
      expect(seen.has(ip)).toBe(false);
      seen.add(ip);
      expect((s.spec as { clusterIPs: string[] }).clusterIPs).toEqual([ip]);
    }
    expect(messages(() => a.reserve(key('full'), svc('full', {}), undefined, false))).toEqual(['spec.clusterIPs: Internal error: failed to allocate a serviceIP: range is full']);
  });

  it('refuses a requested ClusterIP held by another Service, with upstream wording', () => {
    const a = new ServiceAllocator();
    a.observe(key('one'), svc('one', { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'] }));
    expect(messages(() => a.reserve(key('two'), svc('two', { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'] }), undefined, false))).toEqual([
      'spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated',
    ]);
    expect(messages(() => a.reserve(key('three'), svc('three', { clusterIP: '192.168.1.1', clusterIPs: ['192.168.1.1'] }), undefined, false))).toEqual([
      'spec.clusterIPs: Invalid value: []string{"192.168.1.1"}: failed to allocate IP 192.168.1.1: the provided network does not match the current range',
    ]);
  });

  it('releases a ClusterIP when its Service is deleted and when a failed write rolls back', () => {
    const a = new ServiceAllocator();
    const s = svc('one', { clusterIP: '10.96.0.7' });
    const { rollback } = a.reserve(key('one'), s, undefined, false);
    expect(a.ipInUse('10.96.0.7')).toBe(true);
    rollback();
    expect(a.ipInUse('10.96.0.7')).toBe(false);
    a.observe(key('one'), s);
    expect(a.ipInUse('10.96.0.7')).toBe(true);
    a.observe(key('one'), undefined);
    expect(a.ipInUse('10.96.0.7')).toBe(false);
  });

  it('reserves nothing on a dry run', () => {
    const a = new ServiceAllocator();
    const s = svc('one', { type: 'NodePort' });
    a.reserve(key('one'), s, undefined, true);
    expect((s.spec as { clusterIP?: string }).clusterIP).toBeDefined();
    expect(a.ipInUse((s.spec as { clusterIP: string }).clusterIP)).toBe(false);
  });

  it('gives no address to headless and ExternalName Services', () => {
    const a = new ServiceAllocator();
    const headless = svc('h', { clusterIP: 'None' });
    const ext = svc('e', { type: 'ExternalName', externalName: 'example.com' });
    a.reserve(key('h'), headless, undefined, false);
    a.reserve(key('e'), ext, undefined, false);
    expect((headless.spec as { clusterIP: string }).clusterIP).toBe('None');
    expect((ext.spec as { clusterIP?: string }).clusterIP).toBeUndefined();
  });

  it('allocates node ports for NodePort and LoadBalancer Services and refuses clashes and out-of-range ports', () => {
    const a = new ServiceAllocator();
    const np = svc('np', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }, { port: 81, protocol: 'TCP' }] });
    a.reserve(key('np'), np, undefined, false);
    const ports = (np.spec as { ports: Array<{ nodePort: number }> }).ports.map((p) => p.nodePort);
    expect(ports[0]).toBe(30080);
    expect(ports[1]).toBeGreaterThanOrEqual(30000);
    expect(ports[1]).toBeLessThanOrEqual(32767);
    expect(a.portInUse(30080)).toBe(true);
    expect(messages(() => a.reserve(key('b'), svc('b', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] }), undefined, false))).toEqual([
      'spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    ]);
    expect(messages(() => a.reserve(key('c'), svc('c', { type: 'LoadBalancer', ports: [{ port: 80, protocol: 'TCP', nodePort: 8080 }] }), undefined, false))).toEqual([
      'spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767',
    ]);
    const lb = svc('lb', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false });
    a.reserve(key('lb'), lb, undefined, false);
    expect((lb.spec as { ports: Array<{ nodePort?: number }> }).ports[0]!.nodePort).toBeUndefined();
  });

  it('lets an update keep what the Service already holds', () => {
    const a = new ServiceAllocator();
    const old = svc('np', { type: 'NodePort', clusterIP: '10.96.0.9', clusterIPs: ['10.96.0.9'], ports: [{ port: 80, protocol: 'TCP', nodePort: 30090 }] });
    a.observe(key('np'), old);
    const next = structuredClone(old);
    expect(messages(() => a.reserve(key('np'), next, old, false))).toEqual([]);
  });

  it('rebuilds its state from the stored Services at start and follows later writes', async () => {
    const backend = openSqliteBackend(':memory:');
    try {
      const prefix = '/registry/services/specs/';
      await backend.create(key('old'), JSON.stringify(svc('old', { type: 'NodePort', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ port: 80, protocol: 'TCP', nodePort: 30111 }] })));
      const a = new ServiceAllocator();
      await a.start(backend, prefix);
      expect(a.ipInUse('10.96.0.20')).toBe(true);
      expect(a.portInUse(30111)).toBe(true);
      await backend.create(key('later'), JSON.stringify(svc('later', { clusterIP: '10.96.0.21', clusterIPs: ['10.96.0.21'] })));
      await backend.delete(key('old'));
      await expect.poll(() => a.ipInUse('10.96.0.21'), { timeout: 2000 }).toBe(true);
      await expect.poll(() => a.ipInUse('10.96.0.20'), { timeout: 2000 }).toBe(false);
      expect(a.portInUse(30111)).toBe(false);
      a.stop();
    } finally {
      await backend.close();
    }
  });
});
