// The DNS server: one resolver (cluster records, else forwarding) behind a UDP and a TCP listener on one port.
import { createSocket, type Socket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import type { Logger } from '../server/log.ts';
import type { Forwarder } from './forward.ts';
import type { RecordTable } from './records.ts';
import { mayRecurse } from './access.ts';
import { optRecord, parseMessage, Rcode, RRType, serialiseMessage, udpPayloadSize, type Message, type ResourceRecord } from './wire.ts';

/** The fixed part of an answer to `q`: same id, question and RD; QR and RA set (we recurse by forwarding). */
function replyTo(q: Message, rcode: number): Message {
  return { id: q.id, qr: true, opcode: q.opcode, aa: false, tc: false, rd: q.rd, ra: true, rcode, questions: q.questions, answers: [], authority: [], additional: [] };
}

function errorReply(query: Buffer, rcode: number): Buffer {
  // A header-only answer (no question echoed) for queries we could not parse.
  const out = Buffer.alloc(12);
  out.writeUInt16BE(query.length >= 2 ? query.readUInt16BE(0) : 0, 0);
  out.writeUInt16BE(0x8000 | 0x0080 | rcode, 2);
  return out;
}

/**
 * Answers raw DNS queries. Guarantees: a name inside the cluster zone (or a reverse name of a service) is answered
 * from the current table with AA set, never forwarded; an ExternalName's CNAME is followed once (in the zone, or
 * upstream); any other name is forwarded and the upstream answer relayed; upstream failure gives SERVFAIL, a
 * malformed query FORMERR, an opcode other than QUERY NOTIMP. Never throws.
 */
export class Resolver {
  #table: RecordTable;
  readonly #forwarder: Forwarder;
  readonly #log: Logger;

  constructor(table: RecordTable, forwarder: Forwarder, log: Logger) {
    this.#table = table;
    this.#forwarder = forwarder;
    this.#log = log;
  }

  /** Swaps in a new table (answers already being built keep the old one). */
  setTable(table: RecordTable): void {
    this.#table = table;
  }

  get table(): RecordTable {
    return this.#table;
  }

  /**
   * The answer bytes to `query`; UDP answers are bounded by the client's payload size (truncation sets TC). A
   * `source` that may not recurse ({@link mayRecurse}) gets REFUSED for names that would be forwarded.
   */
  async resolve(query: Buffer, transport: 'udp' | 'tcp', source?: string): Promise<Buffer> {
    let msg: Message;
    try {
      msg = parseMessage(query);
    } catch {
      return errorReply(query, Rcode.FORMERR);
    }
    const edns = msg.additional.some((r) => r.type === RRType.OPT);
    const maxSize = transport === 'udp' ? Math.min(udpPayloadSize(msg), 4096) : 65535;
    if (msg.qr) return errorReply(query, Rcode.FORMERR);
    if (msg.opcode !== 0) return this.#encode(replyTo(msg, Rcode.NOTIMP), edns, maxSize);
    const q = msg.questions[0];
    if (!q || msg.questions.length !== 1) return this.#encode(replyTo(msg, Rcode.FORMERR), edns, maxSize);
    const table = this.#table;
    const local = table.answer(q);
    if (!local) {
      if (source !== undefined && !mayRecurse(source)) return this.#encode(replyTo(msg, Rcode.REFUSED), edns, maxSize);
      return this.#forward(query, msg, edns, maxSize);
    }
    const reply = replyTo(msg, local.rcode);
    reply.aa = true;
    reply.answers = [...local.answers];
    reply.authority = local.authority;
    reply.additional = local.additional;
    const cname = local.answers.length === 1 && local.answers[0]!.type === RRType.CNAME && q.type !== RRType.CNAME ? local.answers[0]! : undefined;
    if (cname && cname.data.kind === 'name') {
      const chased = await this.#chase(cname.data.target, q.type, q.class);
      reply.answers.push(...chased.answers);
      if (chased.rcode !== Rcode.NOERROR && chased.answers.length === 0) reply.rcode = chased.rcode;
    }
    return this.#encode(reply, edns, maxSize);
  }

  /** Follows a CNAME target one step: from the table when it is ours, upstream otherwise (failures add nothing). */
  async #chase(target: string, type: number, cls: number): Promise<{ rcode: number; answers: ResourceRecord[] }> {
    const local = this.#table.answer({ name: target, type, class: cls });
    if (local) return { rcode: local.rcode, answers: local.answers };
    const query: Message = { id: 0, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0, questions: [{ name: target, type, class: cls }], answers: [], authority: [], additional: [] };
    try {
      const answer = parseMessage(await this.#forwarder.forward(serialiseMessage(query)));
      return { rcode: answer.rcode, answers: answer.answers };
    } catch (e: unknown) {
      this.#log.debug('CNAME target not resolved upstream', { target, error: e instanceof Error ? e.message : String(e) });
      return { rcode: Rcode.NOERROR, answers: [] };
    }
  }

  async #forward(query: Buffer, msg: Message, edns: boolean, maxSize: number): Promise<Buffer> {
    try {
      const answer = await this.#forwarder.forward(query);
      if (answer.length <= maxSize) return answer;
      // Too big for the client's UDP size: re-encode truncated (TC tells it to retry over TCP).
      return serialiseMessage({ ...parseMessage(answer), tc: true }, maxSize);
    } catch (e: unknown) {
      this.#log.debug('forwarding failed', { name: msg.questions[0]?.name, error: e instanceof Error ? e.message : String(e) });
      return this.#encode(replyTo(msg, Rcode.SERVFAIL), edns, maxSize);
    }
  }

  #encode(reply: Message, edns: boolean, maxSize: number): Buffer {
    if (edns) reply.additional = [...reply.additional, optRecord()];
    try {
      return serialiseMessage(reply, maxSize);
    } catch (e: unknown) {
      this.#log.warn('answer not encodable', { error: e instanceof Error ? e.message : String(e) });
      return serialiseMessage({ ...replyTo(reply, Rcode.SERVFAIL), additional: [] }, maxSize);
    }
  }
}

