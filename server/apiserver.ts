// The API server as a unit: data dir → PKI, tokens, storage, catalogue → HTTPS listener, plus bootstrap objects.
import { createServer, type Server } from 'node:https';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { ensureAdminAccess, type AdminAccess } from '../kubeconfig/index.ts';
import { openSqliteBackend } from './storage/sqlite.ts';
import type { Backend } from './storage/backend.ts';
import { openStorage, type StorageTlsOptions } from './storage/etcd-open.ts';
import { GenericStore } from './registry/store.ts';
import { Catalogue } from './registry/catalogue.ts';
import { resources } from './registry/index.ts';
import { Security } from './auth/security.ts';
import { createRequestListener } from './http/app.ts';
import { bootstrapCluster } from './bootstrap.ts';
import { createLogger, type Logger } from './log.ts';
import { configureKubeletAccess, createUpgradeListener } from './http/pod-streams.ts';
import { DEFAULT_SERVICE_CIDR, ServiceAllocator, firstServiceIp, parseServiceCidr, serviceAllocationHook } from './registry/service-alloc.ts';
import { defaultAdvertiseAddress } from './registry/kubernetes-service.ts';

export interface ApiServerOptions {
  dataDir: string;
  port: number;
  bind: string;
  /**
   * services (issue 8): the address published as the `kubernetes` Service's endpoint, also a SAN of the serving
   * certificate (upstream's --advertise-address). Default: `bind` when it is a specific address, else the
   * IPv4 of the default-route interface.
   */
  advertiseAddress?: string;
  /** Defaults to SQLite at `<dataDir>/state.db`. */
  backend?: Backend;
  /** When no backend is given: `sqlite:DIR` (default: the data dir) or `etcd://host:port[,host:port…]`. */
  storage?: string;
  /** TLS files for an etcd storage URL (CA, client certificate and key). */
  storageTls?: StorageTlsOptions;
  log?: Logger;
  /** Static token file (upstream's --token-auth-file); default `<dataDir>/tokens.csv` (re-read when it changes). */
  tokenAuthFile?: string;
  /** Audit log as JSON lines (upstream's --audit-log-path); off when unset. */
  auditLogPath?: string;
  /**
   * Refuse pods whose service account is missing, as upstream (the CLI sets it: its cluster runs the
   * service-account controller). Off by default so an API server alone (tests) still admits pods, untokened.
   */
  requireServiceAccounts?: boolean;
  /** services (issue 8): the ClusterIP range (upstream's --service-cluster-ip-range); default 10.96.0.0/12. */
  serviceClusterIpRange?: string;
}

export interface RunningApiServer {
  url: string;
  port: number;
  access: AdminAccess;
  store: GenericStore;
  catalogue: Catalogue;
  server: Server;
  security: Security;
  close(): Promise<void>;
}

export const DEFAULT_DB_FILE = 'state.db';

/** Starts serving; resolves once the listener is bound and the bootstrap objects exist. */
export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const log = opts.log ?? createLogger('apiserver');
  mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
  const host = opts.bind === '0.0.0.0' || opts.bind === '::' ? '127.0.0.1' : opts.bind;
  const provisionalUrl = `https://${host.includes(':') ? `[${host}]` : host}:${opts.port}`;
  // services (issue 8): in-pod clients reach us as the first ClusterIP (DNAT to the advertise address): both are SANs.
  const advertise = opts.advertiseAddress ?? defaultAdvertiseAddress(opts.bind);
  const sans = [opts.bind, advertise, firstServiceIp(parseServiceCidr(opts.serviceClusterIpRange ?? DEFAULT_SERVICE_CIDR))];
  const access = await ensureAdminAccess(opts.dataDir, provisionalUrl, { ips: sans.filter((ip) => /^[\d.]+$/.test(ip) && ip !== '0.0.0.0') });
  configureKubeletAccess(access.pki); // kubelet (issue 7): pods/log, exec, attach, portforward reach kubelets with a CA-issued client cert
  const backend = opts.backend
    ?? (opts.storage ? await openStorage(opts.storage, { tls: opts.storageTls, log: (m: string) => log.debug(m) }) : undefined)
    ?? openSqliteBackend(join(opts.dataDir, DEFAULT_DB_FILE), { log: (m: string) => log.debug(m) });
  const store = new GenericStore(backend);
  const catalogue = new Catalogue(resources);
  // services (issue 8): ClusterIPs and NodePorts are allocated as part of the write, from the stored Services' state.
  const serviceAllocator = new ServiceAllocator({ cidr: opts.serviceClusterIpRange });
  await serviceAllocator.start(backend, '/registry/services/specs/');
  store.allocate = serviceAllocationHook(serviceAllocator);
  // Authenticators, RBAC + Node authorizers and admission, live before the first request
  const security = new Security({ store, catalogue, dataDir: opts.dataDir, tokensPath: opts.tokenAuthFile ?? access.tokensPath, log: log.child('auth'), auditLogPath: opts.auditLogPath, requireServiceAccounts: opts.requireServiceAccounts });
  await security.start();
  let ready = false;
  const listener = createRequestListener({ store, catalogue, security, log, ready: () => ready, externalAddress: `${host}:${opts.port}` });
  // Client certificates are asked for (never required) and verified against the cluster CA; the x509 authenticator reads the result.
  const server = createServer({ cert: access.pki.servingCertPem, key: access.pki.servingKeyPem, keepAliveTimeout: 65_000, requestCert: true, rejectUnauthorized: false, ca: access.pki.caCertPem }, listener);
  // kubelet (issue 7): exec/attach/portforward arrive as Upgrade requests, authenticated and authorized as any other.
  server.on('upgrade', createUpgradeListener({ store, catalogue, security, log }));
  // Watches are long-lived: no request timeout from node itself (each watch has its own).
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // With port 0 the real port is known only now: point the admin kubeconfig at it.
  const finalAccess = url === provisionalUrl ? access : await ensureAdminAccess(opts.dataDir, url);
  await bootstrapCluster(store, catalogue, { serviceAllocator, apiserverIp: advertise, apiserverPort: port });
  ready = true;
  log.info('serving', { url });
  return {
    url,
    port,
    access: finalAccess,
    store,
    catalogue,
    server,
    security,
    close: async () => {
      security.stop();
      serviceAllocator.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await backend.close();
    },
  };
}
