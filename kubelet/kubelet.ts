// startKubelet: wires node registration, the pod informer, the PLEG cache, pod workers, probes and the kubelet's HTTPS server.
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, EventRecorder, Informer, isNotFound, Resources, SharedInformerFactory, type KubeObject } from '../controllers/runtime/index.ts';
import { CriClient } from './cri/client.ts';
import { BackoffTracker } from './backoff.ts';
import type { KubeletContext } from './context.ts';
import { ContainerConfigError, type ConfigSource } from './env.ts';
import type { ServiceLike } from './service-env.ts';
import { NodeAgent, KUBELET_VERSION } from './node-status.ts';
import { hostResolvConf } from './pod-config.ts';
import { fieldPathOf } from './pod-actions.ts';
import { PodWorker } from './pod-worker.ts';
import { Limiter } from './limiter.ts';
import { ProbeManager } from './probes.ts';
import { RuntimeCache } from './runtime-cache.ts';
import { startKubeletServer } from './server.ts';
import type { Pod } from './types.ts';
import type { VolumeSource } from './volumes.ts';
import { readNodeEnv } from '../scripts/node/node-runtime.ts';
import { ensurePodNetwork } from './pod-cidr.ts';
import type { Logger } from '../server/log.ts';

export interface KubeletOptions {
  /** Path of the kubeconfig the kubelet talks to the API server with. */
  kubeconfig: string;
  log: Logger;
  signal?: AbortSignal;
  nodeName?: string;
  /** CRI socket; default from DATA_DIR/node.env. */
  containerdSocket?: string;
  /** The node runtime's DATA_DIR (scripts/node/setup.sh): logs, volumes and node.env live there. */
  dataDir: string;
  /** Declared at registration; without it (and none in node.env) the Node's podCIDR from node IPAM configures the CNI network. */
  podCIDR?: string;
  clusterDNS?: string;
  clusterDomain?: string;
  /** Port of the kubelet's HTTPS server (default 0: any free port, published in the Node status). */
  port?: number;
  /** Address the kubelet's server listens on and publishes as InternalIP (default: the host's first IPv4). */
  nodeIP?: string;
  /** Taints the Node is registered with, e.g. to keep other workloads off a test node. */
  registerWithTaints?: Array<{ key: string; value?: string; effect: string }>;
  /** PLEG relist period (default 1 s). */
  relistMs?: number;
  /**
   * RunPodSandbox calls at once (default: twice the host's CPU count; 0: no cap). Sandboxes (network set-up, pause
   * container) are mostly CPU-bound: a burst of pods started all at once finishes each later (scripts/bench/pods.ts).
   */
  parallelSandboxStarts?: number;
}

const STATUS_PERIOD_MS = 10_000;
const LEASE_PERIOD_MS = 10_000;

