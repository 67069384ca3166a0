// The upgrade proxy on plain sockets: negotiation headers reach the target intact, bytes flow both ways, refusals come back as they were.
import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { proxyUpgrade } from './upgrade-proxy.ts';

const servers: http.Server[] = [];

const sockets = new Set<Duplex>();

async function listen(server: http.Server): Promise<number> {
  servers.push(server);
  // Upgraded sockets leave the HTTP server's bookkeeping (closeAllConnections) but still hold close() open.
  server.on('connection', (s: Duplex) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterEach(async () => {
  for (const s of sockets) s.destroy();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** A target that upgrades when offered v4, echoing bytes upper-cased, and refuses anything else with 403. */
async function target(seen: string[][]): Promise<number> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    const versions = req.rawHeaders.filter((_v, i) => i % 2 === 1 && req.rawHeaders[i - 1]!.toLowerCase() === 'x-stream-protocol-version');
    seen.push(versions);
    if (!versions.includes('v4.channel.k8s.io')) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\nno protocols');
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    socket.on('data', (c: Buffer) => socket.write(c.toString().toUpperCase()));
  });
  return listen(server);
}

async function proxy(targetPort: number, failures: unknown[] = []): Promise<number> {
  const server = http.createServer((_req, res) => res.writeHead(404).end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    proxyUpgrade(req, socket, head, { url: new URL(`http://127.0.0.1:${targetPort}/exec/token`) }).catch((e: unknown) => {
      failures.push(e);
      socket.destroy();
    });
  });
  return listen(server);
}

function upgrade(port: number, versions: string[]): Promise<{ res: IncomingMessage; socket?: Duplex; body?: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method: 'POST', path: '/api/v1/namespaces/d/pods/p/exec?command=ls',
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': versions },
    });
    req.on('upgrade', (res, socket) => resolve({ res, socket }));
    req.on('response', (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ res, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('proxyUpgrade', () => {
  it('keeps repeated protocol headers as separate lines and joins both connections after 101', async () => {
    const seen: string[][] = [];
    const port = await proxy(await target(seen));
    const { res, socket } = await upgrade(port, ['v4.channel.k8s.io', 'v3.channel.k8s.io']);
    expect(res.statusCode).toBe(101);
    expect(res.headers['x-stream-protocol-version']).toBe('v4.channel.k8s.io');
    expect(seen).toEqual([['v4.channel.k8s.io', 'v3.channel.k8s.io']]);
    const echoed = new Promise<string>((resolve) => socket!.once('data', (c: Buffer) => resolve(c.toString())));
    socket!.write('hello');
    expect(await echoed).toBe('HELLO');
    socket!.destroy();
  });

  it('relays a refusal with its status and body, so clients can fall back', async () => {
    const port = await proxy(await target([]));
    const { res, body } = await upgrade(port, ['v5.channel.k8s.io']);
    expect(res.statusCode).toBe(403);
    expect(body).toBe('no protocols');
  });

  it('rejects without answering when the target cannot be reached', async () => {
    const closed = http.createServer();
    const deadPort = await listen(closed);
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    servers.splice(servers.indexOf(closed), 1);
    const failures: unknown[] = [];
    const port = await proxy(deadPort, failures);
    await expect(upgrade(port, ['v4.channel.k8s.io'])).rejects.toThrow();
    expect(failures).toHaveLength(1);
  });
});
