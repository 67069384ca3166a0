// The node's side of the API: registration, the Lease heartbeat (kube-node-lease) and the periodic node status.
import { ApiClient, isConflict, isNotFound, isAlreadyExists, type KubeObject } from '../controllers/runtime/index.ts';
import type { CriClient } from './cri/client.ts';
import { readAvailable, readHostInfo, type HostInfo } from './host.ts';
import type { Logger } from '../server/log.ts';

export const KUBELET_VERSION = 'v1.33.0';
/** What nodeInfo reports for the runtime; the CRI Version answer replaces it when available. */
export const DEFAULT_RUNTIME_VERSION = 'containerd://1.6.20';
const LEASE_NAMESPACE = 'kube-node-lease';
const LEASE_DURATION_SECONDS = 40;
/** Upstream's hard eviction defaults: memory.available<100Mi, nodefs.available<10%. */
const EVICTION_MEMORY_BYTES = 100 * 1024 * 1024;
const EVICTION_NODEFS_FRACTION = 0.1;
const MAX_IMAGES_IN_STATUS = 50;

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastHeartbeatTime: string;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** metav1.Time: RFC 3339 with whole seconds. */
export function timeNow(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with microseconds, as leases carry. */
export function microTimeNow(ms = Date.now()): string {
  return new Date(ms).toISOString().replace(/Z$/, '000Z');
}

const ki = (bytes: number): string => `${Math.floor(bytes / 1024)}Ki`;

/** capacity and allocatable as upstream computes them with default reservations (none) and eviction thresholds. */
export function resourcesOf(host: HostInfo, maxPods = 110): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const common = { cpu: String(host.cpus), 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', pods: String(maxPods) };
  return {
    capacity: { ...common, 'ephemeral-storage': ki(host.ephemeralStorageBytes), memory: ki(host.memoryBytes) },
    allocatable: {
      ...common,
      'ephemeral-storage': String(Math.floor(host.ephemeralStorageBytes * (1 - EVICTION_NODEFS_FRACTION))),
      memory: ki(Math.max(0, host.memoryBytes - EVICTION_MEMORY_BYTES)),
    },
  };
}

interface ConditionState { status: NodeCondition['status']; reason: string; message: string }

/** The four node conditions from what the runtime and the host say (upstream's reasons and messages). */
export function nodeConditions(runtime: { ready: boolean; message: string }, avail: { memoryAvailableBytes: number; diskAvailableFraction: number }): Record<string, ConditionState> {
  const memPressure = avail.memoryAvailableBytes < EVICTION_MEMORY_BYTES;
  const diskPressure = avail.diskAvailableFraction < EVICTION_NODEFS_FRACTION;
  return {
    MemoryPressure: memPressure
      ? { status: 'True', reason: 'KubeletHasInsufficientMemory', message: 'kubelet has insufficient memory available' }
      : { status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    DiskPressure: diskPressure
      ? { status: 'True', reason: 'KubeletHasDiskPressure', message: 'kubelet has disk pressure' }
      : { status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    PIDPressure: { status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    Ready: runtime.ready
      ? { status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' }
      : { status: 'False', reason: 'KubeletNotReady', message: runtime.message },
  };
}

export interface NodeAgentOptions {
  client: ApiClient;
  cri: CriClient;
  nodeName: string;
  dataDir: string;
  log: Logger;
  podCIDR?: string;
  /** The kubelet's HTTPS port, published as daemonEndpoints.kubeletEndpoint.Port. */
  kubeletPort: () => number;
  /** Address published as InternalIP; defaults to the host's first real IPv4. */
  nodeIP?: string;
  /** Taints the Node is created with (upstream's --register-with-taints). */
  taints?: Array<{ key: string; value?: string; effect: string }>;
}

/**
 * Keeps the Node object and its Lease current. `register()` creates the Node (or adopts an existing one
 * of the same name); `tick()` posts status, `renewLease()` heartbeats; both are safe to call concurrently
 * with nothing else and never throw (failures are logged and retried on the next period).
 */
export class NodeAgent {
  readonly #o: NodeAgentOptions;
  readonly host: HostInfo;
  #node: KubeObject | undefined;
  #lease: KubeObject | undefined;
  #runtimeVersion = DEFAULT_RUNTIME_VERSION;
  #transitions = new Map<string, { status: string; at: string }>();

  constructor(o: NodeAgentOptions) {
    this.#o = o;
    this.host = readHostInfo(o.dataDir);
    if (o.nodeIP) this.host.internalIP = o.nodeIP;
  }

  get node(): KubeObject | undefined {
    return this.#node;
  }

  /** Creates the Node if absent; resolves with it. Throws only when the API cannot be reached at all. */
  async register(): Promise<KubeObject> {
    const { client, nodeName, podCIDR } = this.#o;
    try {
      const v = await this.#o.cri.version({ timeoutMs: 5000 });
      this.#runtimeVersion = `${v.runtimeName}://${v.runtimeVersion.replace(/^v/, '').replace(/[~+].*$/, '')}`;
    } catch (e: unknown) {
      this.#o.log.warn('runtime version unknown', { error: String(e) });
    }
    const arch = this.host.architecture;
    const node: KubeObject = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: nodeName,
        labels: {
          'beta.kubernetes.io/arch': arch, 'beta.kubernetes.io/os': 'linux',
          'kubernetes.io/arch': arch, 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': 'linux',
        },
        annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      },
      spec: { ...(podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {}), ...(this.#o.taints?.length ? { taints: this.#o.taints } : {}) },
    };
    try {
      this.#node = await client.request('POST', '/api/v1/nodes', { body: node });
    } catch (e: unknown) {
      if (!isAlreadyExists(e)) throw e;
      this.#node = await client.request('GET', `/api/v1/nodes/${encodeURIComponent(nodeName)}`);
    }
    return this.#node!;
  }

  /** Computes and posts the node status (merge patch of status). */
  async tick(): Promise<void> {
    try {
      this.#node = await this.#o.client.request('PATCH', `/api/v1/nodes/${encodeURIComponent(this.#o.nodeName)}/status`, {
        body: { status: await this.#status() }, contentType: 'application/merge-patch+json',
      });
    } catch (e: unknown) {
      if (isNotFound(e)) {
        // Someone deleted our Node: register again, as upstream does on its next sync.
        await this.register().catch(() => undefined);
      }
      this.#o.log.warn('node status update failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }

  async #runtimeState(): Promise<{ ready: boolean; message: string }> {
    try {
      const s = await this.#o.cri.status(false, { timeoutMs: 5000 });
      const conds = s.status?.conditions ?? [];
      const rt = conds.find((c) => c.type === 'RuntimeReady');
      const net = conds.find((c) => c.type === 'NetworkReady');
      if (!rt?.status) return { ready: false, message: `container runtime not ready: RuntimeReady=false reason:${rt?.reason ?? ''} message:${rt?.message ?? ''}` };
      if (!net?.status) return { ready: false, message: `container runtime network not ready: NetworkReady=false reason:${net?.reason ?? ''} message:${net?.message ?? ''}` };
      return { ready: true, message: '' };
    } catch {
      return { ready: false, message: 'container runtime is down' };
    }
  }

  async #images(): Promise<Array<{ names: string[]; sizeBytes: number }>> {
    try {
      const images = await this.#o.cri.listImages(undefined, { timeoutMs: 5000 });
      return images
        .map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: Number(i.size) }))
        .sort((a, b) => b.sizeBytes - a.sizeBytes)
        .slice(0, MAX_IMAGES_IN_STATUS);
    } catch {
      return [];
    }
  }

  async #status(): Promise<Record<string, unknown>> {
    const now = timeNow();
    const states = nodeConditions(await this.#runtimeState(), readAvailable(this.#o.dataDir));
    const conditions: NodeCondition[] = Object.entries(states).map(([type, s]) => {
      const prev = this.#transitions.get(type);
      const at = prev && prev.status === s.status ? prev.at : now;
      this.#transitions.set(type, { status: s.status, at });
      return { type, status: s.status, lastHeartbeatTime: now, lastTransitionTime: at, reason: s.reason, message: s.message };
    });
    const h = this.host;
    return {
      ...resourcesOf(h),
      conditions,
      addresses: [{ type: 'InternalIP', address: h.internalIP }, { type: 'Hostname', address: this.#o.nodeName }],
      daemonEndpoints: { kubeletEndpoint: { Port: this.#o.kubeletPort() } },
      nodeInfo: {
        machineID: h.machineID, systemUUID: h.systemUUID, bootID: h.bootID, kernelVersion: h.kernelVersion,
        osImage: h.osImage, containerRuntimeVersion: this.#runtimeVersion, kubeletVersion: KUBELET_VERSION,
        kubeProxyVersion: '', operatingSystem: h.operatingSystem, architecture: h.architecture,
      },
      images: await this.#images(),
    };
  }

  /** Creates or renews Lease kube-node-lease/<node> (holder = node name, 40 s). */
  async renewLease(): Promise<void> {
    const { client, nodeName } = this.#o;
    const path = `/apis/coordination.k8s.io/v1/namespaces/${LEASE_NAMESPACE}/leases`;
    try {
      if (this.#lease) {
        const lease = structuredClone(this.#lease) as KubeObject & { spec: Record<string, unknown> };
        lease.spec.renewTime = microTimeNow();
        lease.spec.holderIdentity = nodeName;
        this.#lease = await client.request('PUT', `${path}/${encodeURIComponent(nodeName)}`, { body: lease });
        return;
      }
      try {
        this.#lease = await client.request('GET', `${path}/${encodeURIComponent(nodeName)}`);
        return await this.renewLease();
      } catch (e: unknown) {
        if (!isNotFound(e)) throw e;
      }
      const owner = this.#node?.metadata.uid
        ? [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: this.#node.metadata.uid }]
        : undefined;
      this.#lease = await client.request('POST', path, {
        body: {
          apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
          metadata: { name: nodeName, namespace: LEASE_NAMESPACE, ...(owner ? { ownerReferences: owner } : {}) },
          spec: { holderIdentity: nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: microTimeNow() },
        },
      });
    } catch (e: unknown) {
      // A conflict or a vanished lease: start over from a fresh read next time.
      if (isConflict(e) || isNotFound(e) || isAlreadyExists(e)) this.#lease = undefined;
      this.#o.log.warn('lease renewal failed', { error: e instanceof Error ? e.message : String(e) });
    }
  }
}
