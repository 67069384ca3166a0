// The WebSocket server side: handshake values, frame codec limits, and a live connection answering pings, reassembling fragments and closing.
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { rawClient } from './ws-test-client.ts';
import { acceptValue, acceptWebSocket, encodeFrame, FrameDecoder, offeredProtocols, Opcode, WebSocketProtocolError, type WebSocketConnection } from './websocket.ts';

const MASK = Buffer.from([1, 2, 3, 4]);

describe('handshake helpers', () => {
  it('computes Sec-WebSocket-Accept as RFC 6455 §1.3 shows', () => {
    expect(acceptValue('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('lists offered subprotocols across comma lists and repeated headers', () => {
    const req = { rawHeaders: ['Sec-WebSocket-Protocol', 'v5.channel.k8s.io, v4.channel.k8s.io', 'Host', 'x', 'sec-websocket-protocol', 'channel.k8s.io'] } as unknown as IncomingMessage;
    expect(offeredProtocols(req)).toEqual(['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io']);
  });
});

describe('FrameDecoder', () => {
  it.each([0, 5, 125, 126, 65535, 65536, 200_000])('decodes a masked %i-byte frame, also when it arrives byte by byte', (size) => {
    const payload = Buffer.alloc(size, 7);
    const wire = encodeFrame(Opcode.binary, payload, { mask: MASK });
    const [frame, ...rest] = new FrameDecoder().push(wire);
    expect(rest).toEqual([]);
    expect(frame?.payload.equals(payload)).toBe(true);
    const d = new FrameDecoder();
    const inChunks: Array<{ payload: Buffer }> = [];
    for (let i = 0; i < wire.length; i += 1000) inChunks.push(...d.push(wire.subarray(i, i + 1000)));
    expect(inChunks.length).toBe(1);
    expect(inChunks[0]!.payload.equals(payload)).toBe(true);
    if (size <= 126) {
      const d = new FrameDecoder();
      const got = [...wire].flatMap((b) => d.push(Buffer.from([b])));
      expect(got).toEqual([{ fin: true, opcode: Opcode.binary, payload }]);
    }
  });

  it('decodes several frames from one chunk, keeping the fin bit', () => {
    const wire = Buffer.concat([
      encodeFrame(Opcode.text, Buffer.from('a'), { fin: false, mask: MASK }),
      encodeFrame(Opcode.continuation, Buffer.from('b'), { mask: MASK }),
    ]);
    expect(new FrameDecoder().push(wire)).toEqual([
      { fin: false, opcode: Opcode.text, payload: Buffer.from('a') },
      { fin: true, opcode: Opcode.continuation, payload: Buffer.from('b') },
    ]);
  });

  it.each([
    ['an unmasked client frame', encodeFrame(Opcode.binary, Buffer.from('x'))],
    ['a control frame over 125 bytes', encodeFrame(Opcode.ping, Buffer.alloc(126), { mask: MASK })],
    ['a fragmented control frame', encodeFrame(Opcode.ping, Buffer.alloc(1), { fin: false, mask: MASK })],
  ])('rejects %s', (_name, wire) => {
    expect(() => new FrameDecoder().push(wire)).toThrow(WebSocketProtocolError);
  });
});

/** A server accepting every WebSocket with protocol "p", echoing messages and recording what it saw. */
async function echoServer(seen: { closed: Array<number | undefined>; conns: WebSocketConnection[] }): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer((_q, s) => s.writeHead(404).end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const conn = acceptWebSocket(req, socket, head, 'p', {
      message: (data, binary) => conn?.send(Buffer.concat([Buffer.from(binary ? 'b:' : 't:'), data])),
      closed: (code) => seen.closed.push(code),
    });
    if (conn) seen.conns.push(conn);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, server };
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('WebSocketConnection', () => {
  const servers: http.Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  it('answers the handshake with the accept value and chosen protocol, pongs pings and reassembles fragments', async () => {
    const seen = { closed: [] as Array<number | undefined>, conns: [] as WebSocketConnection[] };
    const { port, server } = await echoServer(seen);
    servers.push(server);
    const c = await rawClient(port);
    const head = await c.response;
    expect(head).toMatch(/^HTTP\/1.1 101/);
    expect(head).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    expect(head).toContain('Sec-WebSocket-Protocol: p');
    c.socket.write(encodeFrame(Opcode.ping, Buffer.from('hb'), { mask: MASK }));
    c.socket.write(encodeFrame(Opcode.binary, Buffer.from('he'), { fin: false, mask: MASK }));
    c.socket.write(encodeFrame(Opcode.ping, Buffer.from('mid'), { mask: MASK })); // control frames may interleave
    c.socket.write(encodeFrame(Opcode.continuation, Buffer.from('llo'), { mask: MASK }));
    await until(() => c.frames.length >= 3);
    expect(c.frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([[Opcode.pong, 'hb'], [Opcode.pong, 'mid'], [Opcode.binary, 'b:hello']]);
    c.socket.end(encodeFrame(Opcode.close, Buffer.from([0x03, 0xe8]), { mask: MASK }));
    await c.ended;
    expect(c.frames.at(-1)?.opcode).toBe(Opcode.close);
    expect(seen.closed).toEqual([1000]);
  });

  it('closes with a close frame and then ends its half of the connection', async () => {
    const seen = { closed: [] as Array<number | undefined>, conns: [] as WebSocketConnection[] };
    const { port, server } = await echoServer(seen);
    servers.push(server);
    const c = await rawClient(port);
    await c.response;
    await until(() => seen.conns.length === 1);
    seen.conns[0]!.send(Buffer.from('last'));
    seen.conns[0]!.close();
    const ended = new Promise<void>((r) => c.socket.once('end', () => r()));
    await ended;
    expect(c.frames.map((f) => f.opcode)).toEqual([Opcode.binary, Opcode.close]);
    expect(c.frames[1]!.payload.readUInt16BE(0)).toBe(1000);
    c.socket.destroy();
  });

  it('refuses a handshake without version 13 with 400', async () => {
    const server = http.createServer();
    servers.push(server);
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      acceptWebSocket(req, socket, head, '', { message: () => undefined, closed: () => undefined });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = http.request({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Key': 'x' } });
      req.on('response', resolve);
      req.on('error', reject);
      req.end();
    });
    expect(res.statusCode).toBe(400);
    res.resume();
  });
});
