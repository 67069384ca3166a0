// Simulated nodes for scale tests (like upstream's kubemark hollow nodes): Node + Lease heartbeats, pods "run" without containers.
import { randomUUID } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import {
  ApiClient, Informer, Resources, controller, isAlreadyExists, isConflict, isNotFound, splitKey, type KubeObject,
} from '../../controllers/runtime/index.ts';
import type { Logger } from '../../server/log.ts';

/** Every simulated node carries this label (value "true"), so they can be told apart, listed and removed at once. */
export const SIMULATED_LABEL = 'tskube.io/simulated';
const LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_DURATION_SECONDS = 40;
const KUBELET_VERSION = 'v1.33.0';

export interface SimulatedNodesOptions {
  /** The identity the simulated nodes act as (the admin's today; one per node later). */
  kubeconfig: string;
  log: Logger;
  signal?: AbortSignal;
  /** How many nodes: named `<prefix>-0` … `<prefix>-(count-1)`. */
  count: number;
  /** Default "sim". */
  prefix?: string;
  /** Lease renewal period (upstream kubelet: 10 s). */
  leaseRenewMs?: number;
  /** How often the Ready condition's heartbeat is refreshed (upstream kubelet: at least every 5 min). */
  statusIntervalMs?: number;
  /** Concurrent pod status writers (default 8). */
  workers?: number;
}

export interface SimulatedNodes {
  nodeNames: string[];
  /** Stops heartbeats and pod handling; leaves the Node objects (delete them with -l tskube.io/simulated=true). */
  stop(): Promise<void>;
}

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
const microNow = (): string => new Date().toISOString().replace(/Z$/, '000Z');

/** A simulated node's status: roomy enough for ~110 small pods, Ready, with a fake address in 10.250.0.0/16. */
function nodeStatus(index: number, since: string): KubeObject['status'] {
  const heartbeat = now();
  const cond = (type: string, status: string, reason: string, message: string) => ({ type, status, lastHeartbeatTime: heartbeat, lastTransitionTime: since, reason, message });
  const resources = { cpu: '8', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' };
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
    ],
    addresses: [
      { type: 'InternalIP', address: nodeIP(index) },
      { type: 'Hostname', address: `sim-${index}` },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: {
      machineID: '', systemUUID: '', bootID: '', kernelVersion: 'simulated', osImage: 'tskube simulated node',
      containerRuntimeVersion: 'simulated://0', kubeletVersion: KUBELET_VERSION, kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64',
    },
  };
}

const nodeIP = (index: number): string => `10.250.${Math.floor(index / 250) % 250}.${(index % 250) + 1}`;

/**
 * Registers `count` simulated nodes, keeps their Leases and Ready heartbeats fresh, and moves every pod bound to
 * one of them to Running/Ready (a status patch; no container runs), finishing deletions as a kubelet would.
 * Resolves once every node is registered. Never started by `tskube up`: only `tskube simulate-nodes` starts it.
 */
