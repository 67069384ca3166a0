// The `kubernetes` Service in default with its Endpoints and EndpointSlice: upstream's endpoint reconciler, run at start.
import { isIP } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { hostIPv4 } from '../host-address.ts';
import type { GenericStore } from './store.ts';
import type { Catalogue } from './catalogue.ts';
import type { KubeObject } from './types.ts';
import { firstServiceIp, type ServiceAllocator } from './service-alloc.ts';

export interface KubernetesServiceOptions {
  serviceAllocator: ServiceAllocator;
  /**
   * Where this API server is reached (the Endpoints address: the advertise address, which pods can reach, unlike
   * loopback) and its secure port (the Service's targetPort).
   */
  apiserverIp: string;
  apiserverPort: number;
}

/**
 * Upstream's default --advertise-address: the bind address when it is a specific, non-loopback one, else the host's
 * address (a loopback endpoint would point pods at themselves, and upstream's Endpoints validation refuses it).
 */
export function defaultAdvertiseAddress(bind: string, routes?: string, ifaces?: NodeJS.Dict<NetworkInterfaceInfo[]>): string {
  return isIP(bind) === 4 && bind !== '0.0.0.0' && !bind.startsWith('127.') ? bind : hostIPv4(routes, ifaces);
}

const LABELS = { component: 'apiserver', provider: 'kubernetes' };

/**
 * Idempotent: creates the Service (ClusterIP = the range's first address, port 443 → the API server's port) when
 * missing, and points its Endpoints and EndpointSlice at this API server (the port changes between runs with --port 0).
 */
export async function ensureKubernetesService(store: GenericStore, catalogue: Catalogue, opts: KubernetesServiceOptions): Promise<void> {
  const services = catalogue.find('', 'v1', 'services');
  const endpoints = catalogue.find('', 'v1', 'endpoints');
  const slices = catalogue.find('discovery.k8s.io', 'v1', 'endpointslices');
  if (!services) return;
  const port = opts.apiserverPort;
  const ip = firstServiceIp(opts.serviceAllocator.range);
  await store.update(services, 'default', 'kubernetes', (current) => {
    if (!current) {
      return {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', namespace: 'default', labels: LABELS },
        spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], sessionAffinity: 'None', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }] },
      } as KubeObject;
    }
    const spec = (current.spec ?? {}) as { ports?: Array<Record<string, unknown>> };
    for (const p of spec.ports ?? []) if (p.name === 'https') p.targetPort = port;
    return current;
  });
  if (isIP(opts.apiserverIp) !== 4) return;
  if (endpoints) {
    await store.update(endpoints, 'default', 'kubernetes', (current) => ({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { ...(current?.metadata ?? {}), name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets: [{ addresses: [{ ip: opts.apiserverIp }], ports: [{ name: 'https', port, protocol: 'TCP' }] }],
    }));
  }
  if (slices) {
    await store.update(slices, 'default', 'kubernetes', (current) => ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { ...(current?.metadata ?? {}), name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [opts.apiserverIp], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    }), { forceAllowCreate: true });
  }
}
