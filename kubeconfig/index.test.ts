// End-to-end tests of admin access bootstrap: kubectl (Go TLS) and client-node against a server using our PKI.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureAdminAccess, ensureClusterPki, issueClientCert, loadTokenFile, writeKubeconfig, type ClusterPki } from './index.ts';

const run = promisify(execFile);
const KUBECTL = '/usr/bin/kubectl';

let dir: string;
let server: Server | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-access-'));
});
afterEach(async () => {
  if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
  server = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A stand-in apiserver: answers /version with the identity it authenticated — a bearer token from
 * tokens.csv or a client certificate verified against the cluster CA — and 401 otherwise.
 */
async function startServer(pki: ClusterPki): Promise<string> {
  server = createServer(
    { cert: pki.servingCertPem, key: pki.servingKeyPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
      let user: string | undefined;
      if (bearer !== undefined) user = loadTokenFile(join(dir, 'tokens.csv')).get(bearer)?.user;
      else if (socket.authorized) user = String(socket.getPeerCertificate().subject.CN);
      res.setHeader('content-type', 'application/json');
      if (user === undefined) {
        res.statusCode = 401;
        res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 }));
        return;
      }
      res.end(JSON.stringify({ major: '1', minor: '32', gitVersion: `v1.32.0+${user.replace(/[^a-z0-9]/gi, '-')}`, platform: 'linux/amd64' }));
    },
  );
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

async function kubectl(kubeconfig: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], {
    env: { ...process.env, KUBECONFIG: '', HOME: dir },
    timeout: 20_000,
  });
  return stdout;
}

describe('ensureAdminAccess', () => {
  it('creates the PKI, the token file and an admin kubeconfig with mode 0600', async () => {
    const access = await ensureAdminAccess(dir, 'https://127.0.0.1:6443');
    expect(access.adminKubeconfigPath).toBe(join(dir, 'admin.kubeconfig'));
    expect(access.tokensPath).toBe(join(dir, 'tokens.csv'));
    expect(loadTokenFile(access.tokensPath).get(access.adminToken)).toEqual({ user: 'admin', uid: 'admin', groups: ['system:masters'] });
    for (const p of [access.adminKubeconfigPath, access.tokensPath, access.pki.caKeyPath, access.pki.servingKeyPath]) {
      expect(statSync(p).mode & 0o777, p).toBe(0o600);
    }
    const kc = new KubeConfig();
    kc.loadFromFile(access.adminKubeconfigPath);
    expect(kc.getCurrentContext()).toBe('tskube');
    expect(kc.getCurrentCluster()?.name).toBe('tskube');
    expect(kc.getCurrentUser()).toMatchObject({ name: 'admin', token: access.adminToken });
  });

  it('reuses the CA, token and kubeconfig on restart', async () => {
    const first = await ensureAdminAccess(dir, 'https://127.0.0.1:6443');
    const kubeconfig = readFileSync(first.adminKubeconfigPath, 'utf8');
    const second = await ensureAdminAccess(dir, 'https://127.0.0.1:6443');
    expect(second).toEqual(first);
    expect(readFileSync(second.adminKubeconfigPath, 'utf8')).toBe(kubeconfig);
  });

  it('kubectl reaches a server using the PKI with the admin kubeconfig', async () => {
    const url = await startServer(await ensureClusterPki(dir));
    const access = await ensureAdminAccess(dir, url);
    expect(JSON.parse(await kubectl(access.adminKubeconfigPath, 'get', '--raw', '/version'))).toMatchObject({ gitVersion: 'v1.32.0+admin' });
  });

  it('kubectl accepts the serving certificate under the in-cluster name kubernetes.default.svc', async () => {
    const url = await startServer(await ensureClusterPki(dir));
    const access = await ensureAdminAccess(dir, url);
    const out = await kubectl(access.adminKubeconfigPath, '--tls-server-name', 'kubernetes.default.svc', 'get', '--raw', '/version');
    expect(JSON.parse(out)).toMatchObject({ gitVersion: 'v1.32.0+admin' });
  });

  it('kubectl rejects the server when the kubeconfig trusts another CA', async () => {
    const url = await startServer(await ensureClusterPki(dir));
    const other = await ensureClusterPki(join(dir, 'other'));
    const path = join(dir, 'wrong-ca.kubeconfig');
    writeKubeconfig(path, { clusterName: 'tskube', server: url, caPem: other.caCertPem, user: { token: 'x' } });
    await expect(kubectl(path, 'get', '--raw', '/version')).rejects.toThrow(/certificate signed by unknown authority/);
  });

  it('kubectl authenticates with a client certificate issued by the CA', async () => {
    const pki = await ensureClusterPki(dir);
    const url = await startServer(pki);
    const client = await issueClientCert(pki, { commonName: 'system:kube-scheduler', organizations: ['system:kube-scheduler'] });
    const path = join(dir, 'scheduler.kubeconfig');
    writeKubeconfig(path, { clusterName: 'tskube', server: url, caPem: pki.caCertPem, user: client, userName: 'system:kube-scheduler' });
    expect(JSON.parse(await kubectl(path, 'get', '--raw', '/version'))).toMatchObject({ gitVersion: 'v1.32.0+system-kube-scheduler' });
  });

  it('client-node reaches a server using the PKI with the admin kubeconfig', async () => {
    const url = await startServer(await ensureClusterPki(dir));
    const access = await ensureAdminAccess(dir, url);
    const kc = new KubeConfig();
    kc.loadFromFile(access.adminKubeconfigPath);
    const version = await kc.makeApiClient(VersionApi).getCode();
    expect(version.gitVersion).toBe('v1.32.0+admin');
  });
});