export async function startSimulatedNodes(opts: SimulatedNodesOptions): Promise<SimulatedNodes> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(opts.kubeconfig);
  const client = new ApiClient(kc, { userAgent: 'tskube-simulated-node' });
  const prefix = opts.prefix ?? 'sim';
  const names = Array.from({ length: opts.count }, (_, i) => `${prefix}-${i}`);
  const index = new Map(names.map((n, i) => [n, i]));
  const ctl = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, ctl.signal]) : ctl.signal;
  const log = opts.log;
  const since = now();
  const leases = new Map<string, KubeObject>();
  const nodeUids = new Map<string, string>();

  const registerNode = async (name: string, i: number): Promise<void> => {
    const labels = {
      [SIMULATED_LABEL]: 'true', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
      'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64',
    };
    let node: KubeObject;
    try {
      node = await client.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: {} } });
    } catch (e: unknown) {
      if (!isAlreadyExists(e)) throw e;
      node = await client.request('GET', `/api/v1/nodes/${name}`);
      if (node.metadata.labels?.[SIMULATED_LABEL] !== 'true') throw new Error(`node ${name} exists and is not simulated; refusing to take it over`);
    }
    nodeUids.set(name, node.metadata.uid ?? '');
    await patchNodeStatus(name, i);
    await renewLease(name);
  };

  const patchNodeStatus = async (name: string, i: number): Promise<void> => {
    await client.request('PATCH', `/api/v1/nodes/${name}/status`, { body: { status: nodeStatus(i, since) }, contentType: 'application/merge-patch+json' });
  };

  const renewLease = async (name: string): Promise<void> => {
    const path = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`;
    const cached = leases.get(name);
    if (cached) {
      const next = { ...cached, spec: { ...(cached.spec as object), renewTime: microNow() } };
      try {
        leases.set(name, await client.request('PUT', `${path}/${name}`, { body: next }));
        return;
      } catch (e: unknown) {
        leases.delete(name);
        if (!isConflict(e) && !isNotFound(e)) throw e;
      }
    }
    const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microNow() };
    try {
      const ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name, uid: nodeUids.get(name) ?? '' }];
      leases.set(name, await client.request('POST', path, { body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: LEASE_NAMESPACE, ownerReferences }, spec } }));
    } catch (e: unknown) {
      if (!isAlreadyExists(e)) throw e;
      const current = await client.request('GET', `${path}/${name}`);
      leases.set(name, await client.request('PUT', `${path}/${name}`, { body: { ...current, spec: { ...(current.spec as object), ...spec } } }));
    }
  };

  // Registration, ten at a time.
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(names.slice(i, i + 10).map((n, j) => registerNode(n, i + j)));
  }
  log.info('simulated nodes registered', { count: names.length, prefix });

  /** Runs fn for every node, spread evenly over one period, forever (until stopped); failures are logged. */
  const every = (periodMs: number, what: string, fn: (name: string, i: number) => Promise<void>): NodeJS.Timeout => {
    let next = 0;
    const tick = Math.max(10, Math.floor(periodMs / Math.max(1, names.length)));
    const timer = setInterval(() => {
      const i = next;
      next = (next + 1) % names.length;
      fn(names[i], i).catch((e: unknown) => log.warn(`simulated node ${what} failed`, { node: names[i], error: String(e) }));
    }, tick);
    timer.unref();
    return timer;
  };
  const timers = [
    every(opts.leaseRenewMs ?? 10_000, 'lease renewal', (n) => renewLease(n)),
    every(opts.statusIntervalMs ?? 60_000, 'status update', (n, i) => patchNodeStatus(n, i)),
  ];

  const pods = new Informer(client, Resources.Pod, { log });
  const running = controller('simulated-pods', pods).run(async (key) => {
    const pod = pods.lister.get(key);
    const nodeName = (pod?.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!pod || !nodeName || !index.has(nodeName)) return 'done';
    const { namespace, name } = splitKey(key);
    const path = `/api/v1/namespaces/${namespace}/pods/${name}`;
    if (pod.metadata.deletionTimestamp) {
      // The kubelet's last word: the containers are gone, so the object may go (grace 0, this very pod only).
      try {
        await client.request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } } });
      } catch (e: unknown) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
      return 'done';
    }
    const status = simulatedPodStatus(pod, nodeIP(index.get(nodeName)!));
    if (!status) return 'done';
    try {
      await client.request('PATCH', `${path}/status`, { body: { metadata: { uid: pod.metadata.uid }, status }, contentType: 'application/merge-patch+json' });
    } catch (e: unknown) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
    return 'done';
  }, { workers: opts.workers ?? 8, signal, log });
  running.catch((e: unknown) => log.error('simulated pod handling stopped', { error: String(e) }));

  return {
    nodeNames: names,
    stop: async () => {
      ctl.abort();
      timers.forEach((t) => clearInterval(t));
      await running.catch(() => undefined);
      await pods.stop();
      client.close();
    },
  };
}

let podIPs = 0;
/**
 * The status a kubelet would report for pod once every container started and passed readiness, or undefined
 * when the pod already shows that (or has finished). Containers "run" forever: phase never leaves Running.
 */
export function simulatedPodStatus(pod: KubeObject, hostIP: string): Record<string, unknown> | undefined {
  const status = (pod.status ?? {}) as { phase?: string; conditions?: { type: string; status: string }[] };
  if (status.phase === 'Succeeded' || status.phase === 'Failed') return undefined;
  const ready = status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  if (status.phase === 'Running' && ready) return undefined;
  const t = now();
  const n = podIPs++;
  const podIP = `10.251.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  const spec = pod.spec as { containers?: { name: string; image: string }[]; initContainers?: { name: string; image: string }[] } | undefined;
  const running = (c: { name: string; image: string }) => ({
    name: c.name, image: c.image, imageID: `simulated://${c.image}`, containerID: `simulated://${randomUUID().replace(/-/g, '')}`,
    ready: true, started: true, restartCount: 0, state: { running: { startedAt: t } }, lastState: {},
  });
  const terminated = (c: { name: string; image: string }) => ({
    name: c.name, image: c.image, imageID: `simulated://${c.image}`, containerID: `simulated://${randomUUID().replace(/-/g, '')}`,
    ready: true, started: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t } }, lastState: {},
  });
  const cond = (type: string) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t });
  return {
    phase: 'Running',
    conditions: [cond('PodReadyToStartContainers'), cond('Initialized'), cond('Ready'), cond('ContainersReady'), cond('PodScheduled')],
    hostIP,
    hostIPs: [{ ip: hostIP }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: t,
    containerStatuses: (spec?.containers ?? []).map(running),
    ...(spec?.initContainers?.length ? { initContainerStatuses: spec.initContainers.map(terminated) } : {}),
  };
}