/** An ApiClient-backed reader of ConfigMaps, Secrets and claims for env and volumes. */
function apiSource(client: ApiClient): ConfigSource & VolumeSource {
  const get = async (path: string): Promise<KubeObject | undefined> => {
    try {
      return await client.request('GET', path);
    } catch (e: unknown) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };
  const ns = (n: string): string => `/api/v1/namespaces/${encodeURIComponent(n)}`;
  const cm = (n: string, name: string): Promise<KubeObject | undefined> => get(`${ns(n)}/configmaps/${encodeURIComponent(name)}`);
  const sec = (n: string, name: string): Promise<KubeObject | undefined> => get(`${ns(n)}/secrets/${encodeURIComponent(name)}`);
  const decode = (data: unknown): Record<string, Buffer> => Object.fromEntries(Object.entries((data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64')]));
  return {
    async configMap(n, name) {
      const o = await cm(n, name);
      return o ? { ...((o.data ?? {}) as Record<string, string>) } : undefined;
    },
    async secret(n, name) {
      const o = await sec(n, name);
      return o ? Object.fromEntries(Object.entries(decode(o.data)).map(([k, v]) => [k, v.toString('utf8')])) : undefined;
    },
    async configMapFiles(n, name) {
      const o = await cm(n, name);
      if (!o) return undefined;
      const out: Record<string, Buffer> = decode(o.binaryData);
      for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, string>)) out[k] = Buffer.from(v);
      return out;
    },
    async secretFiles(n, name) {
      const o = await sec(n, name);
      return o ? decode(o.data) : undefined;
    },
    async serviceAccountToken(pod, { expirationSeconds, audience }) {
      const sa = (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || 'default';
      const body = {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          audiences: audience ? [audience] : [],
          expirationSeconds,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      };
      const answer = await client.request<{ status?: { token?: string } }>('POST', `${ns(pod.metadata.namespace ?? 'default')}/serviceaccounts/${encodeURIComponent(sa)}/token`, { body });
      if (!answer.status?.token) throw new Error('TokenRequest answered without a token');
      return answer.status.token;
    },
    async claimPath(n, claim) {
      const pvc = await get(`${ns(n)}/persistentvolumeclaims/${encodeURIComponent(claim)}`);
      const pvName = (pvc?.spec as { volumeName?: string } | undefined)?.volumeName;
      if (!pvName) return undefined;
      const pv = await get(`/api/v1/persistentvolumes/${encodeURIComponent(pvName)}`);
      const spec = pv?.spec as { hostPath?: { path: string }; local?: { path: string } } | undefined;
      return spec?.hostPath?.path ?? spec?.local?.path;
    },
  };
}

/** The cached Services; waits (up to 10 s) for their first list, then fails as upstream does. */
async function serviceList(services: Informer<ServiceLike & KubeObject>): Promise<readonly ServiceLike[]> {
  if (!services.hasSynced()) {
    const timeout = AbortSignal.timeout(10_000);
    if (!(await services.waitForSync(timeout))) throw new ContainerConfigError('services have not yet been read at least once, cannot construct envvars');
  }
  return services.lister.list();
}

export interface RunningKubelet {
  nodeName: string;
  /** Port of the kubelet's HTTPS server. */
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts a kubelet: registers the Node, then runs every pod bound to it on the CRI runtime. Resolves once
 * the Node is registered and the first relist of the runtime is done (so running containers are adopted,
 * never duplicated). `stop()` (or aborting `signal`) stops the loops and leaves containers running, as
 * upstream's kubelet does.
 * @throws Error when the node runtime's node.env is missing and no socket was given, or the API is unreachable.
 */
export async function startKubelet(opts: KubeletOptions): Promise<RunningKubelet> {
  const log = opts.log;
  const nodeName = (opts.nodeName ?? os.hostname()).toLowerCase();
  const env = await readNodeEnv(opts.dataDir).catch(() => undefined);
  const socket = opts.containerdSocket ?? env?.containerdSocket;
  if (!socket) throw new Error(`no CRI socket: give --containerd-socket or run scripts/node/setup.sh ${opts.dataDir}`);
  const podCIDR = opts.podCIDR || env?.podCidr || undefined;
  const kc = new KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const client = new ApiClient(kc, { userAgent: `kubelet/${KUBELET_VERSION} (linux/${process.arch === 'x64' ? 'amd64' : process.arch}) kubernetes` });
  const cri = new CriClient(socket);
  const cache = new RuntimeCache(cri, log.child('pleg'));
  const probes = new ProbeManager(cri);
  const recorder = new EventRecorder(client, { component: 'kubelet', host: nodeName, log });

  let serverPort = 0;
  const node = new NodeAgent({ client, cri, nodeName, dataDir: opts.dataDir, log, podCIDR, kubeletPort: () => serverPort, nodeIP: opts.nodeIP, taints: opts.registerWithTaints });
  const host = node.host;
  const kubeletRoot = join(opts.dataDir, 'kubelet');
  const logRoot = join(opts.dataDir, 'pods');
  mkdirSync(kubeletRoot, { recursive: true });
  mkdirSync(logRoot, { recursive: true });

  const ctx: KubeletContext = {
    client, cri, cache, probes, backoff: new BackoffTracker(), recorder, config: { ...apiSource(client), services: () => serviceList(services) }, log, nodeName,
    hostIP: host.internalIP, kubeletRoot, logRoot, cgroupRoot: env?.cgroupRoot || 'kubepods',
    dns: { clusterDNS: opts.clusterDNS, clusterDomain: opts.clusterDomain ?? 'cluster.local', hostResolv: hostResolvConf() },
    memoryCapacityBytes: host.memoryBytes,
    sandboxStarts: new Limiter(opts.parallelSandboxStarts ?? 2 * os.cpus().length),
    allocatable: { cpuMilli: host.cpus * 1000, memoryBytes: Math.max(0, host.memoryBytes - 100 * 1024 * 1024), ephemeralStorageBytes: Math.floor(host.ephemeralStorageBytes * 0.9) },
  };

  const pods = new Informer<Pod>(client, Resources.Pod as never, { fieldSelector: `spec.nodeName=${nodeName}`, log });
  // Services of every namespace, for the service link variables of containers (as upstream's kubelet's service lister).
  const informers = new SharedInformerFactory(client, { log });
  const services = informers.informerOf(Resources.Service as never) as unknown as Informer<ServiceLike & KubeObject>;
  const server = await startKubeletServer({ ctx, pods: pods.lister, port: opts.port ?? 0, bind: opts.nodeIP ?? '0.0.0.0', kubeconfig: kc, log });
  serverPort = server.port;

  await node.register();
  // podCIDR (issue 7): the CNI network follows the Node's spec.podCIDR (from node IPAM when none was declared), in the background.
  const podNetworkStop = new AbortController();
  const podNetwork = env ? ensurePodNetwork({ client, cri, nodeName, dataDir: opts.dataDir, configured: env.podCidr || undefined, log, signal: podNetworkStop.signal }) : Promise.resolve(undefined);
  await Promise.all([node.tick(), node.renewLease()]);
  await cache.refresh();

  const workers = new Map<string, PodWorker>();
  const workerOf = (uid: string): PodWorker => {
    let w = workers.get(uid);
    if (!w) {
      const created = new PodWorker(ctx, uid);
      created.onFinished = () => {
        if (!cache.podUids().has(uid)) workers.delete(uid);
        else created.update();
      };
      workers.set(uid, created);
      w = created;
    }
    return w;
  };
  const onPod = (pod: Pod): void => {
    const uid = pod.metadata.uid;
    if (!uid) return;
    const w = workerOf(uid);
    w.pod = pod;
    w.update();
  };
  pods.addEventHandler({
    onAdd: onPod,
    onUpdate: (_old, pod) => onPod(pod),
    onDelete: (pod) => {
      const uid = pod.metadata.uid;
      if (!uid) return;
      const w = workerOf(uid);
      w.pod ??= pod;
      w.gone = true;
      w.update();
    },
  });
  const poke = (uid: string): void => {
    if (!pods.hasSynced()) return;
    const w = workers.get(uid);
    if (w) w.update();
    else {
      // A pod in the runtime that the API does not (or no longer) bind here: an orphan to clean up.
      const orphan = workerOf(uid);
      orphan.gone = true;
      orphan.update();
    }
  };
  cache.onChange = poke;
  probes.onChange = poke;
  probes.onFailure = (t, _kind, message) => {
    const w = workers.get(t.podUid);
    if (w?.pod) recorder.event({ ...w.pod, kind: 'Pod', apiVersion: 'v1' }, 'Warning', 'Unhealthy', message, fieldPathOf(w.pod, t.container));
  };
  pods.start();
  informers.start();

  const timers: NodeJS.Timeout[] = [];
  const every = (ms: number, fn: () => Promise<void> | void): void => {
    const t = setInterval(() => void fn(), ms);
    t.unref();
    timers.push(t);
  };
  const syncTimer = (async () => {
    await pods.waitForSync(opts.signal);
    for (const uid of cache.podUids()) poke(uid);
  })();
  every(STATUS_PERIOD_MS, () => node.tick());
  every(LEASE_PERIOD_MS, () => node.renewLease());
  cache.start(opts.relistMs ?? 1000);
  log.info('kubelet started', { node: nodeName, port: serverPort, cri: socket });

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const t of timers) clearInterval(t);
    podNetworkStop.abort();
    await podNetwork;
    cache.stop();
    probes.stopAll();
    await syncTimer.catch(() => undefined);
    await pods.stop();
    await informers.shutdown();
    await Promise.race([Promise.all([...workers.values()].map((w) => w.stop())), new Promise((r) => setTimeout(r, 5000).unref())]);
    await recorder.flush();
    await server.close();
    cri.close();
    client.close();
  };
  opts.signal?.addEventListener('abort', () => void stop(), { once: true });
  return { nodeName, port: serverPort, stop };
}
