// A small in-memory HTTPS API server speaking the Kubernetes list/watch wire format, for this folder's unit tests.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { ensureClusterPki } from '../../kubeconfig/pki.ts';
import { ApiClient } from './client.ts';
import type { KubeObject, Status } from './types.ts';

/** A request as the stub saw it. */
export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
}

/** Fault injection: answer with a Status, cut the connection ('reset'), or let the request through (undefined). */
export type Hook = (req: SeenRequest) => Status | 'reset' | undefined;

interface Watcher {
  collection: string;
  namespace: string | undefined;
  bookmarks: boolean;
  res: ServerResponse;
  lastRev: number;
}

interface LogEntry {
  rev: number;
  collection: string;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  obj: KubeObject;
}

const TOKEN = 'stub-token';

/** Path → collection ("<apiVersion>/<plural>", e.g. "v1/pods", "apps/v1/deployments"), namespace and name. */
function parsePath(path: string): { collection: string; namespace?: string; name?: string; sub?: string } | undefined {
  const m = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/(.*)$/.exec(path);
  if (!m) return undefined;
  const gv = m[1] ?? `${m[2]}/${m[3]}`;
  const segs = m[4]!.split('/').filter(Boolean).map(decodeURIComponent);
  if (segs[0] === 'namespaces' && segs.length >= 3) return { collection: `${gv}/${segs[2]}`, namespace: segs[1], name: segs[3], sub: segs[4] };
  return { collection: `${gv}/${segs[0]}`, name: segs[1], sub: segs[2] };
}

const status = (code: number, reason: string, message: string): Status => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } as Status);

function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** The stub. Everything is kept in memory; revisions are one global counter, as etcd's. */
export class StubApiServer {
  readonly requests: SeenRequest[] = [];
  hook: Hook | undefined;
  /** Answer a watch from a compacted revision with HTTP 410 instead of an ERROR event in a 200 stream. */
  expiredAsHttp = false;
  /** Keep watch streams open past their timeoutSeconds (a silent, half-open connection). */
  ignoreWatchTimeouts = false;
  readonly #objects = new Map<string, Map<string, KubeObject>>();
  readonly #log: LogEntry[] = [];
  readonly #watchers = new Set<Watcher>();
  #rev = 100;
  #compacted = 0;
  #server!: Server;
  #dir!: string;
  url = '';
  kubeConfig!: KubeConfig;

