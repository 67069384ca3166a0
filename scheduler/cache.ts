// The scheduler's cache: nodes with their bound and assumed pods, and the nominator (pods waiting on preempted space).
import { NodeInfo, normalizedImageName, type PodInfo, type Snapshot } from './node-info.ts';
import type { Node } from './types.ts';

interface PodState {
  info: PodInfo;
  node: string;
  assumed: boolean;
}

/**
 * Nodes and the pods on them. Guarantees: a pod is on at most one NodeInfo; an assumed pod (decided, binding in
 * flight) counts against its node until the informer confirms it (addPod) or the binding fails (forget), so
 * concurrent decisions never overcommit a node.
 */
export class SchedulerCache {
  readonly #nodes = new Map<string, NodeInfo>();
  readonly #pods = new Map<string, PodState>();
  #snapshot: Snapshot | undefined;

  addOrUpdateNode(node: Node): void {
    const name = node.metadata.name ?? '';
    const existing = this.#nodes.get(name);
    if (existing) existing.setNode(node);
    else this.#nodes.set(name, new NodeInfo(name, node));
    this.#snapshot = undefined;
  }

  removeNode(name: string): void {
    const info = this.#nodes.get(name);
    if (!info) return;
    // Pods still bound to a deleted node keep a placeholder until they go, as upstream.
    if (info.pods.size > 0) info.node = undefined;
    else this.#nodes.delete(name);
    this.#snapshot = undefined;
  }

  #nodeInfo(name: string): NodeInfo {
    let info = this.#nodes.get(name);
    if (!info) {
      info = new NodeInfo(name);
      this.#nodes.set(name, info);
    }
    return info;
  }

  /** A bound pod seen by the informer (also confirms an assumed one, possibly on another node). */
  addPod(info: PodInfo, nodeName: string): void {
    this.removePod(info.key);
    this.#nodeInfo(nodeName).addPod(info);
    this.#pods.set(info.key, { info, node: nodeName, assumed: false });
  }

  removePod(key: string): void {
    const s = this.#pods.get(key);
    if (!s) return;
    const node = this.#nodes.get(s.node);
    node?.removePod(key);
    if (node && !node.node && node.pods.size === 0) this.#nodes.delete(s.node);
    this.#pods.delete(key);
  }

  /** Counts the pod on the node before the binding is confirmed. */
  assume(info: PodInfo, nodeName: string): void {
    this.removePod(info.key);
    this.#nodeInfo(nodeName).addPod(info);
    this.#pods.set(info.key, { info, node: nodeName, assumed: true });
  }

  /** Drops an assumed pod whose binding failed; confirmed pods are left alone. */
  forget(key: string): void {
    if (this.#pods.get(key)?.assumed) this.removePod(key);
  }

  /** Whether the pod is bound or assumed (then it must not be scheduled again). */
  has(key: string): boolean {
    return this.#pods.has(key);
  }

  isAssumed(key: string): boolean {
    return this.#pods.get(key)?.assumed === true;
  }

  nodeCount(): number {
    return this.snapshot().nodes.length;
  }

  /**
   * The nodes that exist, over the live NodeInfos: valid for one synchronous scheduling cycle (callers that
   * need to change it hypothetically clone NodeInfos first).
   */
  snapshot(): Snapshot {
    if (this.#snapshot) return this.#snapshot;
    const nodes = [...this.#nodes.values()].filter((n) => n.node);
    const byName = new Map(nodes.map((n) => [n.name, n]));
    let images: Map<string, number> | undefined;
    const snap: Snapshot = {
      nodes,
      get: (name) => byName.get(name),
      imageNodes: (image) => {
        if (!images) {
          images = new Map();
          for (const n of nodes) {
            const seen = new Set<string>();
            for (const img of n.node?.status?.images ?? []) for (const name of img.names ?? []) seen.add(normalizedImageName(name));
            for (const name of seen) images.set(name, (images.get(name) ?? 0) + 1);
          }
        }
        return images.get(image) ?? 0;
      },
    };
    this.#snapshot = snap;
    return snap;
  }
}

/** Pods nominated to nodes by preemption, which later pods of lower priority must leave room for. */
export class Nominator {
  readonly #byNode = new Map<string, Map<string, PodInfo>>();
  readonly #nodeOf = new Map<string, string>();

  /** Records (or, with an empty node name, clears) the pod's nomination. */
  set(info: PodInfo, nodeName: string | undefined): void {
    this.delete(info.key);
    if (!nodeName) return;
    let m = this.#byNode.get(nodeName);
    if (!m) this.#byNode.set(nodeName, (m = new Map()));
    m.set(info.key, info);
    this.#nodeOf.set(info.key, nodeName);
  }

  delete(key: string): void {
    const node = this.#nodeOf.get(key);
    if (node === undefined) return;
    this.#nodeOf.delete(key);
    const m = this.#byNode.get(node);
    m?.delete(key);
    if (m && m.size === 0) this.#byNode.delete(node);
  }

  podsOn(nodeName: string): PodInfo[] {
    return [...(this.#byNode.get(nodeName)?.values() ?? [])];
  }

  nodeOf(key: string): string | undefined {
    return this.#nodeOf.get(key);
  }
}
