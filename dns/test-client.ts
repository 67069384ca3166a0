// Test helper: DNS queries as bytes, and one question asked over UDP on loopback.
import { createSocket } from 'node:dgram';
import { parseMessage, RRClass, serialiseMessage, type Message, type ResourceRecord } from './wire.ts';

/** A recursive query for one name and type, with an EDNS OPT record when `opt` is given. */
export function dnsQuery(name: string, type: number, opts: { id?: number; opt?: ResourceRecord } = {}): Buffer {
  const m: Message = { id: opts.id ?? 7, qr: false, opcode: 0, aa: false, tc: false, rd: true, ra: false, rcode: 0, questions: [{ name, type, class: RRClass.IN }], answers: [], authority: [], additional: opts.opt ? [opts.opt] : [] };
  return serialiseMessage(m);
}

/** Sends `msg` to 127.0.0.1:`port` over UDP; resolves the parsed answer, rejects after 3 s without one. */
export function udpAsk(port: number, msg: Buffer): Promise<Message> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    const timer = setTimeout(() => {
      s.close();
      reject(new Error('no answer'));
    }, 3000);
    s.on('message', (m) => {
      clearTimeout(timer);
      s.close();
      resolve(parseMessage(m));
    });
    s.send(msg, port, '127.0.0.1');
  });
}
