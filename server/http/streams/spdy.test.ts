// SPDY sessions on a real socket pair: streams open and reply, data waits for the reply, half-close, reset, pings and the end of the connection.
import net, { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SpdySession, type SpdyStream } from './spdy.ts';
import { SpdyFramer, type SpdyFrame } from './spdy-frames.ts';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

async function socketPair(): Promise<[net.Socket, net.Socket]> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
  const client = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
  const serverSide = await accepted;
  cleanup.push(() => {
    client.destroy();
    serverSide.destroy();
    server.close();
  });
  return [client, serverSide];
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('SpdySession', () => {
  it('opens streams with their headers; the server replies, echoes data and both sides half-close', async () => {
    const [a, b] = await socketPair();
    const accepted: SpdyStream[] = [];
    new SpdySession(b, {
      role: 'server',
      stream: (s) => {
        accepted.push(s);
        s.handlers = { data: (d) => s.write(Buffer.from(d.toString().toUpperCase())), end: () => s.end() };
        s.reply();
      },
    });
    const client = new SpdySession(a, { role: 'client' });
    const got: string[] = [];
    const ends: string[] = [];
    const s1 = client.openStream({ streamtype: ['stdin'] }, { data: (d) => got.push(d.toString()), end: (how) => ends.push(how) });
    // Written before the reply: held back, then delivered in order.
    s1.write(Buffer.from('hello '));
    s1.write(Buffer.from('world'));
    s1.end();
    await until(() => ends.length === 1);
    expect(got.join('')).toBe('HELLO WORLD');
    expect(ends).toEqual(['fin']);
    expect(accepted.map((s) => [s.id, s.headers])).toEqual([[1, { streamtype: ['stdin'] }]]);
    const s2 = client.openStream({ streamtype: ['stdout'] });
    expect(s2.id).toBe(3);
  });

  it('reports a reset stream and the end of the connection to the stream handlers', async () => {
    const [a, b] = await socketPair();
    let serverStream: SpdyStream | undefined;
    const server = new SpdySession(b, { role: 'server', stream: (s) => { serverStream = s; s.reply(); } });
    const ends: string[] = [];
    let closed = 0;
    const client = new SpdySession(a, { role: 'client', closed: () => closed++ });
    client.openStream({ streamtype: ['error'] }, { end: (how) => ends.push(`error:${how}`) });
    client.openStream({ streamtype: ['stdout'] }, { end: (how) => ends.push(`stdout:${how}`) });
    await until(() => serverStream?.id === 3);
    serverStream!.reset();
    await until(() => ends.length === 1);
    expect(ends).toEqual(['stdout:reset']);
    server.destroy();
    await until(() => closed === 1);
    expect(ends).toEqual(['stdout:reset', 'error:closed']);
  });

  it('answers the peer\'s pings and tells of its GOAWAY', async () => {
    const [a, b] = await socketPair();
    let goAway = 0;
    new SpdySession(a, { role: 'client', goAway: () => goAway++ });
    const framer = new SpdyFramer();
    const seen: SpdyFrame[] = [];
    b.on('data', (c: Buffer) => seen.push(...framer.push(c)));
    const tx = new SpdyFramer();
    b.write(tx.encode({ type: 'ping', id: 2 }));
    b.write(tx.encode({ type: 'goAway', lastGoodStreamId: 0, status: 0 }));
    await until(() => seen.length === 1 && goAway === 1);
    expect(seen).toEqual([{ type: 'ping', id: 2 }]);
  });

  it('refuses streams when it has no stream handler', async () => {
    const [a, b] = await socketPair();
    new SpdySession(b, { role: 'server' });
    const ends: string[] = [];
    new SpdySession(a, { role: 'client' }).openStream({ streamtype: ['x'] }, { end: (how) => ends.push(how) });
    await until(() => ends.length === 1);
    expect(ends).toEqual(['reset']);
  });
});
