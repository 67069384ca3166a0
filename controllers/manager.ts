// The controller manager: leader election on kube-system/kube-controller-manager, one shared informer factory, every registered controller.
import { setMaxListeners } from 'node:events';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, EventRecorder, startElected, SharedInformerFactory } from './runtime/index.ts';
import { createLogger, type Logger } from '../server/log.ts';
import { registerReplicaSet, registerReplicationController } from './replicaset/index.ts';
import { registerDeployment } from './deployment/index.ts';
import { registerGarbageCollector } from './garbagecollector/index.ts';
import { registerNamespace } from './namespace/index.ts';
import { registerServiceAccount, registerRootCACertPublisher } from './serviceaccount/index.ts';
import { registerJob, registerTTLAfterFinished } from './job/index.ts';
import { registerCronJob } from './cronjob/index.ts';
import { registerDaemonSet } from './daemonset/index.ts';
import { registerStatefulSet } from './statefulset/index.ts';
import { registerEndpoints, registerEndpointSlice } from './endpoints/index.ts';
import { registerNodeLifecycle, registerTaintEviction } from './nodelifecycle/index.ts';
import { registerPodGC } from './podgc/index.ts';
import { registerDisruption } from './disruption/index.ts';
import { registerResourceQuota } from './resourcequota/index.ts';
import { registerNodeIpam } from './nodeipam/index.ts';
import { registerPersistentVolumeBinder } from './persistentvolume/index.ts';
import { registerPvcProtection, registerPvProtection } from './volumeprotection/index.ts';

/** Settings a controller may read; each controller documents the keys it uses. */
export interface ControllerSettings {
  /** PEM of the cluster CA, published as the kube-root-ca.crt ConfigMap in every namespace. */
  caPem?: string;
  /** Extra keys for other controllers (e.g. node lifecycle timings); read them defensively. */
  [key: string]: unknown;
}

/**
 * What every controller gets when registered. Stable contract: controller files export
 * `register<Name>(ctx: ControllerContext): void`, which sets up informers/handlers and hands its
 * long-running work to `ctx.run`; it must not block. All work stops when `signal` aborts
 * (leadership lost or manager stopped) and must then settle promptly.
 */
export interface ControllerContext {
  /** The manager's API client (its kubeconfig identity). */
  readonly client: ApiClient;
  /** The shared informer factory: ask it for informers during register; it is started right after. */
  readonly informers: SharedInformerFactory;
  /** One event recorder per component name (e.g. "deployment-controller"), shared and cached. */
  recorder(component: string): EventRecorder;
  readonly log: Logger;
  readonly signal: AbortSignal;
  readonly settings: Readonly<ControllerSettings>;
  /** Tracks a controller's long-running work: the manager waits for it on stop and logs its failure. */
  run(name: string, work: Promise<unknown>): void;
}

export type RegisterFn = (ctx: ControllerContext) => void;

/**
 * The controllers this manager knows, by the names of kube-controller-manager's --controllers flag.
 * Other controller files add their entry here.
 */
export const KNOWN_CONTROLLERS: Readonly<Record<string, RegisterFn>> = {
  deployment: registerDeployment,
  replicaset: registerReplicaSet,
  replicationcontroller: registerReplicationController,
  garbagecollector: registerGarbageCollector,
  namespace: registerNamespace,
  serviceaccount: registerServiceAccount,
  'root-ca-cert-publisher': registerRootCACertPublisher,
  job: registerJob,
  'ttl-after-finished': registerTTLAfterFinished,
  cronjob: registerCronJob,
  daemonset: registerDaemonSet,
  statefulset: registerStatefulSet,
  endpoint: registerEndpoints,
  endpointslice: registerEndpointSlice,
  nodelifecycle: registerNodeLifecycle,
  'taint-eviction-controller': registerTaintEviction,
  podgc: registerPodGC,
  disruption: registerDisruption,
  resourcequota: registerResourceQuota,
  nodeipam: registerNodeIpam,
  'persistentvolume-binder': registerPersistentVolumeBinder,
  'pvc-protection': registerPvcProtection,
  'pv-protection': registerPvProtection,
};

