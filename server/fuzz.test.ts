// Hostile input: thousands of random and mutated requests; the server stays up, answers Status, never 5xx, and
// a rejected request never changes the store.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'node:https';
import { startApiServer, type RunningApiServer } from './apiserver.ts';

const REQUESTS = Number(process.env.TSKUBE_FUZZ_REQUESTS ?? 2000);
const dataDir = mkdtempSync(join(tmpdir(), 'tskube-fuzz-'));
let server: RunningApiServer;
let agent: Agent;

/** A small deterministic PRNG (mulberry32) so a failure replays with the same seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Answer {
  code: number;
  contentType: string;
  body: string;
}

function send(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.url);
    // Node sends DELETE/OPTIONS bodies without a length unless told: say it, so the body is not read as a new request.
    if (body) headers = { ...headers, 'content-length': String(body.length) };
    path = path.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));
    const req = request({ host: url.hostname, port: url.port, method, path, headers, agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}

const NS = 'fuzz';
const VALID: Record<string, () => Record<string, unknown>> = {
  '/api/v1/namespaces/fuzz/configmaps': () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', labels: { a: 'b' } }, data: { k: 'v' } }),
  '/api/v1/namespaces/fuzz/pods': () => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox', resources: { limits: { cpu: '1' } } }] } }),
  '/apis/apps/v1/namespaces/fuzz/deployments': () => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } }),
  '/api/v1/namespaces/fuzz/services': () => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }] } }),
  '/apis/rbac.authorization.k8s.io/v1/namespaces/fuzz/roles': () => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'r' }, rules: [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }] }),
  '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews': () => ({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } }),
  '/api/v1/namespaces/fuzz/serviceaccounts/default/token': () => ({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 600 } }),
};

const WEIRD = ['', ' ', '..', '%', '%zz', '%00', 'a'.repeat(300), '\u00e9', '-', 'UPPER', '*', '{}', 'null', '1e309', '-1', 'true', '😀', '/', '?', '#'];

function mutate(value: unknown, rand: () => number, depth = 0): unknown {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const r = rand();
  if (depth > 6) return value;
  if (r < 0.08) return pick([null, 0, -1, 1e309 > 0 ? 2 ** 53 : 0, '', 'x'.repeat(70_000), [], {}, true, pick(WEIRD)]);
  if (Array.isArray(value)) {
    const out = value.map((v) => mutate(v, rand, depth + 1));
    if (rand() < 0.2) out.push(pick(WEIRD));
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (rand() < 0.1) continue;
      out[rand() < 0.05 ? pick(WEIRD) : k] = mutate(v, rand, depth + 1);
    }
    if (rand() < 0.1) out[pick(WEIRD)] = pick(WEIRD);
    return out;
  }
  return rand() < 0.15 ? pick([...WEIRD, 0, false, null, [], {}]) : value;
}

function randomRequest(rand: () => number): { method: string; path: string; headers: Record<string, string>; body?: Buffer } {
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const base = pick(Object.keys(VALID));
  const method = pick(['GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);
  let path = base;
  const r = rand();
  if (r < 0.3) path = `${base}/${encodeURIComponent(pick(['cm', 'p', 'd', 's', 'r', ...WEIRD]))}`;
  else if (r < 0.4) path = `${base}/${pick(['x', 'cm', 'p'])}/${pick(['status', 'scale', 'log', 'binding', 'eviction', 'token', 'exec', 'proxy', '%2e%2e'])}`;
  else if (r < 0.5) path = pick(['/', '/api', '/apis', '/apis/apps', '/version', '/healthz', '/openapi/v2', '/api/v1/namespaces', '/api/v1/nodes', `/api/v1/namespaces/${pick(WEIRD)}`, `/apis/${pick(WEIRD)}/${pick(WEIRD)}/${pick(WEIRD)}`, `/api/v1/namespaces/${NS}/${pick(WEIRD)}`]);
  if (rand() < 0.3) {
    const q = new URLSearchParams();
    for (const k of ['labelSelector', 'fieldSelector', 'limit', 'continue', 'resourceVersion', 'dryRun', 'fieldValidation', 'propagationPolicy', 'gracePeriodSeconds', 'resourceVersionMatch']) {
      if (rand() < 0.3) q.set(k, pick([...WEIRD, 'a=b', 'a in (b', 'metadata.name=x', '!a', '10', '0', 'All', 'Strict', 'Orphan', 'notanumber']));
    }
    if (rand() < 0.05) q.set('watch', pick(['false', '0', 'nope']));
    path += `?${q.toString()}`;
  }
  const headers: Record<string, string> = {};
  const auth = rand();
  if (auth < 0.85) headers.authorization = `Bearer ${server.access.adminToken}`;
  else if (auth < 0.92) headers.authorization = pick(['Bearer ', 'Bearer x.y.z', 'Basic Zm9vOmJhcg==', `Bearer ${'a'.repeat(5000)}`, 'Bearer eyJhbGciOiJub25lIn0.e30.']);
  if (rand() < 0.05) headers['impersonate-user'] = pick(['jane', 'system:serviceaccount:fuzz:default', '']);
  if (rand() < 0.03) headers['impersonate-group'] = pick(['system:masters', 'g']);
  headers['content-type'] = method === 'PATCH'
    ? pick(['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'text/plain'])
    : pick(['application/json', 'application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', 'text/html', '']);
  if (rand() < 0.1) headers.accept = pick(['application/json;as=Table;g=meta.k8s.io;v=v1', 'application/vnd.kubernetes.protobuf', 'text/html', '*/*', 'application/json;as=Nope']);
  let body: Buffer | undefined;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH' || (method === 'DELETE' && rand() < 0.3)) {
    const b = rand();
    const valid = VALID[base]();
    if (b < 0.6) body = Buffer.from(JSON.stringify(mutate(valid, rand)));
    else if (b < 0.7) body = Buffer.from(JSON.stringify(valid).slice(0, Math.floor(rand() * 60)));
    else if (b < 0.8) body = Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
    else if (b < 0.85) body = Buffer.from(`{"a":${'['.repeat(5000)}`);
    else if (b < 0.9) body = Buffer.from('- a\n- : b\n  c: [\n');
    else if (b < 0.95 && method === 'PATCH') body = Buffer.from(JSON.stringify([{ op: pick(['add', 'remove', 'replace', 'move', 'copy', 'test', 'x']), path: pick(['/metadata/labels/a', '/spec', '', '/x/-', '/metadata/name']), value: pick(WEIRD) }]));
    else body = Buffer.from(JSON.stringify(valid));
  }
  return { method, path, headers, body };
}

