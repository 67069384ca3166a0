// pods/log (and, through upgrades, exec/attach/portforward): the API server proxies to the pod's kubelet over HTTPS, as upstream (translating WebSocket v5 and SPDY tunnelling to SPDY).
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import * as errors from './errors.ts';
import type { ResourceContext } from './resources.ts';
import { nodes } from '../registry/cluster.ts';
import type { GenericStore } from '../registry/store.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';
import type { Catalogue } from '../registry/catalogue.ts';
import type { Security } from '../auth/security.ts';
import type { Logger } from '../log.ts';
import { parseRequestInfo } from './request-info.ts';
import { dialUpgrade, proxyUpgrade, refuseUpgrade } from './upgrade-proxy.ts';
import { translateExec, translatedExecProtocol, type KubeletDialer } from './streams/exec-translator.ts';
import { tunnelPortForward, tunneledSpdyProtocols } from './streams/portforward-tunnel.ts';
import { isWebSocketRequest, offeredProtocols } from './streams/websocket.ts';
import type { Duplex } from 'node:stream';
import { issueClientCert, type CertAndKey } from '../../kubeconfig/pki.ts';

/** The identity the API server presents to kubelets (upstream: --kubelet-client-certificate). */
export const KUBELET_CLIENT_CN = 'kube-apiserver-kubelet-client';

let caMaterial: { caCertPem: string; caKeyPem: string } | undefined;
let clientCert: Promise<CertAndKey> | undefined;

/** Gives pod streaming the cluster CA, from which it issues its kubelet client certificate on first use. */
export function configureKubeletAccess(pki: { caCertPem: string; caKeyPem: string }): void {
  caMaterial = pki;
  clientCert = undefined;
}

function kubeletCredential(): Promise<CertAndKey> {
  if (!caMaterial) return Promise.reject(errors.serviceUnavailable('the API server has no credential for kubelets'));
  clientCert ??= issueClientCert(caMaterial, { commonName: KUBELET_CLIENT_CN, organizations: ['system:masters'] });
  return clientCert;
}

/** Where the pod's kubelet listens: the node's InternalIP (else Hostname) and daemonEndpoints port. */
export async function kubeletLocation(store: GenericStore, nodeName: string): Promise<{ host: string; port: number }> {
  const node = await store.get(nodes, '', nodeName);
  const status = (node.status ?? {}) as { addresses?: Array<{ type: string; address: string }>; daemonEndpoints?: { kubeletEndpoint?: { Port?: number } } };
  const addr = status.addresses?.find((a) => a.type === 'InternalIP')?.address ?? status.addresses?.find((a) => a.type === 'Hostname')?.address;
  const port = status.daemonEndpoints?.kubeletEndpoint?.Port;
  if (!addr || !port) throw errors.badRequest(`node "${nodeName}" has no kubelet endpoint`);
  return { host: addr, port };
}

interface PodShape { spec?: { nodeName?: string; containers?: Array<{ name: string }>; initContainers?: Array<{ name: string }>; ephemeralContainers?: Array<{ name: string }> } }

/** Upstream's container choice for pods/log, exec and attach: the only container, or the one named, with upstream's errors. */
export function chooseContainer(pod: KubeObject, requested: string | null): string {
  const spec = (pod as PodShape).spec ?? {};
  const name = pod.metadata.name ?? '';
  const containers = (spec.containers ?? []).map((c) => c.name);
  const init = (spec.initContainers ?? []).map((c) => c.name);
  const ephemeral = (spec.ephemeralContainers ?? []).map((c) => c.name);
  if (!requested) {
    if (containers.length === 1) return containers[0]!;
    let msg = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (init.length) msg += ` or one of the init containers: [${init.join(' ')}]`;
    if (ephemeral.length) msg += ` or one of the ephemeral containers: [${ephemeral.join(' ')}]`;
    throw errors.badRequest(msg);
  }
  if (![...containers, ...init, ...ephemeral].includes(requested)) throw errors.badRequest(`container ${requested} is not valid for pod ${name}`);
  return requested;
}

