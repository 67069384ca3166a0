// A Deployment rollout survives the crash of one of two API servers: controllers, scheduler and (simulated) nodes fail over.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutEtcd, startEtcdCluster, type EtcdCluster } from '../scripts/etcd/cluster.ts';
import { renderKubeconfig } from '../kubeconfig/kubeconfig.ts';
import { adminAccess, startApiServerProcess, type ApiServerProcess } from './ha-cluster.ts';
import { eventually, kubectlBinary } from './kubectl.ts';

/**
 * A TCP load balancer in front of the API servers: each new connection goes to the first backend that accepts
 * it, so once a server is dead (connection refused) every client lands on the next. TLS passes through untouched.
 */
function failoverProxy(ports: () => number[]): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.pause();
    const attempt = (i: number): void => {
      const list = ports();
      if (i >= list.length) return void client.destroy();
      const upstream = createConnection({ host: '127.0.0.1', port: list[i] });
      upstream.once('error', () => attempt(i + 1));
      upstream.once('connect', () => {
        upstream.removeAllListeners('error');
        sockets.add(upstream);
        upstream.once('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('error', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const addr = server.address();
      resolve({
        port: typeof addr === 'object' && addr ? addr.port : 0,
        close: () => {
          server.close();
          for (const s of sockets) s.destroy();
        },
      });
    });
  });
}

describe.skipIf(skipWithoutEtcd())('a rollout while one of two API servers crashes', () => {
  let etcd: EtcdCluster;
  let dir: string;
  let a: ApiServerProcess;
  let b: ApiServerProcess;
  let proxy: { port: number; close(): void };
  let kubeconfig: string;
  const components: ChildProcess[] = [];
  const ns = `ha-roll-${Date.now().toString(36)}`;
  // Asynchronous on purpose: the load balancer runs in this process, so a blocking spawnSync would stall it.
  const kubectlRun = (args: string[], timeout = 30_000) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const c = spawn(kubectlBinary(), args, { env: { ...process.env, KUBECONFIG: kubeconfig }, timeout });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  const kubectl = async (args: string[], timeout = 30_000) => {
    const r = await kubectlRun(args, timeout);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  const logs = new Map<string, string>();
  const start = (args: string[]) => {
    const c = spawn(process.execPath, ['bin/tskube.mjs', ...args, '-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => logs.set(args[0], ((logs.get(args[0]) ?? '') + d.toString()).slice(-200_000));
    c.stdout!.on('data', keep);
    c.stderr!.on('data', keep);
    components.push(c);
  };
  /** What a failure message needs: the objects and the end of every component's log. */
  const diagnose = async (e: unknown): Promise<never> => {
    const state = await kubectlRun(['get', 'deploy,rs,pods,leases', '-A', '-o', 'wide']);
    if (process.env.TSKUBE_HA_LOGS) for (const [name, text] of logs) writeFileSync(join(process.env.TSKUBE_HA_LOGS, `${name}.log`), text);
    if (process.env.TSKUBE_HA_LOGS) writeFileSync(join(process.env.TSKUBE_HA_LOGS, 'b.log'), b.output());
    const exits = components.map((c) => `${c.spawnargs.find((a) => !a.startsWith('-') && !a.startsWith('data:') && a !== process.execPath && a !== 'bin/tskube.mjs')}: ${c.exitCode === null && c.signalCode === null ? 'running' : `exited (${c.exitCode ?? c.signalCode})`}`).join(', ');
    const tails = `${exits}\n` + [...logs].map(([name, text]) => `--- ${name}\n${text.slice(-4000)}`).join('\n');
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${state.stdout}${state.stderr}\n${tails}`);
  };

  beforeAll(async () => {
    etcd = await startEtcdCluster();
    dir = mkdtempSync(join(tmpdir(), 'tskube-ha-roll-'));
    a = await startApiServerProcess(dir, etcd.url, 'a');
    b = await startApiServerProcess(dir, etcd.url, 'b');
    const alive = (s: ApiServerProcess) => s.child.exitCode === null && s.child.signalCode === null;
    proxy = await failoverProxy(() => [a, b].filter(alive).map((s) => Number(new URL(s.url).port)));
    kubeconfig = join(dir, 'lb.kubeconfig');
    const { token, ca } = adminAccess(dir);
    writeFileSync(kubeconfig, renderKubeconfig({ clusterName: 'lb', contextName: 'lb', userName: 'admin', server: `https://127.0.0.1:${proxy.port}`, caPem: ca.toString(), user: { token } }), { mode: 0o600 });
    start(['controller-manager', '--kubeconfig', kubeconfig]);
    start(['scheduler', '--kubeconfig', kubeconfig]);
    start(['simulate-nodes', '--count', '3', '--kubeconfig', kubeconfig]);
    await kubectl(['create', 'namespace', ns]);
    // The controller manager makes the namespace's default service account; pods need it.
    await eventually(async () => (await kubectlRun(['get', 'serviceaccount', 'default', '-n', ns])).code === 0, 60_000);
  }, 180_000);

  afterAll(async () => {
    for (const c of components) c.kill('SIGKILL');
    proxy?.close();
    await a?.kill();
    await b?.kill();
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('completes the rollout on the surviving server', async () => {
    await kubectl(['create', 'deployment', 'web', '-n', ns, '--image=localhost/pause:3.9', '--replicas=4']);
    await kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=90s'], 100_000);
    await kubectl(['set', 'image', 'deployment/web', '-n', ns, 'pause=localhost/pause:next']);
    await a.kill();
    await kubectl(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=90s'], 100_000).catch(diagnose);
    const pods = JSON.parse(await kubectl(['get', 'pods', '-n', ns, '-l', 'app=web', '-o', 'json'])) as {
      items: { metadata: { deletionTimestamp?: string }; spec: { containers: { image: string }[] }; status: { phase: string } }[];
    };
    const live = pods.items.filter((p) => !p.metadata.deletionTimestamp);
    expect(live).toHaveLength(4);
    expect(live.every((p) => p.spec.containers[0].image === 'localhost/pause:next' && p.status.phase === 'Running')).toBe(true);
  }, 240_000);
});