beforeAll(async () => {
  server = await startApiServer({ dataDir, port: 0, bind: '127.0.0.1' });
  agent = new Agent({ ca: server.access.pki.caCertPem, keepAlive: true, maxSockets: 1 });
  const auth = { authorization: `Bearer ${server.access.adminToken}`, 'content-type': 'application/json' };
  await send('POST', '/api/v1/namespaces', auth, Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } })));
  // Pods need their service account (the controller manager is not running here).
  await send('POST', `/api/v1/namespaces/${NS}/serviceaccounts`, auth, Buffer.from(JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } })));
}, 60_000);

afterAll(async () => {
  agent?.destroy();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the API server under random and mutated requests', () => {
  it(`answers ${REQUESTS} hostile requests with Status errors, no 5xx, and no change from rejected ones`, async () => {
    const seed = Number(process.env.TSKUBE_FUZZ_SEED ?? 20240601);
    const rand = prng(seed);
    const problems: string[] = [];
    const codes = new Map<number, number>();
    for (let i = 0; i < REQUESTS && problems.length < 5; i++) {
      const r = randomRequest(rand);
      const before = await server.store.currentRevision();
      let answer: Answer;
      try {
        answer = await send(r.method, r.path, r.headers, r.body);
      } catch (e: unknown) {
        problems.push(`#${i} ${r.method} ${r.path}: no answer (${String(e)})`);
        continue;
      }
      codes.set(answer.code, (codes.get(answer.code) ?? 0) + 1);
      const what = `#${i} (seed ${seed}) ${r.method} ${r.path} [${r.headers['content-type']}] ${r.body?.toString('utf8').slice(0, 200) ?? ''} → ${answer.code} ${answer.body.slice(0, 300)}`;
      if (answer.code >= 500) problems.push(`5xx: ${what}`);
      if (answer.code >= 400 && r.method !== 'HEAD') {
        let status: { kind?: string; code?: number } | undefined;
        try {
          status = JSON.parse(answer.body) as { kind?: string; code?: number };
        } catch {
          status = undefined;
        }
        if (status?.kind !== 'Status' || status.code !== answer.code) problems.push(`not a Status: ${what}`);
      }
      if (answer.code >= 400) {
        const after = await server.store.currentRevision();
        if (after !== before) problems.push(`store changed by a rejected request (${before} → ${after}): ${what}`);
      }
    }
    const health = await send('GET', '/healthz', {});
    expect(health.code).toBe(200);
    expect(problems).toEqual([]);
    // The run exercised both sides: successes and many kinds of rejection.
    expect([...codes.keys()].filter((c) => c >= 400).length).toBeGreaterThan(4);
  }, 240_000);
});
