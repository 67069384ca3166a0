// The record table: the Kubernetes DNS schema as CoreDNS's kubernetes plugin answers it.
import { describe, expect, it } from 'vitest';
import { RecordTable, reverseName, type DnsEndpointSlice, type DnsService } from './records.ts';
import { Rcode, RRClass, RRType, type ResourceRecord } from './wire.ts';

const services: DnsService[] = [
  { metadata: { name: 'web', namespace: 'default' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { port: 81, protocol: 'TCP' }] } },
  { metadata: { name: 'db', namespace: 'apps' }, spec: { type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] } },
  { metadata: { name: 'empty', namespace: 'apps' }, spec: { type: 'ClusterIP', clusterIP: 'None' } },
  { metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'www.example.com' } },
];
const slices: DnsEndpointSlice[] = [
  {
    metadata: { namespace: 'apps', labels: { 'kubernetes.io/service-name': 'db' } },
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.244.0.5'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.244.0.6'], conditions: { ready: true } },
      { addresses: ['10.244.0.7'], hostname: 'db-2', conditions: { ready: false } },
    ],
  },
  { metadata: { namespace: 'apps', labels: { 'kubernetes.io/service-name': 'empty' } }, endpoints: [{ addresses: ['10.244.0.9'], conditions: { ready: false } }] },
];

const table = new RecordTable(services, slices, 'cluster.local', { serial: 42 });
const ask = (name: string, type: number = RRType.A) => table.answer({ name, type, class: RRClass.IN });
const data = (rrs: ResourceRecord[] | undefined) => (rrs ?? []).map((r) => r.data);

