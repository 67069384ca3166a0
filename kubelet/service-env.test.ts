// Tests of the service link variables: upstream's names and values, which services count, and their precedence in a container's env.
import { describe, expect, it } from 'vitest';
import { containerEnv, type ConfigSource } from './env.ts';
import { serviceEnv, serviceVars, type ServiceLike } from './service-env.ts';
import type { Pod } from './types.ts';

const svc = (namespace: string, name: string, clusterIP: string, ports: Array<{ name?: string; port: number; protocol?: string }>): ServiceLike => ({ metadata: { namespace, name }, spec: { clusterIP, ports } });
const kubernetes = svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]);

describe('service link variables', () => {
  it('names a service\'s host, ports, named ports and docker link variables as upstream', () => {
    expect(Object.fromEntries(serviceVars(svc('ns', 'my-db', '10.0.0.5', [{ port: 5432 }, { name: 'metrics-port', port: 9187, protocol: 'UDP' }])))).toEqual({
      MY_DB_SERVICE_HOST: '10.0.0.5',
      MY_DB_SERVICE_PORT: '5432',
      MY_DB_SERVICE_PORT_METRICS_PORT: '9187',
      MY_DB_PORT: 'tcp://10.0.0.5:5432',
      MY_DB_PORT_5432_TCP: 'tcp://10.0.0.5:5432',
      MY_DB_PORT_5432_TCP_PROTO: 'tcp',
      MY_DB_PORT_5432_TCP_PORT: '5432',
      MY_DB_PORT_5432_TCP_ADDR: '10.0.0.5',
      MY_DB_PORT_9187_UDP: 'udp://10.0.0.5:9187',
      MY_DB_PORT_9187_UDP_PROTO: 'udp',
      MY_DB_PORT_9187_UDP_PORT: '9187',
      MY_DB_PORT_9187_UDP_ADDR: '10.0.0.5',
    });
  });

  it('brackets an IPv6 cluster IP in URLs', () => {
    expect(Object.fromEntries(serviceVars(svc('ns', 'v6', 'fd00::1', [{ port: 80 }])))['V6_PORT']).toBe('tcp://[fd00::1]:80');
  });

  it('gives the kubernetes service always, and the own namespace\'s services only with enableServiceLinks', () => {
    const all = [kubernetes, svc('ns', 'web', '10.0.0.7', [{ port: 80 }]), svc('other', 'far', '10.0.0.8', [{ port: 80 }])];
    const on = serviceEnv(all, 'ns', true);
    expect(on.get('KUBERNETES_SERVICE_HOST')).toBe('10.96.0.1');
    expect(on.get('KUBERNETES_SERVICE_PORT_HTTPS')).toBe('443');
    expect(on.get('WEB_SERVICE_HOST')).toBe('10.0.0.7');
    expect(on.has('FAR_SERVICE_HOST')).toBe(false);
    const off = serviceEnv(all, 'ns', false);
    expect([...off.keys()].filter((k) => !k.startsWith('KUBERNETES_'))).toEqual([]);
    expect(off.get('KUBERNETES_PORT')).toBe('tcp://10.96.0.1:443');
  });

  it('skips headless and ExternalName services, and lets a service of the pod\'s namespace named kubernetes win', () => {
    const all = [svc('ns', 'headless', 'None', [{ port: 80 }]), { metadata: { namespace: 'ns', name: 'ext' }, spec: {} }, svc('ns', 'kubernetes', '10.0.0.9', [{ port: 8080 }]), kubernetes];
    const env = serviceEnv(all, 'ns', true);
    expect(env.has('HEADLESS_SERVICE_HOST')).toBe(false);
    expect(env.has('EXT_SERVICE_HOST')).toBe(false);
    expect(env.get('KUBERNETES_SERVICE_HOST')).toBe('10.0.0.9');
  });

  it('comes after the container\'s own variables, which win, and feeds $(VAR) expansion', async () => {
    const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u' }, spec: { containers: [] } };
    const source: ConfigSource = { configMap: async () => undefined, secret: async () => undefined, services: async () => [kubernetes, svc('ns', 'web', '10.0.0.7', [{ port: 80 }])] };
    const env = await containerEnv(pod, { name: 'c', env: [{ name: 'WEB_SERVICE_HOST', value: 'mine' }, { name: 'URL', value: 'http://$(WEB_SERVICE_HOST):$(WEB_SERVICE_PORT)' }] },
      { podIP: '', podIPs: [], hostIP: '', nodeAllocatable: { cpuMilli: 1000, memoryBytes: 1, ephemeralStorageBytes: 1 } }, source);
    const keys = env.map((e) => e.key);
    expect(keys.slice(0, 2)).toEqual(['WEB_SERVICE_HOST', 'URL']);
    expect(env.find((e) => e.key === 'WEB_SERVICE_HOST')!.value).toBe('mine');
    expect(env.find((e) => e.key === 'URL')!.value).toBe('http://mine:80');
    expect(keys.filter((k) => k === 'WEB_SERVICE_HOST')).toHaveLength(1);
    expect(keys).toContain('KUBERNETES_SERVICE_HOST');
  });
});
