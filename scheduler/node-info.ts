// What the scheduler knows about pods and nodes: PodInfo (parsed once) and NodeInfo (a node with its pods and sums).
import { keyOf } from '../controllers/runtime/index.ts';
import { labelSelectorMatches as labelMatch } from './matching.ts';
import { addResources, cloneResources, emptyResources, nodeAllocatable, podRequests, type Resources } from './resources.ts';
import type { LabelSelector, Node, Pod, PodAffinityTerm, Taint } from './types.ts';

/** A pod affinity term with its namespaces resolved: `null` means every namespace. */
export interface AffinityTerm {
  namespaces: ReadonlySet<string> | null;
  selector: LabelSelector | null;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  weight: number;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

/** A pod parsed once for every plugin: requests, priority, host ports and affinity terms. */
export interface PodInfo {
  readonly pod: Pod;
  readonly key: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly priority: number;
  readonly requests: Resources;
  /** cpu/memory with upstream's defaults for containers that request nothing (used by scoring). */
  readonly nonZero: { milliCPU: number; memory: number };
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
}

function affinityTerm(pod: Pod, t: PodAffinityTerm): AffinityTerm {
  let namespaces: Set<string> | null = new Set(t.namespaces ?? []);
  const nsSel = t.namespaceSelector;
  // An empty namespaceSelector ({}) selects every namespace; other namespace selectors need namespace labels,
  // which this scheduler does not watch: they add nothing beyond the listed namespaces.
  if (nsSel && !nsSel.matchLabels && !(nsSel.matchExpressions ?? []).length) namespaces = null;
  else if (namespaces.size === 0 && !nsSel) namespaces.add(pod.metadata.namespace ?? '');
  return { namespaces, selector: t.labelSelector ?? null, topologyKey: t.topologyKey };
}

/** Resolves a pod's priority: spec.priority when the server set it, else through `resolve` (PriorityClasses). */
export type PriorityResolver = (pod: Pod) => number;

export const specPriority: PriorityResolver = (pod) => pod.spec?.priority ?? 0;

/** Parses a pod for the plugins. */
export function newPodInfo(pod: Pod, priorityOf: PriorityResolver = specPriority): PodInfo {
  const hostPorts: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      hostPorts.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  const aff = pod.spec?.affinity;
  const weighted = (list: Array<{ weight: number; podAffinityTerm: PodAffinityTerm }> | undefined): WeightedAffinityTerm[] =>
    (list ?? []).map((w) => ({ ...affinityTerm(pod, w.podAffinityTerm), weight: w.weight }));
  const nz = podRequests(pod, true);
  return {
    pod,
    key: keyOf(pod),
    namespace: pod.metadata.namespace ?? '',
    labels: pod.metadata.labels ?? {},
    priority: pod.spec?.priority ?? priorityOf(pod),
    requests: podRequests(pod),
    nonZero: { milliCPU: nz.milliCPU, memory: nz.memory },
    hostPorts,
    requiredAffinity: (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    requiredAntiAffinity: (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    preferredAffinity: weighted(aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: weighted(aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

/** Whether an affinity term selects `pod` (namespace and labels). */
export function termMatches(term: AffinityTerm, pod: PodInfo): boolean {
  if (term.namespaces && !term.namespaces.has(pod.namespace)) return false;
  if (!term.selector) return false;
  return labelMatch(term.selector, pod.labels);
}

/**
 * A node and the pods on it (bound or assumed), with the sums the filters need. Guarantees: `requested`
 * and `nonZeroRequested` always equal the sums over `pods`; `clone()` is independent of the original.
 */
export class NodeInfo {
  node: Node | undefined;
  readonly name: string;
  allocatable: Resources = emptyResources();
  taints: readonly Taint[] = [];
  readonly pods = new Map<string, PodInfo>();
  requested: Resources = emptyResources();
  nonZeroRequested = { milliCPU: 0, memory: 0 };
  /** Pods with any (anti-)affinity, and those with required anti-affinity (InterPodAffinity scans these). */
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;

  constructor(name: string, node?: Node) {
    this.name = name;
    if (node) this.setNode(node);
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
    this.taints = node.spec?.taints ?? [];
  }

  get labels(): Readonly<Record<string, string>> {
    return this.node?.metadata.labels ?? {};
  }

  addPod(pi: PodInfo): void {
    if (this.pods.has(pi.key)) this.removePod(pi.key);
    this.pods.set(pi.key, pi);
    this.#account(pi, 1);
  }

  removePod(key: string): PodInfo | undefined {
    const pi = this.pods.get(key);
    if (!pi) return undefined;
    this.pods.delete(key);
    this.#account(pi, -1);
    return pi;
  }

  #account(pi: PodInfo, sign: 1 | -1): void {
    addResources(this.requested, pi.requests, sign);
    this.nonZeroRequested.milliCPU += sign * pi.nonZero.milliCPU;
    this.nonZeroRequested.memory += sign * pi.nonZero.memory;
    if (pi.requiredAffinity.length || pi.requiredAntiAffinity.length || pi.preferredAffinity.length || pi.preferredAntiAffinity.length) this.podsWithAffinity += sign;
    if (pi.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity += sign;
  }

  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    c.allocatable = this.allocatable;
    c.taints = this.taints;
    for (const [k, v] of this.pods) c.pods.set(k, v);
    c.requested = cloneResources(this.requested);
    c.nonZeroRequested = { ...this.nonZeroRequested };
    c.podsWithAffinity = this.podsWithAffinity;
    c.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity;
    return c;
  }

  /** Host ports in use on the node. */
  *usedPorts(): Generator<HostPort> {
    for (const pi of this.pods.values()) yield* pi.hostPorts;
  }
}

/** A read-only view of the cluster for one scheduling cycle. */
export interface Snapshot {
  /** Nodes that exist (pods may also sit on nodes the cache has not seen yet; those are left out). */
  readonly nodes: readonly NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** How many nodes report an image (by normalized name), for ImageLocality's spread factor. */
  imageNodes(image: string): number;
}

/** A snapshot over explicit NodeInfos (tests, preemption's what-if copies). */
export function snapshotOf(nodes: readonly NodeInfo[]): Snapshot {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  return {
    nodes,
    get: (name) => byName.get(name),
    imageNodes: (image) => nodes.filter((n) => (n.node?.status?.images ?? []).some((i) => (i.names ?? []).map(normalizedImageName).includes(image))).length,
  };
}

/** Adds ":latest" to an image reference without tag or digest, as upstream's ImageLocality does. */
export function normalizedImageName(name: string): string {
  const last = name.slice(name.lastIndexOf('/') + 1);
  return last.includes(':') || last.includes('@') ? name : `${name}:latest`;
}