describe('cluster DNS records', () => {
  it('answers a ClusterIP service with its cluster IP, TTL 5, under the name as asked', () => {
    const a = ask('Web.Default.svc.cluster.local.');
    expect(a?.rcode).toBe(Rcode.NOERROR);
    expect(a?.answers).toEqual([{ name: 'Web.Default.svc.cluster.local', type: RRType.A, class: RRClass.IN, ttl: 5, data: { kind: 'a', address: '10.96.0.20' } }]);
  });

  it('answers NOERROR without answers (NODATA) and the SOA for a known name of another type', () => {
    const a = ask('web.default.svc.cluster.local', RRType.AAAA);
    expect(a?.rcode).toBe(Rcode.NOERROR);
    expect(a?.answers).toEqual([]);
    expect(data(a?.authority)).toEqual([{ kind: 'soa', soa: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 42, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } }]);
  });

  it.each([
    'nope.default.svc.cluster.local',
    'web.other.svc.cluster.local',
    'x.y.z.web.default.svc.cluster.local',
    'something.cluster.local',
    'empty.apps.svc.cluster.local',
    '_http._udp.web.default.svc.cluster.local',
    '_nope._tcp.web.default.svc.cluster.local',
  ])('answers NXDOMAIN with the SOA for %s', (name) => {
    const a = ask(name, name.startsWith('_') ? RRType.SRV : RRType.A);
    expect(a?.rcode).toBe(Rcode.NXDOMAIN);
    expect(a?.authority[0]?.type).toBe(RRType.SOA);
  });

  it('answers a headless service with the addresses of its ready endpoints only', () => {
    expect(data(ask('db.apps.svc.cluster.local')?.answers)).toEqual([{ kind: 'a', address: '10.244.0.5' }, { kind: 'a', address: '10.244.0.6' }]);
  });

  it('answers an endpoint by its hostname, and one without a hostname by its dashed address', () => {
    expect(data(ask('db-0.db.apps.svc.cluster.local')?.answers)).toEqual([{ kind: 'a', address: '10.244.0.5' }]);
    expect(data(ask('10-244-0-6.db.apps.svc.cluster.local')?.answers)).toEqual([{ kind: 'a', address: '10.244.0.6' }]);
    expect(ask('db-2.db.apps.svc.cluster.local')?.rcode).toBe(Rcode.NXDOMAIN);
  });

  it('answers SRV for a named port of a ClusterIP service, target the service, its A record in additional', () => {
    const a = ask('_http._tcp.web.default.svc.cluster.local', RRType.SRV);
    expect(data(a?.answers)).toEqual([{ kind: 'srv', srv: { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' } }]);
    expect(a?.additional.map((r) => [r.name, r.data])).toEqual([['web.default.svc.cluster.local', { kind: 'a', address: '10.96.0.20' }]]);
  });

  it('answers SRV of a headless service with one record per ready endpoint, targets the endpoint names', () => {
    const a = ask('_pg._tcp.db.apps.svc.cluster.local', RRType.SRV);
    expect(data(a?.answers)).toEqual([
      { kind: 'srv', srv: { priority: 0, weight: 50, port: 5432, target: 'db-0.db.apps.svc.cluster.local' } },
      { kind: 'srv', srv: { priority: 0, weight: 50, port: 5432, target: '10-244-0-6.db.apps.svc.cluster.local' } },
    ]);
    expect(a?.additional.map((r) => r.name)).toEqual(['db-0.db.apps.svc.cluster.local', '10-244-0-6.db.apps.svc.cluster.local']);
  });

  it('answers SRV on the bare service name with every port', () => {
    expect(data(ask('web.default.svc.cluster.local', RRType.SRV)?.answers).map((d) => (d.kind === 'srv' ? d.srv.port : 0))).toEqual([80, 81]);
  });

  it('answers an ExternalName service with a CNAME for any type', () => {
    expect(ask('ext.default.svc.cluster.local')?.answers).toEqual([{ name: 'ext.default.svc.cluster.local', type: RRType.CNAME, class: RRClass.IN, ttl: 5, data: { kind: 'name', target: 'www.example.com' } }]);
  });

  it('answers pod names a-b-c-d.<ns>.pod.<zone> with the address they spell (pods insecure)', () => {
    expect(data(ask('10-244-1-7.anything.pod.cluster.local')?.answers)).toEqual([{ kind: 'a', address: '10.244.1.7' }]);
    expect(ask('10-244-1-300.anything.pod.cluster.local')?.rcode).toBe(Rcode.NXDOMAIN);
  });

  it('answers PTR for service IPs and headless endpoints, and leaves other reverse names to upstream', () => {
    expect(data(ask(reverseName('10.96.0.20')!, RRType.PTR)?.answers)).toEqual([{ kind: 'name', target: 'web.default.svc.cluster.local' }]);
    expect(data(ask('5.0.244.10.in-addr.arpa', RRType.PTR)?.answers)).toEqual([{ kind: 'name', target: 'db-0.db.apps.svc.cluster.local' }]);
    expect(ask('1.2.0.192.in-addr.arpa', RRType.PTR)).toBeUndefined();
  });

  it('leaves names outside the zone to the forwarder', () => {
    expect(ask('example.com')).toBeUndefined();
    expect(ask('cluster.local.example.com')).toBeUndefined();
  });

  it('answers the zone apex SOA, the schema version TXT and namespaces as existing names', () => {
    expect(ask('cluster.local', RRType.SOA)?.answers[0]?.type).toBe(RRType.SOA);
    expect(data(ask('dns-version.cluster.local', RRType.TXT)?.answers)).toEqual([{ kind: 'txt', texts: ['1.1.0'] }]);
    expect(ask('apps.svc.cluster.local')).toMatchObject({ rcode: Rcode.NOERROR, answers: [] });
    expect(ask('nons.svc.cluster.local')?.rcode).toBe(Rcode.NXDOMAIN);
  });

  it('serves another cluster domain when configured', () => {
    const t = new RecordTable(services, slices, 'corp.example');
    expect(data(t.answer({ name: 'web.default.svc.corp.example', type: RRType.A, class: RRClass.IN })?.answers)).toEqual([{ kind: 'a', address: '10.96.0.20' }]);
    expect(t.answer({ name: 'web.default.svc.cluster.local', type: RRType.A, class: RRClass.IN })).toBeUndefined();
  });
});
