// The DNS wire codec: round trips, name compression, EDNS0 OPT, truncation and malformed input.
import { describe, expect, it } from 'vitest';
import { optRecord, parseMessage, Rcode, RRClass, RRType, serialiseMessage, udpPayloadSize, WireError, type Message, type ResourceRecord } from './wire.ts';

function query(name: string, type: number, extra: Partial<Message> = {}): Message {
  return { id: 0x1234, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0, questions: [{ name, type, class: RRClass.IN }], answers: [], authority: [], additional: [], ...extra };
}

const rr = (name: string, type: number, data: ResourceRecord['data'], ttl = 5): ResourceRecord => ({ name, type, class: RRClass.IN, ttl, data });

describe('DNS wire format', () => {
  it('encodes a query exactly as RFC 1035 lays it out', () => {
    const buf = serialiseMessage(query('a.b', RRType.A));
    expect(buf.toString('hex')).toBe('1234' + '0100' + '0001000000000000' + '0161016200' + '0001' + '0001');
  });

  it.each([
    ['A', rr('x.cluster.local', RRType.A, { kind: 'a', address: '10.96.0.10' })],
    ['AAAA', rr('x.cluster.local', RRType.AAAA, { kind: 'aaaa', address: 'fd00::a' })],
    ['CNAME', rr('x.cluster.local', RRType.CNAME, { kind: 'name', target: 'www.example.com' })],
    ['PTR', rr('10.0.96.10.in-addr.arpa', RRType.PTR, { kind: 'name', target: 'kube-dns.kube-system.svc.cluster.local' })],
    ['SRV', rr('_dns._udp.kube-dns.kube-system.svc.cluster.local', RRType.SRV, { kind: 'srv', srv: { priority: 0, weight: 100, port: 53, target: 'kube-dns.kube-system.svc.cluster.local' } })],
    ['SOA', rr('cluster.local', RRType.SOA, { kind: 'soa', soa: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 7, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 } })],
    ['TXT', rr('dns-version.cluster.local', RRType.TXT, { kind: 'txt', texts: ['1.1.0'] })],
    ['an unknown type as raw bytes', rr('x.cluster.local', 99, { kind: 'raw', bytes: Buffer.from([1, 2, 3]) })],
  ])('round-trips a %s record', (_label, record) => {
    const msg: Message = { ...query(record.name, record.type), qr: true, aa: true, ra: true, answers: [record] };
    expect(parseMessage(serialiseMessage(msg))).toEqual(msg);
  });

  it('compresses repeated names with pointers (the answer name points at the question)', () => {
    const msg: Message = { ...query('web.default.svc.cluster.local', RRType.A), qr: true, answers: [rr('web.default.svc.cluster.local', RRType.A, { kind: 'a', address: '10.96.0.20' })] };
    const buf = serialiseMessage(msg);
    // header 12 + question name 31 + 4, then a 2-byte pointer to offset 12 instead of the name again
    expect(buf.length).toBe(12 + 31 + 4 + 2 + 10 + 4);
    expect(buf.readUInt16BE(12 + 31 + 4)).toBe(0xc000 | 12);
    expect(parseMessage(buf).answers[0]!.name).toBe('web.default.svc.cluster.local');
  });

  it('compares names case-insensitively when compressing but keeps each spelling it writes first', () => {
    const msg: Message = { ...query('WEB.Default.svc.cluster.local', RRType.A), qr: true, answers: [rr('web.default.svc.cluster.local', RRType.A, { kind: 'a', address: '10.96.0.20' })] };
    const parsed = parseMessage(serialiseMessage(msg));
    expect(parsed.questions[0]!.name).toBe('WEB.Default.svc.cluster.local');
  });

  it('keeps an EDNS0 OPT record last and reads its UDP payload size', () => {
    const q = query('example.com', RRType.A, { additional: [optRecord(4096)] });
    const parsed = parseMessage(serialiseMessage(q));
    expect(parsed.additional).toEqual([{ name: '', type: RRType.OPT, class: 4096, ttl: 0, data: { kind: 'raw', bytes: Buffer.alloc(0) } }]);
    expect(udpPayloadSize(parsed)).toBe(4096);
    expect(udpPayloadSize(query('example.com', RRType.A))).toBe(512);
  });

  it('drops records that do not fit the size limit and sets TC, never exceeding the limit', () => {
    const answers = Array.from({ length: 60 }, (_, i) => rr('many.default.svc.cluster.local', RRType.A, { kind: 'a', address: `10.0.0.${i}` }));
    const buf = serialiseMessage({ ...query('many.default.svc.cluster.local', RRType.A), qr: true, answers }, 512);
    expect(buf.length).toBeLessThanOrEqual(512);
    const parsed = parseMessage(buf);
    expect(parsed.tc).toBe(true);
    expect(parsed.answers.length).toBeGreaterThan(0);
    expect(parsed.answers.length).toBeLessThan(60);
  });

  it('reads the header flags and rcode', () => {
    const buf = serialiseMessage({ ...query('x', RRType.A), qr: true, aa: true, ra: true, rcode: Rcode.NXDOMAIN });
    const m = parseMessage(buf);
    expect([m.qr, m.aa, m.tc, m.rd, m.ra, m.rcode, m.opcode]).toEqual([true, true, false, true, true, Rcode.NXDOMAIN, 0]);
  });

  it.each([
    ['shorter than a header', Buffer.alloc(5)],
    ['a question running past the end', Buffer.from('123401000001000000000000036162', 'hex')],
    ['a compression pointer loop', Buffer.from('123401000001000000000000c00c00010001', 'hex')],
    ['a record whose data runs past the end', Buffer.from('1234818000000001000000000000010001000000050004' + '0a00', 'hex')],
  ])('rejects a message %s with a WireError', (_label, buf) => {
    expect(() => parseMessage(buf)).toThrow(WireError);
  });

  it('refuses to encode a label longer than 63 octets', () => {
    expect(() => serialiseMessage(query(`${'a'.repeat(64)}.example`, RRType.A))).toThrow(WireError);
  });
});
