// Test helper: a raw WebSocket client on a plain socket that sends the handshake and collects the server's (unmasked) frames.
import type http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach } from 'vitest';
import { encodeFrame, FrameDecoder, Opcode } from './websocket.ts';

const MASK = Buffer.from([9, 8, 7, 6]);

/** A masked binary message, as a client must send it. */
export function clientMessage(payload: Buffer | number[], opcode: number = Opcode.binary): Buffer {
  return encodeFrame(opcode, Buffer.isBuffer(payload) ? payload : Buffer.from(payload), { mask: MASK });
}

/** A raw client: sends the handshake, then collects unmasked server frames. */
export async function rawClient(port: number, extraHeaders = '', opts: { path?: string; protocols?: string } = {}): Promise<{ socket: net.Socket; response: Promise<string>; frames: Array<{ opcode: number; payload: Buffer }>; ended: Promise<void> }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(`GET ${opts.path ?? '/x'} HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${opts.protocols ?? 'p'}\r\n${extraHeaders}\r\n`);
  const frames: Array<{ opcode: number; payload: Buffer }> = [];
  const decoder = new FrameDecoder({ requireMask: false });
  let buf = Buffer.alloc(0);
  let resolveResponse: (s: string) => void = () => undefined;
  const response = new Promise<string>((r) => (resolveResponse = r));
  let headerDone = false;
  let upgraded = false;
  socket.on('data', (c: Buffer) => {
    if (!headerDone) {
      buf = Buffer.concat([buf, c]);
      const i = buf.indexOf('\r\n\r\n');
      if (i < 0) return;
      headerDone = true;
      upgraded = buf.subarray(0, 12).toString() === 'HTTP/1.1 101';
      resolveResponse(buf.subarray(0, i).toString());
      c = buf.subarray(i + 4);
    }
    if (upgraded) frames.push(...decoder.push(c));
  });
  const ended = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, response, frames, ended };
}


/** `listen(server)` for one test file: a loopback port; servers and their upgraded sockets are closed after each test. */
export function useTestServers(): (server: http.Server) => Promise<number> {
  const servers: http.Server[] = [];
  const upgraded = new Set<Duplex>();
  afterEach(async () => {
    for (const s of upgraded) s.destroy();
    upgraded.clear();
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
  return async (server) => {
    servers.push(server);
    server.on('upgrade', (_r: unknown, s: Duplex) => upgraded.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as AddressInfo).port;
  };
}
