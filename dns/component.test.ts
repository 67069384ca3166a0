// The DNS component on a real API server with its own identity (system:kube-dns): it publishes kube-dns at the 10th
// service address and answers Services, ExternalNames and headless endpoints as they change.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type RunningApiServer } from '../server/apiserver.ts';
import { createLogger } from '../server/log.ts';
import { ensureComponentKubeconfigs } from '../kubeconfig/components.ts';
import { ApiClient, type KubeObject } from '../controllers/runtime/index.ts';
import { startDns, type RunningDns } from './index.ts';
import { optRecord, RRType, type Message } from './wire.ts';
import { dnsQuery, udpAsk } from './test-client.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tskube-dns-'));
const log = createLogger('dns-test', () => undefined);
let server: RunningApiServer;
let dns: RunningDns;
let admin: ApiClient;

const ask = (name: string, type: number): Promise<Message> => udpAsk(dns.port, dnsQuery(name, type, { id: 77, opt: optRecord() }));

const addresses = (m: Message): string[] => m.answers.flatMap((r) => (r.data.kind === 'a' || r.data.kind === 'name' ? [r.data.kind === 'a' ? r.data.address : r.data.target] : []));

async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  server = await startApiServer({ dataDir, port: 0, bind: '127.0.0.1', serviceClusterIpRange: '10.96.0.0/16', advertiseAddress: '127.0.0.1' });
  const ids = await ensureComponentKubeconfigs(dataDir, server.url);
  const kc = new KubeConfig();
  kc.loadFromFile(server.access.adminKubeconfigPath);
  admin = new ApiClient(kc);
  dns = await startDns({ kubeconfig: ids.dns, log, host: '127.0.0.1', port: 0, upstream: [] });
}, 60_000);

afterAll(async () => {
  await dns?.stop();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the cluster DNS component', () => {
  it('publishes kube-dns at the 10th service address, its endpoints naming the DNS server', async () => {
    expect(dns.serviceIP()).toBe('10.96.0.10');
    const svc = await admin.request<KubeObject & { spec: { clusterIP: string; ports: unknown[] } }>('GET', '/api/v1/namespaces/kube-system/services/kube-dns');
    expect(svc.metadata.labels).toMatchObject({ 'k8s-app': 'kube-dns', 'kubernetes.io/name': 'CoreDNS' });
    expect(svc.spec.ports).toEqual([
      expect.objectContaining({ name: 'dns', port: 53, protocol: 'UDP', targetPort: dns.port }),
      expect.objectContaining({ name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: dns.port }),
    ]);
    const slice = await admin.request<KubeObject & { endpoints: Array<{ addresses: string[] }> }>('GET', '/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices/kube-dns');
    expect(slice.metadata.labels?.['kubernetes.io/service-name']).toBe('kube-dns');
    expect(slice.endpoints[0]?.addresses).toEqual(['127.0.0.1']);
    const ep = await admin.request<KubeObject & { subsets: unknown[] }>('GET', '/api/v1/namespaces/kube-system/endpoints/kube-dns');
    expect(ep.subsets).toEqual([{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'dns', port: dns.port, protocol: 'UDP' }, { name: 'dns-tcp', port: dns.port, protocol: 'TCP' }] }]);
  });

  it('answers the kubernetes and kube-dns Services by name and their IPs by PTR', async () => {
    expect(addresses(await ask('kubernetes.default.svc.cluster.local', RRType.A))).toEqual(['10.96.0.1']);
    expect(addresses(await ask('kube-dns.kube-system.svc.cluster.local', RRType.A))).toEqual(['10.96.0.10']);
    expect(addresses(await ask('10.0.96.10.in-addr.arpa', RRType.PTR))).toEqual(['kube-dns.kube-system.svc.cluster.local']);
  });

  it('follows Services as they are created and deleted', async () => {
    await admin.request('POST', '/api/v1/namespaces/default/services', { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'late' }, spec: { type: 'ExternalName', externalName: 'db.example.org' } } });
    const m = await until(() => ask('late.default.svc.cluster.local', RRType.CNAME), (a) => a.answers.length > 0);
    expect(addresses(m)).toEqual(['db.example.org']);
    await admin.request('DELETE', '/api/v1/namespaces/default/services/late');
    const gone = await until(() => ask('late.default.svc.cluster.local', RRType.CNAME), (a) => a.rcode === 3);
    expect(gone.rcode).toBe(3);
  });

  it('answers a headless Service with the ready addresses of its EndpointSlices', async () => {
    await admin.request('POST', '/api/v1/namespaces/default/services', { body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' }, spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] } } });
    await admin.request('POST', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
      body: {
        apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'db-1', labels: { 'kubernetes.io/service-name': 'db' } }, addressType: 'IPv4',
        endpoints: [{ addresses: ['10.244.0.5'], hostname: 'db-0', conditions: { ready: true } }, { addresses: ['10.244.0.6'], conditions: { ready: false } }],
        ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      },
    });
    const m = await until(() => ask('db.default.svc.cluster.local', RRType.A), (a) => a.answers.length > 0);
    expect(addresses(m)).toEqual(['10.244.0.5']);
    expect(addresses(await ask('db-0.db.default.svc.cluster.local', RRType.A))).toEqual(['10.244.0.5']);
  });
});
