// Tests for the cluster PKI: openssl acceptance, TLS use with Node, client identities, reuse on restart.
import { X509Certificate } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureClusterPki, issueClientCert, loadClusterPki, type ClusterPki } from './pki.ts';
import { sanOf } from './san.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tskube-pki-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8' });
const mode = (path: string): number => statSync(path).mode & 0o777;

/** Serves one https request with the PKI's serving pair and reports what the client presented. */
async function withServer<T>(pki: ClusterPki, fn: (port: number) => Promise<T>): Promise<T> {
  const server = createServer(
    { cert: pki.servingCertPem, key: pki.servingKeyPem, ca: pki.caCertPem, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ authorized: socket.authorized, cn: peer.subject?.CN ?? null, o: peer.subject?.O ?? null }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await fn((server.address() as AddressInfo).port);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function get(port: number, opts: { ca: string; servername?: string; cert?: string; key?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', ...opts }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('ensureClusterPki', () => {
  it('creates a CA and a serving certificate that openssl verifies', async () => {
    const pki = await ensureClusterPki(dir);
    expect(openssl('verify', '-CAfile', pki.caCertPath, pki.servingCertPath).trim()).toBe(`${pki.servingCertPath}: OK`);
    const ca = openssl('x509', '-in', pki.caCertPath, '-noout', '-text');
    expect(ca).toMatch(/Subject: CN ?= ?kubernetes-ca/);
    expect(ca).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(ca).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment, Certificate Sign, CRL Sign/);
    expect(ca).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    expect(ca).toMatch(/NIST CURVE: P-256/);
  });

  it('puts the in-cluster names, the host name and loopback addresses on the serving certificate', async () => {
    const pki = await ensureClusterPki(dir, { ips: ['10.96.0.1'], hostnames: ['api.example.test'] });
    const text = openssl('x509', '-in', pki.servingCertPath, '-noout', '-text');
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment/);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(text).toMatch(/CA:FALSE/);
    const san = sanOf(new X509Certificate(pki.servingCertPem));
    for (const name of ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local', 'api.example.test']) {
      expect(san.dns.has(name), name).toBe(true);
    }
    expect(san.dns.has(hostname().toLowerCase())).toBe(true);
    expect([...san.ips.keys()].sort()).toEqual(['0:0:0:0:0:0:0:1', '10.96.0.1', '127.0.0.1']);
  });

  it('writes key files with mode 0600 and certificates with 0644', async () => {
    const pki = await ensureClusterPki(dir);
    expect(mode(pki.caKeyPath)).toBe(0o600);
    expect(mode(pki.servingKeyPath)).toBe(0o600);
    expect(mode(pki.caCertPath)).toBe(0o644);
    expect(mode(pki.servingCertPath)).toBe(0o644);
  });

  it('reuses every file on a second call', async () => {
    const first = await ensureClusterPki(dir, { ips: ['10.96.0.1'] });
    const second = await ensureClusterPki(dir, { ips: ['10.96.0.1'] });
    expect(second).toEqual(first);
    expect(loadClusterPki(dir)).toEqual(first);
  });

  it('reissues only the serving certificate, keeping old SANs, when a requested SAN is missing', async () => {
    const first = await ensureClusterPki(dir, { ips: ['10.96.0.1'] });
    const second = await ensureClusterPki(dir, { hostnames: ['extra.example.test'] });
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.caKeyPem).toBe(first.caKeyPem);
    expect(second.servingCertPem).not.toBe(first.servingCertPem);
    const san = sanOf(new X509Certificate(second.servingCertPem));
    expect(san.dns.has('extra.example.test')).toBe(true);
    expect(san.ips.has('10.96.0.1')).toBe(true);
    // Asking again for a subset changes nothing.
    expect((await ensureClusterPki(dir)).servingCertPem).toBe(second.servingCertPem);
  });

  it('treats an IPv6 SAN written differently as the same address', async () => {
    const first = await ensureClusterPki(dir, { ips: ['fd00::1'] });
    const second = await ensureClusterPki(dir, { ips: ['fd00:0:0:0:0:0:0:0001'] });
    expect(second.servingCertPem).toBe(first.servingCertPem);
  });

  it('replaces a serving certificate that the CA did not sign', async () => {
    const first = await ensureClusterPki(dir);
    const other = await ensureClusterPki(join(dir, 'other'));
    writeFileSync(first.servingCertPath, other.servingCertPem);
    writeFileSync(first.servingKeyPath, other.servingKeyPem);
    const again = await ensureClusterPki(dir);
    expect(again.servingCertPem).not.toBe(other.servingCertPem);
    expect(new X509Certificate(again.servingCertPem).verify(new X509Certificate(first.caCertPem).publicKey)).toBe(true);
  });

  it('refuses to replace a CA whose certificate is missing but key present', async () => {
    const pki = await ensureClusterPki(dir);
    unlinkSync(pki.caCertPath);
    await expect(ensureClusterPki(dir)).rejects.toThrow(/cluster CA is incomplete: .*ca\.crt is missing/);
  });

  it('rejects an invalid extra SAN', async () => {
    await expect(ensureClusterPki(dir, { ips: ['10.0.0.300'] })).rejects.toThrow(/invalid IP address/);
    await expect(ensureClusterPki(dir, { hostnames: ['bad name'] })).rejects.toThrow(/invalid DNS name/);
  });

  it('gives concurrent callers the same files', async () => {
    const [a, b] = await Promise.all([ensureClusterPki(dir), ensureClusterPki(dir)]);
    expect(b.caCertPem).toBe(a.caCertPem);
    expect(readFileSync(a.caCertPath, 'utf8')).toBe(a.caCertPem);
  });
});

