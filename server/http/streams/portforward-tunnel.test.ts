// The port-forward tunnel: protocol selection, bytes relayed unchanged both ways between WebSocket messages and the kubelet socket, refusals passed through.
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../log.ts';
import { dialUpgrade } from '../upgrade-proxy.ts';
import { tunneledSpdyProtocols, tunnelPortForward } from './portforward-tunnel.ts';
import { clientMessage, rawClient, useTestServers } from './ws-test-client.ts';
import { Opcode } from './websocket.ts';

const kubeletSockets: Duplex[] = [];
const listen = useTestServers();

/** A kubelet stand-in: upgrades SPDY/3.1 when offered portforward.k8s.io and echoes bytes reversed; refuses otherwise. */
async function fakeKubelet(seen: string[][]): Promise<number> {
  const server = http.createServer((_q, s) => s.writeHead(404).end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const versions = req.rawHeaders.filter((_v, i) => i % 2 === 1 && req.rawHeaders[i - 1]!.toLowerCase() === 'x-stream-protocol-version');
    seen.push([req.method ?? '', req.headers.upgrade ?? '', ...versions]);
    if (!versions.includes('portforward.k8s.io')) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nno protocols');
      return;
    }
    kubeletSockets.push(socket);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n');
    socket.on('data', (c: Buffer) => socket.write(Buffer.from([...c].reverse())));
  });
  return listen(server);
}

async function tunnel(kubeletPort: number): Promise<number> {
  const server = http.createServer((_q, s) => s.writeHead(404).end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
    const dial = (headers: Record<string, string | string[]>) => dialUpgrade({ url: new URL(`http://127.0.0.1:${kubeletPort}/portForward/ns/pod`) }, 'POST', headers);
    tunnelPortForward(req, socket, head, tunneledSpdyProtocols(offered), dial, createLogger('test')).catch(() => socket.destroy());
  });
  return listen(server);
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('tunneledSpdyProtocols', () => {
  it('keeps only SPDY/3.1+…k8s.io offers, prefix stripped', () => {
    expect(tunneledSpdyProtocols(['SPDY/3.1+portforward.k8s.io', 'v5.channel.k8s.io', 'SPDY/3.1+other'])).toEqual(['portforward.k8s.io']);
  });
});

describe('tunnelPortForward', () => {
  it('upgrades the kubelet with SPDY first, then accepts the WebSocket and relays bytes unchanged', async () => {
    const seen: string[][] = [];
    const port = await tunnel(await fakeKubelet(seen));
    const c = await rawClient(port, '', { protocols: 'SPDY/3.1+portforward.k8s.io' });
    const head = await c.response;
    expect(head).toMatch(/^HTTP\/1.1 101/);
    expect(head).toContain('Sec-WebSocket-Protocol: SPDY/3.1+portforward.k8s.io');
    expect(seen).toEqual([['POST', 'SPDY/3.1', 'portforward.k8s.io']]);
    c.socket.write(clientMessage(Buffer.from('abc')));
    await until(() => c.frames.length > 0);
    expect(c.frames.map((f) => [f.opcode, f.payload.toString()])).toEqual([[Opcode.binary, 'cba']]);
    // The kubelet going away closes the WebSocket normally.
    for (const s of kubeletSockets.splice(0)) s.destroy();
    await until(() => c.frames.some((f) => f.opcode === Opcode.close));
  });

  it('passes a kubelet refusal through as the HTTP answer', async () => {
    const seen: string[][] = [];
    const kubelet = await fakeKubelet(seen);
    const port = await tunnel(kubelet);
    const c = await rawClient(port, '', { protocols: 'SPDY/3.1+v9.portforward.k8s.io' });
    const head = await c.response;
    expect(head).toMatch(/^HTTP\/1.1 403/);
    await c.ended;
  });

  it('answers 400 when no tunnelled SPDY protocol is offered', async () => {
    const port = await tunnel(await fakeKubelet([]));
    const c = await rawClient(port, '', { protocols: 'v5.channel.k8s.io' });
    expect(await c.response).toMatch(/^HTTP\/1.1 400/);
  });
});
