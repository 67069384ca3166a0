// Two `tskube apiserver` processes on one etcd: each sees the other's writes (watches included), and one survives the other's crash.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutEtcd, startEtcdCluster, type EtcdCluster } from '../scripts/etcd/cluster.ts';
import { apiCall, startApiServerProcess, type ApiServerProcess } from './ha-cluster.ts';
import { eventually, kubectlBinary } from './kubectl.ts';

// This suite starts its own etcd and API servers (it tests tskube's own scale-out, not a given cluster).
describe.skipIf(skipWithoutEtcd())('two API servers on one etcd', () => {
  let etcd: EtcdCluster;
  let dir: string;
  let a: ApiServerProcess;
  let b: ApiServerProcess;
  const ns = `ha-${Date.now().toString(36)}`;
  const kubectlOn = (s: ApiServerProcess, args: string[]) => {
    const r = spawnSync(kubectlBinary(), args, { env: { ...process.env, KUBECONFIG: s.kubeconfig }, encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return r.stdout;
  };

  beforeAll(async () => {
    etcd = await startEtcdCluster();
    dir = mkdtempSync(join(tmpdir(), 'tskube-ha-'));
    // The first server creates the shared PKI and tokens; the second reuses them, so one kubeconfig fits both.
    a = await startApiServerProcess(dir, etcd.url, 'a');
    b = await startApiServerProcess(dir, etcd.url, 'b');
    kubectlOn(a, ['create', 'namespace', ns]);
  }, 120_000);

  afterAll(async () => {
    await a?.kill();
    await b?.kill();
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a watch through one server sees objects created, changed and deleted through the other', async () => {
    // -o json with --output-watch-events prints each event as {"type": …, "object": …}.
    const watch = spawn(kubectlBinary(), ['get', 'configmaps', '-n', ns, '-w', '--output-watch-events', '-o', 'json', '--field-selector', 'metadata.name=seen'], {
      env: { ...process.env, KUBECONFIG: b.kubeconfig },
    });
    let out = '';
    watch.stdout.on('data', (c: Buffer) => (out += c.toString()));
    watch.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const types = () => [...out.matchAll(/"type":\s*"(ADDED|MODIFIED|DELETED)",\s*"object"/g)].map((m) => m[1]);
    try {
      kubectlOn(a, ['create', 'configmap', 'seen', '-n', ns, '--from-literal=k=1']);
      await eventually(() => types().includes('ADDED'), 20_000);
      kubectlOn(a, ['label', 'configmap', 'seen', '-n', ns, 'changed=yes']);
      await eventually(() => types().includes('MODIFIED') && /"changed":\s*"yes"/.test(out), 20_000);
      kubectlOn(a, ['delete', 'configmap', 'seen', '-n', ns]);
      await eventually(() => types().includes('DELETED'), 20_000);
      expect(types()).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    } finally {
      watch.kill('SIGKILL');
    }
  });

  it('serves one consistent store: a resourceVersion from one server is the same object on the other', async () => {
    const created = await apiCall(a, dir, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name: 'shared' }, data: { v: '1' } });
    expect(created.status).toBe(201);
    const rv = created.body.metadata.resourceVersion as string;
    const seen = await apiCall(b, dir, 'GET', `/api/v1/namespaces/${ns}/configmaps/shared`);
    expect(seen.body.metadata.resourceVersion).toBe(rv);
    expect(seen.body.metadata.uid).toBe(created.body.metadata.uid);
    const updated = await apiCall(b, dir, 'PUT', `/api/v1/namespaces/${ns}/configmaps/shared`, { metadata: { name: 'shared', resourceVersion: rv }, data: { v: '2' } });
    expect(updated.status).toBe(200);
    // The first server must now refuse the stale version: the compare-and-swap is etcd's, not per process.
    const stale = await apiCall(a, dir, 'PUT', `/api/v1/namespaces/${ns}/configmaps/shared`, { metadata: { name: 'shared', resourceVersion: rv }, data: { v: '3' } });
    expect(stale.status).toBe(409);
    expect(stale.body.reason).toBe('Conflict');
  });

  it('after one server is killed mid-stream, the other keeps serving every acknowledged write and its watch', async () => {
    const servers = [a, b];
    const acknowledged: string[] = [];
    const watch = spawn(kubectlBinary(), ['get', 'configmaps', '-n', ns, '-w', '--output-watch-events', '-o', 'name', '-l', 'wave=1'], {
      env: { ...process.env, KUBECONFIG: b.kubeconfig },
    });
    let out = '';
    watch.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      for (let i = 0; i < 40; i++) {
        if (i === 20) await a.kill();
        const name = `w-${i}`;
        // A client with two servers: try the preferred one, fall back to the other (as a load balancer would).
        for (const s of [servers[i % 2], servers[(i + 1) % 2]]) {
          const res = await apiCall(s, dir, 'POST', `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name, labels: { wave: '1' } } }, 5000).catch(() => undefined);
          if (res?.status === 201) {
            acknowledged.push(name);
            break;
          }
        }
      }
      expect(acknowledged).toHaveLength(40);
      const list = await apiCall(b, dir, 'GET', `/api/v1/namespaces/${ns}/configmaps?labelSelector=wave%3D1`);
      expect((list.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name).sort()).toEqual([...acknowledged].sort());
      await eventually(() => acknowledged.every((n) => out.includes(`configmap/${n}\n`)), 20_000);
    } finally {
      watch.kill('SIGKILL');
    }
  });
});