const LOG_PARAMS = ['follow', 'previous', 'tailLines', 'sinceSeconds', 'sinceTime', 'timestamps', 'limitBytes'] as const;

/** GET pods/{name}/log: validates, then streams the kubelet's /containerLogs answer through. */
export async function handlePodLog(ctx: ResourceContext): Promise<void> {
  const { info, def, store, query, res } = ctx;
  if (info.verb !== 'get') throw errors.methodNotAllowed();
  const pod = await store.get(def, info.namespace, info.name);
  const container = chooseContainer(pod, query.get('container'));
  for (const k of ['tailLines', 'sinceSeconds', 'limitBytes'] as const) {
    const v = query.get(k);
    if (v !== null && !/^-?\d+$/.test(v)) throw errors.badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  }
  const nodeName = (pod as PodShape).spec?.nodeName;
  if (!nodeName) {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end();
    return;
  }
  const params = new URLSearchParams();
  for (const k of LOG_PARAMS) {
    const v = query.get(k);
    if (v !== null) params.set(k, v);
  }
  const path = `/containerLogs/${encodeURIComponent(info.namespace)}/${encodeURIComponent(info.name)}/${encodeURIComponent(container)}?${params}`;
  const upstream = await kubeletRequest(store, nodeName, 'GET', path);
  if (upstream.statusCode !== 200) throw await kubeletError(upstream);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  upstream.pipe(res);
  const abort = (): void => void upstream.destroy();
  ctx.req.on('close', abort);
  res.on('close', abort);
  await new Promise<void>((resolve) => upstream.on('close', () => resolve()));
}

/** One request to a kubelet, authenticated with the API server's client certificate (the kubelet's serving cert is not verified, as upstream's default). */
export async function kubeletRequest(store: GenericStore, nodeName: string, method: string, path: string, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  const { host, port } = await kubeletLocation(store, nodeName);
  const cred = await kubeletCredential();
  return await new Promise<IncomingMessage>((resolve, reject) => {
    const req = https.request({ host, port, path, method, headers, cert: cred.certPem, key: cred.keyPem, rejectUnauthorized: false, timeout: 30_000 }, resolve);
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => reject(errors.serviceUnavailable(`error trying to reach service: ${e.message}`)));
    req.end();
  });
}

/** A kubelet's non-200 answer as the API server reports it: its text as the Status message, 400 unless 404/401/403/5xx. */
export async function kubeletError(res: IncomingMessage): Promise<errors.ApiError> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  const code = res.statusCode ?? 500;
  if (code === 404) return new errors.ApiError(404, 'NotFound', text);
  if (code >= 500) return errors.internalError(text);
  return errors.badRequest(text);
}

// ---- exec, attach, portforward: upgraded connections -------------------------------------------------------

export interface UpgradeDeps {
  store: GenericStore;
  catalogue: Catalogue;
  security: Security;
  log: Logger;
}

const STREAM_SUBRESOURCES = new Set(['exec', 'attach', 'portforward']);

function refuseWithStatus(socket: Duplex, e: unknown): void {
  const err = e instanceof errors.ApiError ? e : errors.internalError(e instanceof Error ? e.message : String(e));
  refuseUpgrade(socket, err.code, 'application/json', JSON.stringify(err.toStatus()));
}

/**
 * The API server's 'upgrade' listener: the same authentication and authorization as ordinary requests (verb from
 * the method, as upstream's RequestInfo: POST → create, GET → get), then pods/{name}/exec|attach|portforward are
 * proxied to the pod's kubelet. Everything else that asks for an upgrade gets the Status it would get as a plain
 * request's failure (404), never a hang.
 */
