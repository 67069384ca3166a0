// The kubelet's own HTTPS server (as upstream's :10250): container logs, streaming endpoints and usage stats, for the API server only.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node';
import { generate } from 'selfsigned';
import type { Lister } from '../controllers/runtime/index.ts';
import type { KubeletContext } from './context.ts';
import { streamLog } from './logs.ts';
import type { Pod } from './types.ts';
import { handleStreamUpgrade } from './streams.ts';
import { resourceMetricsText, StatsProvider } from './stats.ts';
import type { Logger } from '../server/log.ts';

export interface KubeletServerOptions {
  ctx: KubeletContext;
  pods: Lister<Pod>;
  port: number;
  bind: string;
  /** Its cluster CA verifies the API server's client certificate. */
  kubeconfig: KubeConfig;
  log: Logger;
}

function caOf(kc: KubeConfig): string | undefined {
  const cluster = kc.getCurrentCluster();
  if (cluster?.caData) return Buffer.from(cluster.caData, 'base64').toString('utf8');
  return undefined;
}

function fail(res: ServerResponse, code: number, message: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(message);
}

/**
 * Serves /healthz, /containerLogs/{ns}/{pod}/{container}, /stats/summary, /metrics/resource and (upgrades)
 * /exec, /attach, /portForward.
 * Every request but /healthz must present a client certificate signed by the cluster CA (what the API
 * server holds); others get 401.
 */
export async function startKubeletServer(o: KubeletServerOptions): Promise<{ port: number; close(): Promise<void> }> {
  const pems = await generate([{ name: 'commonName', value: `${o.ctx.nodeName}@kubelet` }], {
    keyType: 'ec', curve: 'P-256', algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: o.ctx.nodeName }, { type: 7, ip: o.ctx.hostIP }, { type: 7, ip: '127.0.0.1' }] }],
  } as Parameters<typeof generate>[1]);
  const ca = caOf(o.kubeconfig);
  const server = https.createServer({ cert: pems.cert, key: pems.private, requestCert: true, rejectUnauthorized: false, ...(ca ? { ca } : {}) });
  const authorized = (req: IncomingMessage): boolean => (req.socket as TLSSocket).authorized === true;
  const stats = new StatsProvider({ cri: o.ctx.cri, cache: o.ctx.cache, nodeName: o.ctx.nodeName });
  stats.start();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    if (url.pathname === '/healthz') return fail(res, 200, 'ok');
    if (!authorized(req)) return fail(res, 401, 'Unauthorized');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'containerLogs' && parts.length === 4 && req.method === 'GET') {
      void serveLogs(o, parts[1]!, parts[2]!, parts[3]!, url.searchParams, req, res).catch((e: unknown) => {
        if (!res.headersSent) fail(res, 500, e instanceof Error ? e.message : String(e));
        else res.end();
      });
      return;
    }
    if ((url.pathname === '/stats/summary' || url.pathname === '/metrics/resource') && req.method === 'GET') {
      const summary = stats.summary();
      const [type, body] = url.pathname === '/stats/summary'
        ? ['application/json', JSON.stringify(summary)]
        : ['text/plain; version=0.0.4; charset=utf-8', resourceMetricsText(summary)];
      res.writeHead(200, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    fail(res, 404, '404 page not found');
  });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (!authorized(req)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 12\r\n\r\nUnauthorized');
      return;
    }
    void handleStreamUpgrade(o.ctx, o.pods, req, socket, head).catch((e: unknown) => {
      o.log.warn('stream failed', { error: e instanceof Error ? e.message : String(e) });
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.bind, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => {
      stats.stop();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function serveLogs(o: KubeletServerOptions, namespace: string, name: string, container: string, q: URLSearchParams, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const pod = o.pods.get(`${namespace}/${name}`);
  if (!pod) return fail(res, 404, `pod "${name}" not found`);
  const all = o.ctx.cache.pod(pod.metadata.uid ?? '').containers.filter((c) => c.name === container);
  const previous = q.get('previous') === 'true';
  const inst = previous ? all[1] : all[0];
  if (!inst) {
    return fail(res, 400, previous
      ? `previous terminated container "${container}" in pod "${name}" not found`
      : `container "${container}" in pod "${name}" is waiting to start: ContainerCreating`);
  }
  const num = (k: string): number | undefined => (q.get(k) !== null && q.get(k) !== '' ? Number(q.get(k)) : undefined);
  const sinceSeconds = num('sinceSeconds');
  const sinceTime = q.get('sinceTime');
  const sinceMs = sinceSeconds !== undefined ? Date.now() - sinceSeconds * 1000 : sinceTime ? Date.parse(sinceTime) : undefined;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
  const ctl = new AbortController();
  req.on('close', () => ctl.abort());
  res.on('close', () => ctl.abort());
  const id = inst.id;
  const stillRunning = (): boolean => {
    const c = o.ctx.cache.pod(pod.metadata.uid ?? '').containers.find((x) => x.id === id);
    return c?.state === 'CONTAINER_RUNNING';
  };
  await streamLog(inst.logPath, res, {
    follow: q.get('follow') === 'true' && !previous, tailLines: num('tailLines'), sinceMs,
    timestamps: q.get('timestamps') === 'true', limitBytes: num('limitBytes'),
  }, stillRunning, ctl.signal);
  res.end();
}
