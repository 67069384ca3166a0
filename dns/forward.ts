// Forwarding of names outside the cluster zone to the host's resolvers (resolv.conf), over UDP with a timeout.
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';

/** The `nameserver` lines of a resolv.conf text, in order (IPv4 and IPv6; zone ids dropped). */
export function nameserversOf(resolvConf: string): string[] {
  const out: string[] = [];
  for (const line of resolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const ip = m?.[1]?.split('%')[0];
    if (ip && isIP(ip)) out.push(ip);
  }
  return out;
}

/** The host's nameservers from `path` (default /etc/resolv.conf); [] when it cannot be read. */
export function hostNameservers(path = '/etc/resolv.conf'): string[] {
  try {
    return nameserversOf(readFileSync(path, 'utf8'));
  } catch {
    return [];
  }
}

/** Sends `query` to one server and resolves its answer (the message id checked), or rejects on timeout/error. */
function ask(server: string, port: number, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(isIP(server) === 6 ? 'udp6' : 'udp4');
    const id = query.readUInt16BE(0);
    const timer = setTimeout(() => finish(new Error(`no answer from ${server}:${port} within ${timeoutMs} ms`)), timeoutMs);
    const finish = (err: Error | undefined, msg?: Buffer): void => {
      clearTimeout(timer);
      socket.close();
      if (err) reject(err);
      else resolve(msg!);
    };
    socket.on('error', (e) => finish(e));
    socket.on('message', (msg) => {
      if (msg.length >= 12 && msg.readUInt16BE(0) === id) finish(undefined, msg);
    });
    socket.send(query, port, server, (e) => {
      if (e) finish(e);
    });
  });
}

export interface ForwarderOptions {
  /** Upstream servers (default: the host's resolv.conf, read once). */
  servers?: string[];
  port?: number;
  /** Per server; default 2000 ms. */
  timeoutMs?: number;
}

/**
 * Forwards raw queries upstream. Guarantees: each server is tried in order with a fresh random message id (so
 * answers cannot be confused across clients), the answer is handed back with the caller's id restored; rejects
 * when every server failed or timed out (the caller answers SERVFAIL) or when there is no server at all.
 */
export class Forwarder {
  readonly servers: string[];
  readonly #port: number;
  readonly #timeoutMs: number;

  constructor(opts: ForwarderOptions = {}) {
    this.servers = opts.servers ?? hostNameservers();
    this.#port = opts.port ?? 53;
    this.#timeoutMs = opts.timeoutMs ?? 2000;
  }

  async forward(query: Buffer): Promise<Buffer> {
    if (query.length < 12) throw new Error('query shorter than a DNS header');
    let last: unknown = new Error('no upstream nameserver configured');
    for (const server of this.servers) {
      const copy = Buffer.from(query);
      copy.writeUInt16BE(randomInt(0, 65536), 0);
      try {
        const answer = Buffer.from(await ask(server, this.#port, copy, this.#timeoutMs));
        answer.writeUInt16BE(query.readUInt16BE(0), 0);
        return answer;
      } catch (e: unknown) {
        last = e;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }
}