export interface DnsListeners {
  /** The port both listeners are bound to (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

function bindUdp(host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function bindTcp(host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Serves `resolver` on UDP and TCP at `host:port` (the same port number for both; with port 0 a free one is picked
 * for both, retrying a few times if the TCP half of a UDP port is taken). TCP frames are length-prefixed (RFC 1035
 * 4.2.2); several queries may share a connection; idle connections close after 30 s.
 * @throws Error (EADDRINUSE, EACCES…) when the port cannot be bound.
 */
export async function listen(resolver: Resolver, host: string, port: number, log: Logger): Promise<DnsListeners> {
  let udp: Socket | undefined;
  let tcp: Server | undefined;
  for (let attempt = 0; ; attempt++) {
    udp = await bindUdp(host, port);
    const bound = udp.address().port;
    try {
      tcp = await bindTcp(host, bound);
      break;
    } catch (e: unknown) {
      udp.close();
      if (port !== 0 || attempt >= 5) throw e;
    }
  }
  const u = udp;
  let closed = false;
  u.on('message', (query, rinfo) => {
    void resolver.resolve(query, 'udp', rinfo.address).then((answer) => {
      // An answer that was still being forwarded when the server closed has nobody to go to.
      if (!closed) u.send(answer, rinfo.port, rinfo.address, (e) => e && log.debug('udp send failed', { error: e.message }));
    });
  });
  u.on('error', (e) => log.warn('udp socket error', { error: e.message }));
  const sockets = new Set<import('node:net').Socket>();
  tcp.on('connection', (conn) => {
    sockets.add(conn);
    conn.setTimeout(30_000, () => conn.destroy());
    conn.on('close', () => sockets.delete(conn));
    conn.on('error', () => conn.destroy());
    let pending = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2) {
        const len = pending.readUInt16BE(0);
        if (pending.length < 2 + len) break;
        const query = pending.subarray(2, 2 + len);
        pending = pending.subarray(2 + len);
        void resolver.resolve(Buffer.from(query), 'tcp', conn.remoteAddress).then((answer) => {
          if (conn.destroyed) return;
          const frame = Buffer.alloc(2 + answer.length);
          frame.writeUInt16BE(answer.length, 0);
          answer.copy(frame, 2);
          conn.write(frame);
        });
      }
    });
  });
  const t = tcp;
  return {
    port: u.address().port,
    close: async () => {
      closed = true;
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => u.close(() => r())), new Promise<void>((r) => t.close(() => r()))]);
    },
  };
}
