// The security pipeline end to end on a real API server: x509, tokens, anonymous, impersonation, audit, node identity.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { generate } from 'selfsigned';
import { startApiServer, type RunningApiServer } from '../apiserver.ts';
import { issueClientCert, type CertAndKey } from '../../kubeconfig/pki.ts';
import { ensureComponentKubeconfigs } from '../../kubeconfig/components.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'tskube-security-'));
const auditPath = join(dataDir, 'audit.log');
let server: RunningApiServer;

interface Answer {
  code: number;
  body: { kind?: string; message?: string; status?: { userInfo?: { username: string; groups: string[] } } } & Record<string, unknown>;
}

function call(method: string, path: string, opts: { token?: string; cert?: CertAndKey; headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> {
  const url = new URL(server.url);
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const data = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  if (data) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(data.length);
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers, ca: server.access.pki.caCertPem, cert: opts.cert?.certPem, key: opts.cert?.keyPem, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: text.startsWith('{') ? JSON.parse(text) : { text } }));
    });
    req.on('error', reject);
    req.end(data);
  });
}

const whoami = (opts: Parameters<typeof call>[2]) => call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { ...opts, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });

beforeAll(async () => {
  server = await startApiServer({ dataDir, port: 0, bind: '127.0.0.1', auditLogPath: auditPath });
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('authentication', () => {
  it('reads the user and groups of a client certificate signed by the cluster CA', async () => {
    const cert = await issueClientCert(server.access.pki, { commonName: 'jane', organizations: ['devs', 'ops'] });
    const r = await whoami({ cert });
    expect(r.code).toBe(201);
    expect(r.body.status?.userInfo).toEqual({ username: 'jane', groups: ['devs', 'ops', 'system:authenticated'] });
  });

  it('answers 401 for a certificate from another CA and for an unknown token', async () => {
    const otherCa = await generate([{ name: 'commonName', value: 'evil-ca' }], { keyType: 'ec', curve: 'P-256', algorithm: 'sha256', extensions: [{ name: 'basicConstraints', cA: true, critical: true }, { name: 'keyUsage', keyCertSign: true, digitalSignature: true, critical: true }] });
    const cert = await issueClientCert({ caCertPem: otherCa.cert, caKeyPem: otherCa.private }, { commonName: 'admin', organizations: ['system:masters'] });
    const bad = await whoami({ cert });
    expect(bad.code).toBe(401);
    expect(bad.body).toMatchObject({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' });
    expect((await whoami({ token: 'nope' })).code).toBe(401);
  });

  it('treats a request without credentials as system:anonymous: public info only', async () => {
    expect((await call('GET', '/version')).code).toBe(200);
    const r = await call('GET', '/api/v1/namespaces/default/pods');
    expect(r.code).toBe(403);
    expect(r.body.message).toBe('pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"');
  });
});

describe('impersonation', () => {
  it('lets the admin act as another user, groups added as upstream', async () => {
    const r = await whoami({ token: server.access.adminToken, headers: { 'impersonate-user': 'bob' } });
    expect(r.body.status?.userInfo).toEqual({ username: 'bob', groups: ['system:authenticated'] });
  });

  it('refuses a user without the impersonate verb', async () => {
    const cert = await issueClientCert(server.access.pki, { commonName: 'carol' });
    const r = await call('GET', '/api/v1/namespaces', { cert, headers: { 'impersonate-user': 'admin' } });
    expect(r.code).toBe(403);
    expect(r.body.message).toBe('users "admin" is forbidden: User "carol" cannot impersonate resource "users" in API group "" at the cluster scope');
  });
});

describe('component identities', () => {
  it('give a kubelet its node identity, limited to its own Node and Lease', async () => {
    const kcs = await ensureComponentKubeconfigs(dataDir, server.url, ['n1']);
    const doc = readFileSync(kcs.nodes.n1, 'utf8');
    const data = (key: string) => Buffer.from(new RegExp(`${key}: (\\S+)`).exec(doc)![1], 'base64').toString();
    const cert = { certPem: data('client-certificate-data'), keyPem: data('client-key-data') };
    expect((await whoami({ cert })).body.status?.userInfo).toEqual({ username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] });
    const node = (name: string) => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } });
    expect((await call('POST', '/api/v1/nodes', { cert, body: node('n1') })).code).toBe(201);
    expect((await call('PUT', '/api/v1/nodes/n1', { cert, body: node('n1') })).code).toBe(200);
    await call('POST', '/api/v1/nodes', { token: server.access.adminToken, body: node('n2') });
    const other = await call('PUT', '/api/v1/nodes/n2', { cert, body: node('n2') });
    expect(other.code).toBe(403);
    expect(other.body.message).toBe('nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    const impostor = await call('POST', '/api/v1/nodes', { cert, body: node('n3') });
    expect(impostor.code).toBe(403);
    expect(impostor.body.message).toBe('nodes "n3" is forbidden: node "n1" is not allowed to modify node "n3"');
    const tainted = await call('PUT', '/api/v1/nodes/n1', { cert, body: { ...node('n1'), spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } } });
    expect(tainted.body.message).toBe('nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    const secrets = await call('GET', '/api/v1/namespaces/default/secrets/x', { cert });
    expect(secrets.code).toBe(403);
    // The same files are reused on the next start (no churn of certificates).
    const again = await ensureComponentKubeconfigs(dataDir, server.url, ['n1']);
    expect(readFileSync(again.nodes.n1, 'utf8')).toBe(doc);
  });
});

describe('audit log', () => {
  it('records user, verb, resource and status code as JSON lines', async () => {
    await call('GET', '/api/v1/namespaces/default/configmaps', { token: server.access.adminToken });
    await new Promise((r) => setTimeout(r, 50));
    const lines = readFileSync(auditPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toContainEqual(expect.objectContaining({ verb: 'list', user: expect.objectContaining({ username: 'admin' }), objectRef: expect.objectContaining({ resource: 'configmaps', namespace: 'default' }), responseStatus: { code: 200 } }));
  });
});
