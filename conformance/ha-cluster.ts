// Helpers for the HA suites: `tskube apiserver` processes on one etcd sharing a data dir, with per-server kubeconfigs.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { renderKubeconfig } from '../kubeconfig/kubeconfig.ts';

export interface ApiServerProcess {
  url: string;
  /** A kubeconfig pointing at this server only. */
  kubeconfig: string;
  child: ChildProcess;
  output: () => string;
  /** SIGKILL (a crash): no graceful shutdown. Resolves when the process is gone. */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * Starts `tskube apiserver --storage <storage>` on a free port with the given data dir (PKI and tokens are
 * shared when several servers use one dir: start the first alone so it creates them). Resolves when it serves;
 * rejects (after killing it) if it exits or does not serve within 60 s.
 */
export async function startApiServerProcess(dataDir: string, storage: string, name: string): Promise<ApiServerProcess> {
  const child = spawn(process.execPath, ['bin/tskube.mjs', 'apiserver', '--data-dir', dataDir, '--port', '0', '--storage', storage], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`apiserver ${name} did not serve within 60 s:\n${out}`)), 60_000);
    const fail = (e: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.stdout!.on('data', () => {
      const m = /serving at (https:\/\/\S+);/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => fail(new Error(`apiserver ${name} exited with ${code} before serving:\n${out}`)));
  });
  const kubeconfig = join(dataDir, `${name}.kubeconfig`);
  const access = adminAccess(dataDir);
  writeFileSync(kubeconfig, renderKubeconfig({ clusterName: name, contextName: name, userName: 'admin', server: url, caPem: access.ca.toString(), user: { token: access.token } }), { mode: 0o600 });
  return {
    url,
    kubeconfig,
    child,
    output: () => out,
    kill: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
  };
}

/** The admin token and cluster CA of a data dir. */
export function adminAccess(dataDir: string): { token: string; ca: Buffer } {
  const token = readFileSync(join(dataDir, 'tokens.csv'), 'utf8').split(',')[0].trim();
  return { token, ca: readFileSync(join(dataDir, 'pki', 'ca.crt')) };
}

/** One JSON API call as admin; resolves with status code and parsed body (bounded by timeoutMs). */
export function apiCall(server: { url: string }, dataDir: string, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<{ status: number; body: any }> {
  // any: the caller knows which Kubernetes object the path returns.
  const { token, ca } = adminAccess(dataDir);
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      { method, ca, agent: new Agent({ keepAlive: false }), timeout: timeoutMs, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' } },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
          } catch (e: unknown) {
            reject(e);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
