// Acknowledged writes survive `kill -9` of the API server in the middle of 1,000 concurrent writes.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request, Agent } from 'node:https';

const dataDir = mkdtempSync(join(tmpdir(), 'tskube-durability-'));
const children: ChildProcess[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function startServer(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['bin/tskube.mjs', 'apiserver', '--data-dir', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('server did not start in 30 s')), 30_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /serving at (https:\/\/\S+);/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited early: ${code}`)));
  });
  return { child, url };
}

function adminToken(): string {
  return readFileSync(join(dataDir, 'tokens.csv'), 'utf8').split('\n')[0].split(',')[0];
}

function call(url: string, method: string, path: string, body: unknown, agent: Agent): Promise<{ code: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method, agent, ca: readFileSync(join(dataDir, 'pki', 'ca.crt')), headers: { authorization: `Bearer ${adminToken()}`, 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('durability', () => {
  it('keeps every acknowledged write across kill -9, with strictly increasing revisions', async () => {
    const first = await startServer();
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const acked = new Map<string, number>();
    let killed = false;
    const writes = Array.from({ length: 1000 }, (_, i) =>
      call(first.url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `cm-${i}` }, data: { i: String(i) } }, agent)
        .then((r) => {
          if (r.code === 201) acked.set(r.body.metadata.name, Number(r.body.metadata.resourceVersion));
          if (acked.size >= 300 && !killed) {
            killed = true;
            first.child.kill('SIGKILL');
          }
        })
        .catch(() => undefined),
    );
    await Promise.all(writes);
    agent.destroy();
    expect(killed).toBe(true);
    expect(acked.size).toBeGreaterThanOrEqual(300);
    await new Promise((r) => (first.child.exitCode === null && first.child.signalCode === null ? first.child.once('exit', r) : r(null)));

    const second = await startServer();
    const agent2 = new Agent({ keepAlive: true });
    const list = await call(second.url, 'GET', '/api/v1/namespaces/default/configmaps', undefined, agent2);
    expect(list.code).toBe(200);
    const stored = new Map<string, number>(list.body.items.map((o: any) => [o.metadata.name, Number(o.metadata.resourceVersion)]));
    for (const [name, rv] of acked) expect(stored.get(name), name).toBe(rv);
    const revisions = [...stored.values()];
    expect(new Set(revisions).size).toBe(revisions.length);
    const after = await call(second.url, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'after-restart' } }, agent2);
    expect(after.code).toBe(201);
    expect(Number(after.body.metadata.resourceVersion)).toBeGreaterThan(Math.max(...revisions));
    agent2.destroy();
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));

    // The documented file holds upstream-shaped keys.
    const keys = spawnSync('sqlite3', [join(dataDir, 'state.db'), "select key from current where key like '/registry/configmaps/default/cm-1%' limit 3"], { encoding: 'utf8' });
    expect(keys.status, keys.stderr).toBe(0);
    expect(keys.stdout).toMatch(/^\/registry\/configmaps\/default\/cm-1/m);
  }, 90_000);
});
