// The DNS server over real UDP and TCP sockets: cluster answers, forwarding to an upstream, SERVFAIL and CNAME chasing.
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../server/log.ts';
import { Forwarder, nameserversOf } from './forward.ts';
import { dnsServiceIP } from './kube-dns-service.ts';
import { defaultRouteInterface } from '../server/host-address.ts';
import { parseListen } from './cli.ts';
import { RecordTable } from './records.ts';
import { listen, Resolver, type DnsListeners } from './server.ts';
import { optRecord, parseMessage, Rcode, RRClass, RRType, serialiseMessage, type Message } from './wire.ts';
import { dnsQuery, udpAsk } from './test-client.ts';

const log = createLogger('dns-test', () => undefined);

const query = (name: string, type: number, id = 7, edns = false): Buffer => dnsQuery(name, type, { id, opt: edns ? optRecord(1232) : undefined });

function tcpAsk(port: number, msgs: Buffer[]): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const c = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const out: Message[] = [];
    c.on('error', reject);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        out.push(parseMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (out.length === msgs.length) {
        c.end();
        resolve(out);
      }
    });
    // Both frames in one write: the server must split them.
    c.write(Buffer.concat(msgs.map((m) => Buffer.concat([Buffer.from([m.length >> 8, m.length & 0xff]), m]))));
  });
}

/** A fake upstream answering every A question with 192.0.2.99 (and www.example.com with 192.0.2.53). */
async function fakeUpstream(): Promise<{ port: number; socket: Socket }> {
  const socket = createSocket('udp4');
  socket.on('message', (m, r) => {
    const q = parseMessage(m);
    const name = q.questions[0]!.name;
    const address = name === 'www.example.com' ? '192.0.2.53' : '192.0.2.99';
    socket.send(serialiseMessage({ ...q, qr: true, ra: true, answers: [{ name, type: RRType.A, class: RRClass.IN, ttl: 300, data: { kind: 'a', address } }] }), r.port, r.address);
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
  return { port: socket.address().port, socket };
}

describe('the DNS server', () => {
  let upstream: { port: number; socket: Socket };
  let server: DnsListeners;
  let dead: DnsListeners;
  let silent: Socket;

  beforeAll(async () => {
    upstream = await fakeUpstream();
    const table = new RecordTable(
      [
        { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] } },
        { metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'www.example.com' } },
      ],
      [],
    );
    server = await listen(new Resolver(table, new Forwarder({ servers: ['127.0.0.1'], port: upstream.port, timeoutMs: 500 }), log), '127.0.0.1', 0, log);
    // An upstream that never answers (a bound socket that ignores everything).
    silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
    const silentPort = silent.address().port;
    dead = await listen(new Resolver(table, new Forwarder({ servers: ['127.0.0.1'], port: silentPort, timeoutMs: 300 }), log), '127.0.0.1', 0, log);
  });
  afterAll(async () => {
    await server.close();
    await dead.close();
    upstream.socket.close();
    silent.close();
  });

  it('answers a cluster name over UDP, authoritative, echoing id and question', async () => {
    const a = await udpAsk(server.port, query('web.default.svc.cluster.local', RRType.A, 4242));
    expect([a.id, a.qr, a.aa, a.rd, a.ra, a.rcode]).toEqual([4242, true, true, true, true, Rcode.NOERROR]);
    expect(a.questions).toEqual([{ name: 'web.default.svc.cluster.local', type: RRType.A, class: RRClass.IN }]);
    expect(a.answers.map((r) => r.data)).toEqual([{ kind: 'a', address: '10.96.0.20' }]);
  });

  it('answers NXDOMAIN for an unknown cluster name and echoes an EDNS0 OPT', async () => {
    const a = await udpAsk(server.port, query('nope.default.svc.cluster.local', RRType.A, 1, true));
    expect(a.rcode).toBe(Rcode.NXDOMAIN);
    expect(a.authority[0]?.type).toBe(RRType.SOA);
    expect(a.additional.map((r) => r.type)).toEqual([RRType.OPT]);
  });

  it('answers several length-prefixed queries on one TCP connection', async () => {
    const [a, b] = await tcpAsk(server.port, [query('web.default.svc.cluster.local', RRType.A, 1), query('example.org', RRType.A, 2)]);
    expect(a?.answers.map((r) => r.data)).toEqual([{ kind: 'a', address: '10.96.0.20' }]);
    expect(b?.id).toBe(2);
    expect(b?.answers.map((r) => r.data)).toEqual([{ kind: 'a', address: '192.0.2.99' }]);
  });

  it('forwards names outside the zone and relays the upstream answer with the client id', async () => {
    const a = await udpAsk(server.port, query('example.org', RRType.A, 999));
    expect(a.id).toBe(999);
    expect(a.answers.map((r) => [r.name, r.data, r.ttl])).toEqual([['example.org', { kind: 'a', address: '192.0.2.99' }, 300]]);
  });

  it('follows an ExternalName CNAME upstream', async () => {
    const a = await udpAsk(server.port, query('ext.default.svc.cluster.local', RRType.A));
    expect(a.answers.map((r) => r.data)).toEqual([{ kind: 'name', target: 'www.example.com' }, { kind: 'a', address: '192.0.2.53' }]);
  });

  it('answers SERVFAIL when the upstream does not answer in time', async () => {
    const a = await udpAsk(dead.port, query('example.org', RRType.A, 5));
    expect([a.id, a.rcode]).toEqual([5, Rcode.SERVFAIL]);
  });

  it('answers FORMERR to a malformed query', async () => {
    const a = await udpAsk(server.port, Buffer.from('abcd0100000100000000000003', 'hex'));
    expect([a.id, a.rcode]).toEqual([0xabcd, Rcode.FORMERR]);
  });
});

describe('DNS helpers', () => {
  it('reads the nameservers of a resolv.conf', () => {
    expect(nameserversOf('# c\nsearch a b\nnameserver 10.255.255.53\nnameserver fe80::1%eth0\nnameserver bogus\noptions ndots:5\n')).toEqual(['10.255.255.53', 'fe80::1']);
  });

  it('finds the default route interface in /proc/net/route', () => {
    const text = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
      'eth1\t00000000\t010200C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n' +
      'eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n' +
      'eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n';
    expect(defaultRouteInterface(text)).toBe('eth0');
    expect(defaultRouteInterface('Iface\tDestination\n')).toBeUndefined();
  });

  it.each([
    ['10.96.0.1', '10.96.0.10'],
    ['10.0.0.1', '10.0.0.10'],
    ['172.16.255.250', '172.17.0.3'],
  ])('puts kube-dns at the 10th service address (kubernetes at %s → %s)', (first, dns) => {
    expect(dnsServiceIP(first)).toBe(dns);
  });

  it.each([
    ['192.0.2.2:10053', { host: '192.0.2.2', port: 10053 }],
    [':53', { host: undefined, port: 53 }],
    ['[::1]:5353', { host: '::1', port: 5353 }],
    ['', { host: undefined, port: 10053 }],
  ])('parses --listen %j', (text, want) => {
    expect(parseListen(text)).toEqual(want);
  });
});
