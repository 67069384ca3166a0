// The DNS wire format (RFC 1035): parse and serialise messages, with name compression on output and EDNS0 OPT kept.

/** Record types we know by name (others travel as raw rdata). */
export const RRType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41, ANY: 255 } as const;
export const RRClass = { IN: 1 } as const;
export const Rcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

export interface SOAData {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface SRVData {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** Record data by type; anything we do not decode stays raw bytes. */
export type RData =
  | { kind: 'a'; address: string }
  | { kind: 'aaaa'; address: string }
  | { kind: 'name'; target: string } // NS, CNAME, PTR
  | { kind: 'soa'; soa: SOAData }
  | { kind: 'srv'; srv: SRVData }
  | { kind: 'txt'; texts: string[] }
  | { kind: 'raw'; bytes: Buffer };

export interface ResourceRecord {
  /** Absolute name without the trailing dot ('' is the root). */
  name: string;
  type: number;
  /** For OPT: the requester's UDP payload size. */
  class: number;
  /** For OPT: extended rcode, version and flags. */
  ttl: number;
  data: RData;
}

export interface Question {
  name: string;
  type: number;
  class: number;
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

export class WireError extends Error {
  override name = 'WireError';
}

const MAX_POINTER_HOPS = 64;

/** Reads a possibly compressed name at `offset`; `end` is where the name's bytes end at that place. */
function readName(buf: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let hops = 0;
  let length = 0;
  for (;;) {
    if (pos >= buf.length) throw new WireError('name runs past the message');
    const len = buf[pos]!;
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= buf.length) throw new WireError('truncated compression pointer');
      if (++hops > MAX_POINTER_HOPS) throw new WireError('compression pointer loop');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | buf[pos + 1]!;
      continue;
    }
    if (len & 0xc0) throw new WireError('unsupported label type');
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if (pos + 1 + len > buf.length) throw new WireError('label runs past the message');
    length += len + 1;
    if (length > 255) throw new WireError('name longer than 255 octets');
    labels.push(buf.toString('latin1', pos + 1, pos + 1 + len).replace(/[.\\]/g, (c) => `\\${c}`));
    pos += 1 + len;
  }
  return { name: labels.join('.'), end };
}

function splitLabels(name: string): string[] {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  if (trimmed === '') return [];
  const labels: string[] = [];
  let cur = '';
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i]!;
    if (c === '\\' && i + 1 < trimmed.length) cur += trimmed[++i];
    else if (c === '.') {
      labels.push(cur);
      cur = '';
    } else cur += c;
  }
  labels.push(cur);
  return labels;
}

function ipv4Bytes(address: string): Buffer {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new WireError(`bad IPv4 address ${address}`);
  return Buffer.from(parts);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail] = address.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new WireError(`bad IPv6 address ${address}`);
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16) & 0xffff, i * 2));
  return out;
}