export interface ControllerManagerOptions {
  /** Path of the kubeconfig whose identity the controllers use. */
  kubeconfig: string;
  log?: Logger;
  signal?: AbortSignal;
  /** Campaign for the Lease before acting (default true); false runs the controllers at once. */
  leaderElect?: boolean;
  /** Names from {@link KNOWN_CONTROLLERS}, as upstream's --controllers: "*" all, "-name" excludes. Default all. */
  controllers?: readonly string[];
  caPem?: string;
  /** Leader election timings (upstream defaults 15 s / 10 s / 2 s). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Identity on the Lease; default `${hostname}_${uuid}` as upstream. */
  identity?: string;
  /** Extra settings passed to controllers. */
  settings?: ControllerSettings;
}

export interface ControllerManager {
  /** Stops the controllers (and releases the Lease if held); resolves when everything has stopped. */
  stop(): Promise<void>;
  /** Whether this instance currently runs the controllers. */
  isLeader(): boolean;
}

/** Resolves the --controllers list against the known names. @throws Error on an unknown name. */
export function selectControllers(wanted: readonly string[] = ['*'], known: readonly string[] = Object.keys(KNOWN_CONTROLLERS)): string[] {
  for (const w of wanted) {
    const name = w.startsWith('-') ? w.slice(1) : w;
    if (name !== '*' && !known.includes(name)) throw new Error(`"${name}" is not in the list of known controllers`);
  }
  const all = wanted.includes('*');
  return known.filter((n) => !wanted.includes(`-${n}`) && (all || wanted.includes(n)));
}

/**
 * Starts the controller manager. Guarantees: with leader election, controllers run only while this
 * instance holds the Lease (a lost Lease stops them all, and the instance campaigns again); each
 * leadership term gets a fresh informer factory so no cache outlives the term; `stop()` aborts the
 * work, waits for it, flushes events and releases the Lease.
 * @throws Error when an unknown controller is named or the kubeconfig cannot be read.
 */
export async function startControllerManager(opts: ControllerManagerOptions): Promise<ControllerManager> {
  const log = opts.log ?? createLogger('controller-manager');
  const names = selectControllers(opts.controllers);
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const client = new ApiClient(kc, { userAgent: 'kube-controller-manager/v1.33.0 (linux/amd64) tskube' });
  return startElected(
    client,
    { component: 'controller manager', lease: { namespace: 'kube-system', name: 'kube-controller-manager' }, ...opts, log, outer: opts.signal },
    (signal) => runControllers({ client, log, signal, names, settings: { ...opts.settings, caPem: opts.caPem ?? opts.settings?.caPem } }),
  );
}

/** One leadership term: builds the context, registers the controllers, runs them until `signal` aborts. */
async function runControllers(o: { client: ApiClient; log: Logger; signal: AbortSignal; names: string[]; settings: ControllerSettings }): Promise<void> {
  // Every controller, informer and queue listens on this one signal.
  setMaxListeners(0, o.signal);
  const informers = new SharedInformerFactory(o.client, { log: o.log });
  const recorders = new Map<string, EventRecorder>();
  const work: Promise<unknown>[] = [];
  const ctx: ControllerContext = {
    client: o.client,
    informers,
    log: o.log,
    signal: o.signal,
    settings: o.settings,
    recorder(component) {
      let r = recorders.get(component);
      if (!r) recorders.set(component, (r = new EventRecorder(o.client, { component, log: o.log })));
      return r;
    },
    run(name, p) {
      work.push(
        p.catch((e: unknown) => {
          if (!o.signal.aborted) o.log.error('controller failed', { controller: name, error: e instanceof Error ? e.message : String(e) });
        }),
      );
    },
  };
  for (const name of o.names) {
    try {
      KNOWN_CONTROLLERS[name]!(ctx);
      o.log.info('started controller', { controller: name });
    } catch (e: unknown) {
      o.log.error('error starting controller', { controller: name, error: e instanceof Error ? e.message : String(e) });
    }
  }
  informers.start();
  if (!o.signal.aborted) await new Promise<void>((resolve) => o.signal.addEventListener('abort', () => resolve(), { once: true }));
  await Promise.all(work);
  await informers.shutdown();
  await Promise.all([...recorders.values()].map((r) => r.flush()));
}
