// Cluster DNS: watches Services and EndpointSlices, answers the cluster zone on UDP+TCP, forwards the rest, keeps `kube-dns` pointing at itself.
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, SharedInformerFactory, Resources, type KubeObject } from '../controllers/runtime/index.ts';
import { createLogger, type Logger } from '../server/log.ts';
import { Forwarder } from './forward.ts';
import { dnsServiceIP, ensureKubeDnsService } from './kube-dns-service.ts';
import { hostIPv4 } from '../server/host-address.ts';
import { RecordTable, type DnsEndpointSlice, type DnsService } from './records.ts';
import { listen, Resolver } from './server.ts';

/** The port `tskube dns` and `tskube up` listen on: unprivileged, so it never clashes with a host resolver on 53. */
export const DEFAULT_DNS_PORT = 10053;

export interface DnsOptions {
  kubeconfig: string;
  log?: Logger;
  signal?: AbortSignal;
  /** Listen address; default `<node IP>` (from the default route), else 0.0.0.0. */
  host?: string;
  /** Default {@link DEFAULT_DNS_PORT}; 0 picks a free port. */
  port?: number;
  /** When the port is taken, fall back to a free one instead of failing (several clusters on one host). */
  portFallback?: boolean;
  clusterDomain?: string;
  /** Keep the kube-dns Service/Endpoints/EndpointSlice pointing here (default true). */
  publishService?: boolean;
  /** The kube-dns clusterIP when it is created; default: the 10th address of the service range. */
  serviceIP?: string;
  /** Upstream servers for other names; default: the host's resolv.conf. */
  upstream?: string[];
}

export interface RunningDns {
  host: string;
  port: number;
  /** The kube-dns Service's clusterIP (published, else the one it will get): pods' nameserver, the kubelet's --cluster-dns. */
  serviceIP(): string | undefined;
  /** The table now served (tests). */
  table(): RecordTable;
  stop(): Promise<void>;
}

/**
 * Starts the cluster DNS. Guarantees: it serves only after the Service and EndpointSlice caches synced; each change
 * swaps in a rebuilt record table (changes coalesce); when `publishService`, kube-dns is created/updated at start
 * and re-checked every 30 s (failures are logged and retried, never fatal); stop() closes both listeners.
 * @throws Error when the kubeconfig cannot be read or the port cannot be bound.
 */
export async function startDns(opts: DnsOptions): Promise<RunningDns> {
  const log = opts.log ?? createLogger('dns');
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const client = new ApiClient(kc, { userAgent: 'tskube-dns/v1.33.0 (linux/amd64) tskube' });
  const informers = new SharedInformerFactory(client, { log });
  const services = informers.informerOf(Resources.Service);
  const slices = informers.informerOf(Resources.EndpointSlice);
  const domain = (opts.clusterDomain ?? 'cluster.local').replace(/\.$/, '');
  const build = (): RecordTable => new RecordTable(services.lister.list() as unknown as DnsService[], slices.lister.list() as unknown as DnsEndpointSlice[], domain);
  const forwarder = new Forwarder({ servers: opts.upstream });
  const resolver = new Resolver(new RecordTable([], [], domain), forwarder, log);
  let rebuildTimer: NodeJS.Timeout | undefined;
  const rebuild = (): void => {
    rebuildTimer ??= setTimeout(() => {
      rebuildTimer = undefined;
      resolver.setTable(build());
    }, 20);
  };
  const handler = { onAdd: rebuild, onUpdate: rebuild, onDelete: rebuild };
  services.addEventHandler(handler);
  slices.addEventHandler(handler);
  informers.start();
  if (!(await informers.waitForCacheSync(opts.signal))) {
    await informers.shutdown();
    throw new Error('dns: stopped before the caches synced');
  }
  resolver.setTable(build());

  // The node's address, where pods reach the DNS through kube-dns's endpoint (never loopback: pods cannot reach it).
  const hostAddress = hostIPv4();
  const nodeIP = hostAddress.startsWith('127.') ? undefined : hostAddress;
  const host = opts.host ?? nodeIP ?? '0.0.0.0';
  let listeners;
  try {
    listeners = await listen(resolver, host, opts.port ?? DEFAULT_DNS_PORT, log).catch((e: unknown) => {
      if (!opts.portFallback || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      log.warn('dns port taken; listening on a free port', { port: opts.port ?? DEFAULT_DNS_PORT });
      return listen(resolver, host, 0, log);
    });
  } catch (e: unknown) {
    await informers.shutdown();
    throw e;
  }
  const port = listeners.port;

  let publishTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  let serviceIP: string | undefined;
  const publishAddress = host === '0.0.0.0' || host === '::' ? nodeIP : host;
  /** kubeadm's address for kube-dns, known before (and even without) a successful publish. */
  const plannedServiceIP = (): string | undefined => {
    const kubernetes = services.lister.get('default/kubernetes') as (KubeObject & { spec?: { clusterIP?: string } }) | undefined;
    return opts.serviceIP ?? dnsServiceIP(kubernetes?.spec?.clusterIP ?? '');
  };
  const publish = async (): Promise<void> => {
    if (stopped || !publishAddress) return;
    const clusterIP = plannedServiceIP();
    try {
      serviceIP = (await ensureKubeDnsService(client, { clusterIP, address: publishAddress, port })) ?? serviceIP;
    } catch (e: unknown) {
      log.warn('kube-dns service not updated; will retry', { error: e instanceof Error ? e.message : String(e) });
    }
  };
  if (opts.publishService !== false) {
    if (!publishAddress) log.warn('no node IP (only loopback): kube-dns is not published');
    else if (publishAddress.startsWith('127.') || publishAddress === '::1') log.warn('kube-dns published at a loopback address: pods cannot reach it', { address: publishAddress });
    await publish();
    publishTimer = setInterval(() => void publish(), 30_000);
    publishTimer.unref();
  }
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (publishTimer) clearInterval(publishTimer);
    clearTimeout(rebuildTimer);
    await listeners.close();
    await informers.shutdown();
    log.info('stopped');
  };
  opts.signal?.addEventListener('abort', () => void stop(), { once: true });
  log.info('serving', { host, port, domain, upstream: forwarder.servers });
  return { host, port, serviceIP: () => serviceIP ?? plannedServiceIP(), table: () => resolver.table, stop };
}