export function createUpgradeListener(deps: UpgradeDeps): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    let decoded = path;
    try {
      decoded = decodeURIComponent(path);
    } catch { /* keep the raw path, as the ordinary pipeline does */ }
    const info = parseRequestInfo(req.method ?? 'GET', decoded, query);
    const serve = async (): Promise<void> => {
      const admitted = await deps.security.admit(req, info, query);
      req.user = admitted.user;
      if (!info.isResourceRequest) throw errors.pathNotFound();
      const def = deps.catalogue.find(info.group, info.version, info.resource);
      if (!def || def.group !== '' || def.plural !== 'pods' || !info.namespace || !info.name || !STREAM_SUBRESOURCES.has(info.subresource)) {
        throw errors.pathNotFound();
      }
      if (info.verb !== 'get' && info.verb !== 'create') throw errors.methodNotAllowed();
      await proxyPodStream(deps.store, def, info.namespace, info.name, info.subresource, query, req, socket, head, deps.log);
    };
    serve().catch((e: unknown) => {
      if (!(e instanceof errors.ApiError)) deps.log.error('stream upgrade failed', { path, err: String((e as Error)?.stack ?? e) });
      refuseWithStatus(socket, e);
    });
  };
}

/** The kubelet path for one stream request, with upstream's API server → kubelet parameters (input=1, output=1, …). */
async function kubeletStreamPath(pod: KubeObject, subresource: string, query: URLSearchParams): Promise<string> {
  const ns = encodeURIComponent(pod.metadata.namespace ?? '');
  const name = encodeURIComponent(pod.metadata.name ?? '');
  if (subresource === 'portforward') {
    const params = new URLSearchParams();
    for (const p of query.getAll('ports')) params.append('port', p);
    return `/portForward/${ns}/${name}${params.size ? `?${params}` : ''}`;
  }
  const container = chooseContainer(pod, query.get('container'));
  const on = (k: string): boolean => query.get(k) === 'true' || query.get(k) === '1';
  const params = new URLSearchParams();
  if (subresource === 'exec') {
    const command = query.getAll('command');
    if (command.length === 0) throw errors.badRequest('you must specify at least 1 command');
    for (const c of command) params.append('command', c);
  }
  if (on('stdin')) params.set('input', '1');
  if (on('stdout')) params.set('output', '1');
  if (on('stderr')) params.set('error', '1');
  if (on('tty')) params.set('tty', '1');
  if (!on('stdin') && !on('stdout') && !on('stderr')) throw errors.badRequest('you must specify at least 1 of stdin, stdout, stderr');
  return `/${subresource}/${ns}/${name}/${encodeURIComponent(container)}?${params}`;
}

async function proxyPodStream(store: GenericStore, def: ResourceDef, namespace: string, name: string, subresource: string, query: URLSearchParams, req: IncomingMessage, socket: Duplex, head: Buffer, log: Logger): Promise<void> {
  const pod = await store.get(def, namespace, name);
  const path = await kubeletStreamPath(pod, subresource, query);
  const nodeName = (pod as PodShape).spec?.nodeName;
  if (!nodeName) throw errors.badRequest(`pod ${name} does not have a host assigned`);
  const { host, port } = await kubeletLocation(store, nodeName);
  const cred = await kubeletCredential();
  const target = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}${path}`);
  const upgradeTarget = { url: target, cert: cred.certPem, key: cred.keyPem };
  const dial: KubeletDialer = (headers) => dialUpgrade(upgradeTarget, 'POST', headers);
  try {
    // WebSocket clients whose protocol the runtime lacks are translated here, as upstream's API server does;
    // everything else (SPDY, WebSocket v1-v4) is relayed as is, so the runtime negotiates it itself.
    if (isWebSocketRequest(req)) {
      const offered = offeredProtocols(req);
      const execProtocol = subresource === 'portforward' ? undefined : translatedExecProtocol(offered);
      if (execProtocol) {
        const on = (k: string): boolean => query.get(k) === 'true' || query.get(k) === '1';
        const tty = on('tty');
        translateExec(req, socket, head, execProtocol, { stdin: on('stdin'), stdout: on('stdout'), stderr: on('stderr') && !tty, tty }, dial, log);
        return;
      }
      const tunneled = subresource === 'portforward' ? tunneledSpdyProtocols(offered) : [];
      if (tunneled.length) {
        await tunnelPortForward(req, socket, head, tunneled, dial, log);
        return;
      }
    }
    await proxyUpgrade(req, socket, head, upgradeTarget);
  } catch (e: unknown) {
    throw errors.serviceUnavailable(`error trying to reach service: ${e instanceof Error ? e.message : String(e)}`);
  }
}