describe('TLS with the cluster PKI', () => {
  it.each([
    ['the host name localhost', 'localhost'],
    ['the service name kubernetes.default.svc', 'kubernetes.default.svc'],
    ['the IP address 127.0.0.1', undefined],
  ])('a Node client trusting only the CA accepts the server by %s', async (_label, servername) => {
    const pki = await ensureClusterPki(dir);
    const body = await withServer(pki, (port) => get(port, { ca: pki.caCertPem, ...(servername ? { servername } : {}) }));
    expect(JSON.parse(body)).toMatchObject({ authorized: false });
  });

  it('a Node client trusting only the CA rejects a name not on the certificate', async () => {
    const pki = await ensureClusterPki(dir);
    await expect(withServer(pki, (port) => get(port, { ca: pki.caCertPem, servername: 'elsewhere.example' }))).rejects.toThrow(
      /altnames/,
    );
  });

  it('a Node client with another CA rejects the server', async () => {
    const pki = await ensureClusterPki(dir);
    const other = await ensureClusterPki(join(dir, 'other'));
    await expect(withServer(pki, (port) => get(port, { ca: other.caCertPem }))).rejects.toThrow(/self[- ]signed|unable to verify|signature/i);
  });

  it('a client certificate is verified by the server and carries CN and O', async () => {
    const pki = await ensureClusterPki(dir);
    const client = await issueClientCert(pki, { commonName: 'system:kube-scheduler', organizations: ['system:masters', 'team,a'] });
    const body = await withServer(pki, (port) => get(port, { ca: pki.caCertPem, cert: client.certPem, key: client.keyPem }));
    expect(JSON.parse(body)).toEqual({ authorized: true, cn: 'system:kube-scheduler', o: ['system:masters', 'team,a'] });
  });
});

describe('issueClientCert', () => {
  it('issues a clientAuth certificate that openssl verifies against the CA', async () => {
    const pki = await ensureClusterPki(dir);
    const client = await issueClientCert(pki, { commonName: 'admin', organizations: ['system:masters'], days: 30 });
    const path = join(dir, 'client.crt');
    writeFileSync(path, client.certPem);
    expect(openssl('verify', '-CAfile', pki.caCertPath, '-purpose', 'sslclient', path).trim()).toBe(`${path}: OK`);
    const text = openssl('x509', '-in', path, '-noout', '-text', '-nameopt', 'RFC2253');
    expect(text).toMatch(/Subject: CN=admin,O=system:masters/);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication/);
    const cert = new X509Certificate(client.certPem);
    const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29);
    expect(days).toBeLessThanOrEqual(30);
  });

  it('keeps a user name with special characters as one common name', async () => {
    const pki = await ensureClusterPki(dir);
    const client = await issueClientCert(pki, { commonName: 'a+b=c, d' });
    const path = join(dir, 'client.crt');
    writeFileSync(path, client.certPem);
    const subject = openssl('x509', '-in', path, '-noout', '-subject', '-nameopt', 'multiline,utf8');
    expect(subject.split('\n').filter((l) => l.startsWith('    '))).toEqual(['    commonName                = a+b=c, d']);
  });

  it.each([
    ['an empty common name', { commonName: '' }],
    ['a group with a line break', { commonName: 'u', organizations: ['a\nb'] }],
    ['a non-positive validity', { commonName: 'u', days: 0 }],
  ])('rejects %s', async (_label, req) => {
    const pki = await ensureClusterPki(dir);
    await expect(issueClientCert(pki, req)).rejects.toThrow();
  });
});
