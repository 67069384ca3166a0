// Tests for kubeconfig writing: read back by client-node's KubeConfig and by the real kubectl.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderKubeconfig, writeKubeconfig, type KubeconfigSpec } from './kubeconfig.ts';

const KUBECTL = '/usr/bin/kubectl';
const CA = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIBclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----\n';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-kubeconfig-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const tokenSpec: KubeconfigSpec = {
  clusterName: 'tskube',
  server: 'https://127.0.0.1:6443',
  caPem: CA,
  user: { token: 'secret-token' },
};

function kubectlView(path: string): Record<string, unknown> {
  const out = execFileSync(KUBECTL, ['config', 'view', '--kubeconfig', path, '--raw', '-o', 'json'], {
    encoding: 'utf8',
    env: { ...process.env, KUBECONFIG: '' },
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('writeKubeconfig', () => {
  it('writes a token kubeconfig that client-node loads', () => {
    const path = join(dir, 'admin.kubeconfig');
    writeKubeconfig(path, { ...tokenSpec, namespace: 'kube-system' });
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    expect(kc.getCurrentContext()).toBe('tskube');
    expect(kc.getContextObject('tskube')).toMatchObject({ cluster: 'tskube', user: 'admin', namespace: 'kube-system' });
    expect(kc.getCurrentCluster()).toMatchObject({ name: 'tskube', server: 'https://127.0.0.1:6443', caData: Buffer.from(CA).toString('base64') });
    expect(kc.getCurrentUser()).toMatchObject({ name: 'admin', token: 'secret-token' });
  });

  it('writes a client-certificate kubeconfig that client-node loads', () => {
    const path = join(dir, 'scheduler.kubeconfig');
    writeKubeconfig(path, { ...tokenSpec, user: { certPem: CERT, keyPem: KEY }, userName: 'system:kube-scheduler', contextName: 'sched' });
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    expect(kc.getCurrentContext()).toBe('sched');
    expect(kc.getCurrentUser()).toMatchObject({
      name: 'system:kube-scheduler',
      certData: Buffer.from(CERT).toString('base64'),
      keyData: Buffer.from(KEY).toString('base64'),
    });
  });

  it('writes a kubeconfig that kubectl config view shows', () => {
    const path = join(dir, 'admin.kubeconfig');
    writeKubeconfig(path, tokenSpec);
    expect(kubectlView(path)).toEqual({
      kind: 'Config',
      apiVersion: 'v1',
      preferences: {},
      clusters: [{ name: 'tskube', cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': Buffer.from(CA).toString('base64') } }],
      users: [{ name: 'admin', user: { token: 'secret-token' } }],
      contexts: [{ name: 'tskube', context: { cluster: 'tskube', user: 'admin' } }],
      'current-context': 'tskube',
    });
  });

  it('writes mode 0600 and keeps the file untouched when the content is the same', () => {
    const path = join(dir, 'admin.kubeconfig');
    writeKubeconfig(path, tokenSpec);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    chmodSync(path, 0o644);
    const before = statSync(path).ino;
    writeKubeconfig(path, tokenSpec);
    expect(statSync(path).ino).toBe(before);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    writeKubeconfig(path, { ...tokenSpec, server: 'https://127.0.0.1:7443' });
    expect(readFileSync(path, 'utf8')).toContain('server: https://127.0.0.1:7443');
  });

  it('replaces an existing file whole', () => {
    const path = join(dir, 'admin.kubeconfig');
    writeFileSync(path, 'x'.repeat(10_000));
    writeKubeconfig(path, tokenSpec);
    expect(readFileSync(path, 'utf8')).toBe(renderKubeconfig(tokenSpec));
  });

  it('rejects a server that is not an http(s) URL', () => {
    expect(() => renderKubeconfig({ ...tokenSpec, server: '127.0.0.1:6443' })).toThrow(/http\(s\) URL/);
  });
});
