// Watch streams over real HTTPS against an in-process API server: resume, 410 inside the stream, slow readers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { startApiServer, type RunningApiServer } from '../apiserver.ts';

let server: RunningApiServer;
let dataDir: string;
let token: string;
let ca: Buffer;
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tskube-watch-'));
  server = await startApiServer({ dataDir, port: 0, bind: '127.0.0.1' });
  token = readFileSync(join(dataDir, 'tokens.csv'), 'utf8').split(',')[0];
  ca = readFileSync(join(dataDir, 'pki', 'ca.crt'));
});

afterAll(async () => {
  agent.destroy();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function call(method: string, path: string, body?: unknown): Promise<{ code: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method, agent, ca, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Opens a watch and collects its events; `paused` leaves the socket unread (a slow client). */
function openWatch(path: string, paused = false): Promise<{ res: IncomingMessage; events: any[]; close: () => void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { ca, headers: { authorization: `Bearer ${token}` } }, (res) => {
      const events: any[] = [];
      let buffered = '';
      if (paused) res.pause();
      else
        res.on('data', (c: Buffer) => {
          buffered += c.toString();
          let nl;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buffered.slice(0, nl)));
            buffered = buffered.slice(nl + 1);
          }
        });
      resolve({ res, events, close: () => req.destroy() });
    });
    req.on('error', (e) => (String(e).includes('socket hang up') ? undefined : reject(e)));
    req.end();
  });
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('watch over HTTPS', () => {
  it('resumes from a resourceVersion without replaying older events', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'w1' } });
    const a = await call('POST', '/api/v1/namespaces/w1/configmaps', { metadata: { name: 'a' } });
    await call('POST', '/api/v1/namespaces/w1/configmaps', { metadata: { name: 'b' } });
    const w = await openWatch(`/api/v1/namespaces/w1/configmaps?watch=true&resourceVersion=${a.body.metadata.resourceVersion}`);
    await until(() => w.events.length === 1);
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { metadata: { name: 'b' } } });
    w.close();
  });

  it('sends 410 Expired as an ERROR event inside the stream for compacted history', async () => {
    const first = await call('POST', '/api/v1/namespaces/w1/configmaps', { metadata: { name: 'c' } });
    await call('PUT', '/api/v1/namespaces/w1/configmaps/c', { metadata: { name: 'c' }, data: { x: '1' } });
    await server.store.backend.compact(await server.store.backend.currentRevision());
    const w = await openWatch(`/api/v1/namespaces/w1/configmaps?watch=true&resourceVersion=${Number(first.body.metadata.resourceVersion) - 1}`);
    expect(w.res.statusCode).toBe(200);
    await until(() => w.events.length === 1);
    expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    expect(w.events[0].object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
    w.close();
  });

  it('a watcher that never reads stalls neither writers nor other watchers', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'w2' } });
    const slow = await openWatch('/api/v1/namespaces/w2/configmaps?watch=true', true);
    const fast = await openWatch('/api/v1/namespaces/w2/configmaps?watch=true');
    const big = 'x'.repeat(20_000);
    const started = Date.now();
    for (let i = 0; i < 300; i++) {
      const r = await call('POST', '/api/v1/namespaces/w2/configmaps', { metadata: { name: `cm-${i}` }, data: { big } });
      expect(r.code).toBe(201);
    }
    await until(() => fast.events.length === 300);
    expect(Date.now() - started).toBeLessThan(20_000);
    slow.close();
    fast.close();
  });

  it('ends the stream after timeoutSeconds', async () => {
    const w = await openWatch('/api/v1/namespaces/w1/configmaps?watch=true&timeoutSeconds=1&resourceVersion=0');
    await new Promise<void>((resolve) => w.res.on('end', () => resolve()));
    expect(w.events.filter((e) => e.type === 'ADDED').length).toBeGreaterThan(0);
  });

  it('sends a bookmark with the initial-events-end annotation when asked for initial events', async () => {
    const w = await openWatch('/api/v1/namespaces/w1/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    await until(() => w.events.some((e) => e.type === 'BOOKMARK'));
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    expect(w.events.indexOf(bookmark)).toBe(w.events.length - 1);
    w.close();
  });
});
