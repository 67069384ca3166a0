// The `kube-dns` Service in kube-system (upstream's name and labels) and its Endpoints + EndpointSlice, pointing at this DNS server.
import { isIP } from 'node:net';
import { formatIpv4, parseIpv4 } from '../server/ipv4.ts';
import { isNotFound, type ApiClient, type KubeObject } from '../controllers/runtime/index.ts';

export const KUBE_DNS_NAMESPACE = 'kube-system';
export const KUBE_DNS_NAME = 'kube-dns';
const LABELS = { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' };
const MANAGED_BY = 'tskube-dns';

/** kubeadm's choice: the 10th address of the service range, from the `kubernetes` Service's IP (the 1st). */
export function dnsServiceIP(kubernetesServiceIP: string): string | undefined {
  if (isIP(kubernetesServiceIP) !== 4) return undefined;
  return formatIpv4(parseIpv4(kubernetesServiceIP) + 9);
}

export interface KubeDnsTarget {
  /** The Service's clusterIP when it is created (an existing Service keeps its own); undefined: allocated. */
  clusterIP?: string;
  /** Where the DNS server listens: published in the Endpoints and EndpointSlice. */
  address: string;
  port: number;
}

const base = (ns: string, plural: string, group = ''): string => `${group ? `/apis/${group}` : '/api/v1'}/namespaces/${ns}/${plural}`;

async function getOrUndefined(client: ApiClient, path: string): Promise<KubeObject | undefined> {
  try {
    return await client.request<KubeObject>('GET', path);
  } catch (e: unknown) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Creates `desired` at `collection`, or replaces the existing object (kept resourceVersion) when it differs. */
async function upsert(client: ApiClient, collection: string, desired: KubeObject, differs: (current: KubeObject) => boolean): Promise<void> {
  const path = `${collection}/${desired.metadata.name}`;
  const current = await getOrUndefined(client, path);
  if (!current) {
    await client.request('POST', collection, { body: desired });
    return;
  }
  if (!differs(current)) return;
  await client.request('PUT', path, { body: { ...current, ...desired, metadata: { ...current.metadata, labels: { ...current.metadata.labels, ...desired.metadata.labels } } } });
}

/**
 * Idempotent: makes sure the selector-less `kube-dns` Service exists (ports dns/UDP 53 and dns-tcp/TCP 53 → the
 * server's port) and that its Endpoints and EndpointSlice name `target.address:target.port`. An existing Service
 * keeps its clusterIP; only its targetPorts follow the server (its port may change between runs).
 * Resolves the Service's clusterIP.
 * @throws ApiError / Error when the API refuses or cannot be reached (callers retry).
 */
export async function ensureKubeDnsService(client: ApiClient, target: KubeDnsTarget): Promise<string | undefined> {
  const ns = KUBE_DNS_NAMESPACE;
  const ports = [
    { name: 'dns', port: 53, protocol: 'UDP', targetPort: target.port },
    { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: target.port },
  ];
  const svcPath = `${base(ns, 'services')}/${KUBE_DNS_NAME}`;
  let svc = await getOrUndefined(client, svcPath);
  if (!svc) {
    const spec: Record<string, unknown> = { type: 'ClusterIP', ports };
    if (target.clusterIP) spec.clusterIP = target.clusterIP;
    svc = await client.request<KubeObject>('POST', base(ns, 'services'), { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: KUBE_DNS_NAME, namespace: ns, labels: LABELS }, spec } });
  } else {
    const spec = (svc.spec ?? {}) as { ports?: Array<Record<string, unknown>> };
    const current = spec.ports ?? [];
    const same = ports.every((p) => current.some((c) => c.name === p.name && c.protocol === p.protocol && c.port === p.port && c.targetPort === p.targetPort));
    if (!same) await client.request('PUT', svcPath, { body: { ...svc, spec: { ...spec, ports } } });
  }
  const epPorts = ports.map((p) => ({ name: p.name, port: target.port, protocol: p.protocol }));
  const endpoints: KubeObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: KUBE_DNS_NAME, namespace: ns, labels: { ...LABELS, 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip: target.address }], ports: epPorts }],
  };
  await upsert(client, base(ns, 'endpoints'), endpoints, (c) => JSON.stringify(c.subsets) !== JSON.stringify(endpoints.subsets));
  const slice: KubeObject = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: KUBE_DNS_NAME, namespace: ns, labels: { ...LABELS, 'kubernetes.io/service-name': KUBE_DNS_NAME, 'endpointslice.kubernetes.io/managed-by': MANAGED_BY } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [target.address], conditions: { ready: true, serving: true, terminating: false } }],
    ports: epPorts,
  };
  const sliceKey = (o: KubeObject): string => JSON.stringify([(o as { endpoints?: unknown }).endpoints, (o as { ports?: unknown }).ports]);
  await upsert(client, base(ns, 'endpointslices', 'discovery.k8s.io/v1'), slice, (c) => sliceKey(c) !== sliceKey(slice));
  return (svc.spec as { clusterIP?: string } | undefined)?.clusterIP;
}