  static async start(): Promise<StubApiServer> {
    const stub = new StubApiServer();
    stub.#dir = mkdtempSync(join(tmpdir(), 'stub-apiserver-'));
    const pki = await ensureClusterPki(stub.#dir);
    stub.#server = createServer({ cert: pki.servingCertPem, key: pki.servingKeyPem }, (req, res) => stub.#handle(req, res));
    await new Promise<void>((resolve) => stub.#server.listen(0, '127.0.0.1', resolve));
    stub.url = `https://127.0.0.1:${(stub.#server.address() as AddressInfo).port}`;
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'stub', server: stub.url, caData: Buffer.from(pki.caCertPem).toString('base64') }],
      users: [{ name: 'stub', token: TOKEN }],
      contexts: [{ name: 'stub', cluster: 'stub', user: 'stub' }],
      currentContext: 'stub',
    });
    stub.kubeConfig = kc;
    return stub;
  }

  client(): ApiClient {
    return new ApiClient(this.kubeConfig);
  }

  get revision(): number {
    return this.#rev;
  }

  get watchCount(): number {
    return this.#watchers.size;
  }

  /** Writes directly (as another client would): create or replace; returns the stored copy. */
  put(collection: string, obj: KubeObject): KubeObject {
    const items = this.#items(collection);
    const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    const old = items.get(key);
    const stored: KubeObject = structuredClone({ ...obj, metadata: { ...obj.metadata, uid: old?.metadata.uid ?? obj.metadata.uid ?? randomUUID(), resourceVersion: String(++this.#rev) } });
    items.set(key, stored);
    this.#emit(collection, old ? 'MODIFIED' : 'ADDED', stored);
    return structuredClone(stored);
  }

  remove(collection: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const items = this.#items(collection);
    const key = `${namespace ?? ''}/${name}`;
    const old = items.get(key);
    if (!old) return undefined;
    items.delete(key);
    const gone: KubeObject = { ...old, metadata: { ...old.metadata, resourceVersion: String(++this.#rev) } };
    this.#emit(collection, 'DELETED', gone);
    return gone;
  }

  get(collection: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.#items(collection).get(`${namespace ?? ''}/${name}`);
    return o && structuredClone(o);
  }

  list(collection: string): KubeObject[] {
    return [...this.#items(collection).values()].map((o) => structuredClone(o));
  }

  /** Forgets history up to now: watches from older revisions get 410 Expired. */
  compact(): void {
    this.#compacted = this.#rev;
    this.#log.length = 0;
  }

  /** Ends every open watch stream, as a server timeout would. */
  endWatches(): void {
    for (const w of this.#watchers) w.res.end();
    this.#watchers.clear();
  }

  /** Sends a BOOKMARK at the current revision to watchers that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.#watchers) if (w.bookmarks) w.res.write(JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: String(this.#rev) } } }) + '\n');
  }

  /** Sends an ERROR event to every watcher, as upstream does for "too old resource version". */
  expireWatches(): void {
    for (const w of this.#watchers) {
      w.res.end(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${w.lastRev} (${this.#rev})`) }) + '\n');
    }
    this.#watchers.clear();
  }

  async close(): Promise<void> {
    this.endWatches();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    rmSync(this.#dir, { recursive: true, force: true });
  }

  #items(collection: string): Map<string, KubeObject> {
    let items = this.#objects.get(collection);
    if (!items) this.#objects.set(collection, (items = new Map()));
    return items;
  }

  #emit(collection: string, type: LogEntry['type'], obj: KubeObject): void {
    const entry = { rev: this.#rev, collection, type, obj: structuredClone(obj) };
    this.#log.push(entry);
    for (const w of this.#watchers) this.#send(w, entry);
  }

  #send(w: Watcher, e: LogEntry): void {
    if (e.collection !== w.collection || (w.namespace !== undefined && e.obj.metadata.namespace !== w.namespace) || e.rev <= w.lastRev) return;
    w.lastRev = e.rev;
    w.res.write(JSON.stringify({ type: e.type, object: e.obj }) + '\n');
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'https://stub');
    const seen: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams };
    this.requests.push(seen);
    const reply = (code: number, body: unknown): void => {
      res.writeHead(code, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const fail = (s: Status): void => reply(s.code ?? 500, s);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return fail(status(401, 'Unauthorized', 'Unauthorized'));
    const injected = this.hook?.(seen);
    if (injected === 'reset') return void req.socket.destroy();
    if (injected) return fail(injected);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const p = parsePath(url.pathname);
      if (!p) return fail(status(404, 'NotFound', 'the server could not find the requested resource'));
      const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as KubeObject) : undefined;
      const items = this.#items(p.collection);
      const key = (name: string | undefined): string => `${p.namespace ?? ''}/${name ?? ''}`;
      const plural = p.collection.split('/').pop()!;
      const notFound = (): void => fail(status(404, 'NotFound', `${plural} "${p.name}" not found`));
      switch (req.method) {
        case 'GET': {
          if (p.name) return items.has(key(p.name)) ? reply(200, items.get(key(p.name))) : notFound();
          if (url.searchParams.get('watch') === 'true') return this.#watch(p.collection, p.namespace, url.searchParams, res);
          return this.#list(p.collection, p.namespace, url.searchParams, reply, fail);
        }
        case 'POST': {
          const name = body!.metadata.name ?? `${body!.metadata.generateName ?? ''}${randomUUID().slice(0, 5)}`;
          if (items.has(key(name))) return fail(status(409, 'AlreadyExists', `${plural} "${name}" already exists`));
          const stored = this.put(p.collection, { ...body!, metadata: { ...body!.metadata, name, namespace: p.namespace, creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') } });
          return reply(201, stored);
        }
        case 'PUT': {
          const old = items.get(key(p.name));
          if (!old) return notFound();
          const rv = body!.metadata.resourceVersion;
          if (rv && rv !== old.metadata.resourceVersion) {
            return fail(status(409, 'Conflict', `Operation cannot be fulfilled on ${plural} "${p.name}": the object has been modified; please apply your changes to the latest version and try again`));
          }
          return reply(200, this.put(p.collection, { ...body!, metadata: { ...body!.metadata, namespace: p.namespace } }));
        }
        case 'PATCH': {
          const old = items.get(key(p.name));
          if (!old) return notFound();
          return reply(200, this.put(p.collection, mergePatch(old, body) as KubeObject));
        }
        case 'DELETE': {
          const gone = this.remove(p.collection, p.namespace, p.name!);
          return gone ? reply(200, gone) : notFound();
        }
        default:
          return fail(status(405, 'MethodNotAllowed', 'method not allowed'));
      }
    });
  }

  #matching(collection: string, namespace: string | undefined, q: URLSearchParams): KubeObject[] {
    const wanted = (q.get('labelSelector') ?? '').split(',').filter(Boolean).map((t) => t.split('='));
    return [...this.#items(collection).entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, o]) => o)
      .filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      .filter((o) => wanted.every(([k, v]) => o.metadata.labels?.[k!] === v));
  }

  #list(collection: string, namespace: string | undefined, q: URLSearchParams, reply: (c: number, b: unknown) => void, fail: (s: Status) => void): void {
    const limit = Number(q.get('limit') ?? 0);
    let offset = 0;
    let rv = this.#rev;
    const cont = q.get('continue');
    if (cont) {
      const token = JSON.parse(Buffer.from(cont, 'base64').toString('utf8')) as { rv: number; offset: number };
      if (token.rv < this.#compacted) {
        return fail(status(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.'));
      }
      ({ rv, offset } = token);
    }
    const all = this.#matching(collection, namespace, q);
    const page = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const more = limit > 0 && offset + limit < all.length;
    const metadata: Record<string, string> = { resourceVersion: String(rv) };
    if (more) metadata['continue'] = Buffer.from(JSON.stringify({ rv, offset: offset + limit })).toString('base64');
    reply(200, { kind: 'List', apiVersion: 'v1', metadata, items: page.map(({ apiVersion: _a, kind: _k, ...rest }) => rest) });
  }

  #watch(collection: string, namespace: string | undefined, q: URLSearchParams, res: ServerResponse): void {
    const rvParam = q.get('resourceVersion');
    const from = rvParam ? Number(rvParam) : this.#rev;
    if (from < this.#compacted && this.expiredAsHttp) {
      res.writeHead(410, { 'Content-Type': 'application/json' });
      return void res.end(JSON.stringify(status(410, 'Expired', `too old resource version: ${from} (${this.#rev})`)));
    }
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.flushHeaders();
    if (from < this.#compacted) {
      return void res.end(JSON.stringify({ type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${this.#rev})`) }) + '\n');
    }
    const w: Watcher = { collection, namespace, bookmarks: q.get('allowWatchBookmarks') === 'true', res, lastRev: from };
    this.#watchers.add(w);
    for (const e of this.#log) this.#send(w, e);
    const timeout = setTimeout(() => this.ignoreWatchTimeouts || res.end(), Number(q.get('timeoutSeconds') ?? 1800) * 1000);
    res.on('close', () => {
      clearTimeout(timeout);
      this.#watchers.delete(w);
    });
  }
}
