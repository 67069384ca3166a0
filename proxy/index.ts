// kube-proxy: watches Services and EndpointSlices and keeps the host's iptables nat rules in step with them.
import { createHash } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, SharedInformerFactory, resourceType, type KubeObject } from '../controllers/runtime/index.ts';
import { createLogger, type Logger } from '../server/log.ts';
import { chainNames, servicePorts, type EndpointSliceLike, type ServiceLike } from './rules.ts';
import { removeRules, syncRules } from './iptables.ts';
import { enableRouteLocalnet } from './localnet.ts'; // NodePorts on 127.0.0.1 (issue 8)
import { ConntrackCleaner } from './conntrack.ts'; // stale UDP flows (issue 8)

export interface ProxyOptions {
  kubeconfig: string;
  log?: Logger;
  signal?: AbortSignal;
  /** Private chain names (several proxies on one host, tests); default: upstream's KUBE-* chains. */
  chainTag?: string;
  /** Re-program everything this often even without changes (repairs rules removed by others); default 30 s. */
  resyncMs?: number;
}

export interface RunningProxy {
  /** Resolves after the next sync that starts after this call (tests). */
  synced(): Promise<void>;
  /** Stops watching and removes every rule the proxy made. */
  stop(): Promise<void>;
}

/**
 * The chain tag of the proxy `tskube up` runs for a data dir: stable across restarts of that cluster (its stale rules
 * are replaced), distinct between clusters sharing a host (each keeps its own chains, never flushing another's).
 */
export function proxyChainTag(dataDir: string): string {
  return createHash('sha256').update(dataDir).digest('hex').slice(0, 4);
}

const ServiceType = resourceType<KubeObject>('v1', 'Service', 'services');
const SliceType = resourceType<KubeObject>('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices');

/**
 * Starts the proxy. Guarantees: after the caches sync, every change to a Service or EndpointSlice is followed by one
 * full, atomic re-program of our chains (changes coalesce; syncs never overlap); on stop (or abort of `signal`)
 * our chains and jumps are removed, also when a sync failed. Stale rules of an earlier run are replaced at start.
 * @throws Error when the kubeconfig cannot be read.
 */
export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  const log = opts.log ?? createLogger('kube-proxy');
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const client = new ApiClient(kc, { userAgent: 'kube-proxy/v1.33.0 (linux/amd64) tskube' });
  const informers = new SharedInformerFactory(client, { log });
  const services = informers.informerOf(ServiceType);
  const slices = informers.informerOf(SliceType);
  const names = chainNames(opts.chainTag);
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let waiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;
  const conntrack = new ConntrackCleaner(log); // stale UDP flows (issue 8)

  const syncOnce = async (): Promise<void> => {
    const ports = servicePorts(services.lister.list() as unknown as ServiceLike[], slices.lister.list() as unknown as EndpointSliceLike[]);
    const started = Date.now();
    await syncRules(ports, names);
    const flows = await conntrack.afterSync(ports); // stale UDP flows (issue 8): only after the rules are in place
    log.debug('synced iptables rules', { servicePorts: ports.length, staleUdpFlows: flows, ms: Date.now() - started });
  };
  const sync = (): void => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    const done = waiters;
    waiters = [];
    running = syncOnce()
      .catch((e: unknown) => {
        log.warn('sync failed; will retry', { error: e instanceof Error ? e.message : String(e) });
        setTimeout(schedule, 1000).unref();
      })
      .finally(() => {
        running = undefined;
        for (const w of done) w();
        if (again) {
          again = false;
          schedule();
        }
      });
  };
  const schedule = (): void => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      sync();
    }, 50);
  };
  const handler = { onAdd: schedule, onUpdate: schedule, onDelete: schedule };
  services.addEventHandler(handler);
  slices.addEventHandler(handler);
  informers.start();
  await informers.waitForCacheSync(opts.signal);
  // NodePorts on 127.0.0.1 (issue 8): route_localnet=1, as upstream's iptables mode; undone on stop.
  const restoreLocalnet = await enableRouteLocalnet(log);
  schedule();
  const resync = setInterval(schedule, opts.resyncMs ?? 30_000);
  resync.unref();

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    clearInterval(resync);
    if (timer) clearTimeout(timer);
    await informers.shutdown();
    await running?.catch(() => undefined);
    await removeRules(names);
    await restoreLocalnet(); // NodePorts on 127.0.0.1 (issue 8)
    for (const w of waiters.splice(0)) w();
    log.info('stopped; rules removed');
  };
  opts.signal?.addEventListener('abort', () => void stop(), { once: true });
  log.info('started', { chains: names.services });
  return {
    synced: () =>
      new Promise<void>((resolve) => {
        if (stopped) return resolve();
        waiters.push(resolve);
        schedule();
      }),
    stop,
  };
}