function ipv6Text(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

function parseRData(buf: Buffer, type: number, start: number, len: number): RData {
  const end = start + len;
  switch (type) {
    case RRType.A:
      if (len !== 4) throw new WireError('A record of wrong length');
      return { kind: 'a', address: [...buf.subarray(start, end)].join('.') };
    case RRType.AAAA:
      if (len !== 16) throw new WireError('AAAA record of wrong length');
      return { kind: 'aaaa', address: ipv6Text(buf.subarray(start, end)) };
    case RRType.NS:
    case RRType.CNAME:
    case RRType.PTR:
      return { kind: 'name', target: readName(buf, start).name };
    case RRType.SOA: {
      const m = readName(buf, start);
      const r = readName(buf, m.end);
      if (r.end + 20 > end) throw new WireError('SOA record too short');
      const n = (i: number): number => buf.readUInt32BE(r.end + i * 4);
      return { kind: 'soa', soa: { mname: m.name, rname: r.name, serial: n(0), refresh: n(1), retry: n(2), expire: n(3), minimum: n(4) } };
    }
    case RRType.SRV: {
      if (len < 7) throw new WireError('SRV record too short');
      return { kind: 'srv', srv: { priority: buf.readUInt16BE(start), weight: buf.readUInt16BE(start + 2), port: buf.readUInt16BE(start + 4), target: readName(buf, start + 6).name } };
    }
    case RRType.TXT: {
      const texts: string[] = [];
      for (let p = start; p < end; ) {
        const l = buf[p]!;
        texts.push(buf.toString('latin1', p + 1, p + 1 + l));
        p += 1 + l;
      }
      return { kind: 'txt', texts };
    }
    default:
      return { kind: 'raw', bytes: Buffer.from(buf.subarray(start, end)) };
  }
}

/**
 * Parses one DNS message (UDP payload, or a TCP frame without its length prefix).
 * @throws WireError when the bytes are not a well-formed message (truncated, pointer loops, bad lengths).
 */
export function parseMessage(buf: Buffer): Message {
  if (buf.length < 12) throw new WireError('message shorter than its header');
  const flags = buf.readUInt16BE(2);
  const counts = [buf.readUInt16BE(4), buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10)] as const;
  let pos = 12;
  const questions: Question[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const n = readName(buf, pos);
    if (n.end + 4 > buf.length) throw new WireError('question runs past the message');
    questions.push({ name: n.name, type: buf.readUInt16BE(n.end), class: buf.readUInt16BE(n.end + 2) });
    pos = n.end + 4;
  }
  const section = (count: number): ResourceRecord[] => {
    const out: ResourceRecord[] = [];
    for (let i = 0; i < count; i++) {
      const n = readName(buf, pos);
      if (n.end + 10 > buf.length) throw new WireError('record header runs past the message');
      const type = buf.readUInt16BE(n.end);
      const cls = buf.readUInt16BE(n.end + 2);
      const ttl = buf.readUInt32BE(n.end + 4);
      const len = buf.readUInt16BE(n.end + 8);
      const start = n.end + 10;
      if (start + len > buf.length) throw new WireError('record data runs past the message');
      out.push({ name: n.name, type, class: cls, ttl, data: parseRData(buf, type, start, len) });
      pos = start + len;
    }
    return out;
  };
  const answers = section(counts[1]);
  const authority = section(counts[2]);
  const additional = section(counts[3]);
  return {
    id: buf.readUInt16BE(0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers,
    authority,
    additional,
  };
}

/** A growing output buffer that remembers where each name suffix was written (RFC 1035 4.1.4 compression). */
class Writer {
  #buf = Buffer.alloc(512);
  #len = 0;
  readonly #names = new Map<string, number>();

  get length(): number {
    return this.#len;
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = Buffer.alloc(Math.max(this.#buf.length * 2, this.#len + n));
    this.#buf.copy(next, 0, 0, this.#len);
    this.#buf = next;
  }

  u8(v: number): void {
    this.#room(1);
    this.#buf.writeUInt8(v, this.#len++);
  }

  u16(v: number): void {
    this.#room(2);
    this.#buf.writeUInt16BE(v & 0xffff, this.#len);
    this.#len += 2;
  }

  u32(v: number): void {
    this.#room(4);
    this.#buf.writeUInt32BE(v >>> 0, this.#len);
    this.#len += 4;
  }

  bytes(b: Buffer): void {
    this.#room(b.length);
    b.copy(this.#buf, this.#len);
    this.#len += b.length;
  }

  setU16(at: number, v: number): void {
    this.#buf.writeUInt16BE(v & 0xffff, at);
  }

  name(name: string, compress = true): void {
    const labels = splitLabels(name);
    for (let i = 0; i < labels.length; i++) {
      const key = labels.slice(i).join('.').toLowerCase();
      const at = this.#names.get(key);
      if (compress && at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.#len < 0x4000) this.#names.set(key, this.#len);
      const bytes = Buffer.from(labels[i]!, 'latin1');
      if (bytes.length === 0 || bytes.length > 63) throw new WireError(`bad label in ${JSON.stringify(name)}`);
      this.u8(bytes.length);
      this.bytes(bytes);
    }
    this.u8(0);
  }

  done(): Buffer {
    return Buffer.from(this.#buf.subarray(0, this.#len));
  }
}

function writeRecord(w: Writer, rr: ResourceRecord): void {
  w.name(rr.name);
  w.u16(rr.type);
  w.u16(rr.class);
  w.u32(rr.ttl);
  const lenAt = w.length;
  w.u16(0);
  const start = w.length;
  const d = rr.data;
  switch (d.kind) {
    case 'a':
      w.bytes(ipv4Bytes(d.address));
      break;
    case 'aaaa':
      w.bytes(ipv6Bytes(d.address));
      break;
    case 'name':
      w.name(d.target);
      break;
    case 'soa':
      w.name(d.soa.mname);
      w.name(d.soa.rname);
      for (const n of [d.soa.serial, d.soa.refresh, d.soa.retry, d.soa.expire, d.soa.minimum]) w.u32(n);
      break;
    case 'srv':
      w.u16(d.srv.priority);
      w.u16(d.srv.weight);
      w.u16(d.srv.port);
      w.name(d.srv.target, false); // RFC 2782: the target is not compressed
      break;
    case 'txt':
      for (const t of d.texts) {
        const b = Buffer.from(t, 'latin1').subarray(0, 255);
        w.u8(b.length);
        w.bytes(b);
      }
      break;
    case 'raw':
      w.bytes(d.bytes);
      break;
  }
  w.setU16(lenAt, w.length - start);
}

/**
 * Serialises `msg`, compressing repeated names. With `maxSize` (UDP: 512 or the EDNS0 payload size), records that
 * do not fit are dropped from the end and TC is set when an answer or authority record had to go (additional
 * records are dropped silently, as RFC 2181 9 allows), so the result never exceeds `maxSize`.
 * @throws WireError for a name or address that cannot be encoded.
 */
export function serialiseMessage(msg: Message, maxSize = 65535): Buffer {
  const opt = msg.additional.filter((r) => r.type === RRType.OPT);
  const sections: Array<ResourceRecord[]> = [msg.answers, msg.authority, msg.additional.filter((r) => r.type !== RRType.OPT)];
  for (;;) {
    const buf = encode(msg, sections, opt);
    if (buf.length <= maxSize) return buf;
    const [an, ns, ar] = sections as [ResourceRecord[], ResourceRecord[], ResourceRecord[]];
    if (ar.length) sections[2] = ar.slice(0, -1);
    else if (ns.length) sections[1] = ns.slice(0, -1);
    else if (an.length) sections[0] = an.slice(0, -1);
    else return buf.subarray(0, maxSize);
    if (sections[0]!.length < an.length || sections[1]!.length < ns.length) msg = { ...msg, tc: true };
  }
}

function encode(msg: Message, sections: ReadonlyArray<ResourceRecord[]>, opt: ResourceRecord[]): Buffer {
  const w = new Writer();
  w.u16(msg.id);
  const flags = (msg.qr ? 0x8000 : 0) | ((msg.opcode & 0xf) << 11) | (msg.aa ? 0x0400 : 0) | (msg.tc ? 0x0200 : 0) | (msg.rd ? 0x0100 : 0) | (msg.ra ? 0x0080 : 0) | (msg.rcode & 0xf);
  w.u16(flags);
  w.u16(msg.questions.length);
  w.u16(sections[0]!.length);
  w.u16(sections[1]!.length);
  w.u16(sections[2]!.length + opt.length);
  for (const q of msg.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const s of sections) for (const rr of s) writeRecord(w, rr);
  for (const rr of opt) writeRecord(w, rr);
  return w.done();
}

/** The EDNS0 UDP payload size the message's OPT record advertises, or 512 without one (RFC 6891). */
export function udpPayloadSize(msg: Message): number {
  const opt = msg.additional.find((r) => r.type === RRType.OPT);
  return opt ? Math.max(512, opt.class) : 512;
}

/** Our OPT record for answers to EDNS0 queries (no options; version 0). */
export function optRecord(payloadSize = 1232): ResourceRecord {
  return { name: '', type: RRType.OPT, class: payloadSize, ttl: 0, data: { kind: 'raw', bytes: Buffer.alloc(0) } };
}
