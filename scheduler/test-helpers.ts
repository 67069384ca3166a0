// Builders for scheduler unit tests: nodes, pods and NodeInfos with a few fields set.
import { NodeInfo, newPodInfo, snapshotOf, type PodInfo, type Snapshot } from './node-info.ts';
import type { Node, Pod, PodSpec, Taint } from './types.ts';

export function makeNode(name: string, o: { labels?: Record<string, string>; taints?: Taint[]; cpu?: string; memory?: string; pods?: string; unschedulable?: boolean; images?: Array<{ names: string[]; sizeBytes: number }> } = {}): Node {
  const alloc = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...o.labels } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { allocatable: alloc, capacity: alloc, images: o.images },
  };
}

export function makePod(name: string, spec: PodSpec = {}, o: { labels?: Record<string, string>; namespace?: string; cpu?: string; memory?: string; priority?: number } = {}): Pod {
  const requests: Record<string, string> = {};
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: o.namespace ?? 'default', uid: `uid-${name}`, labels: o.labels ?? {}, creationTimestamp: '2025-01-01T00:00:00Z' },
    spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests } }], priority: o.priority ?? 0, ...spec },
  };
}

export function podInfo(pod: Pod): PodInfo {
  return newPodInfo(pod);
}

/** NodeInfos with the given pods bound (pods[i] are placed on the node named by their spec.nodeName). */
export function cluster(nodes: Node[], pods: Pod[] = []): { infos: NodeInfo[]; snapshot: Snapshot } {
  const infos = nodes.map((n) => new NodeInfo(n.metadata.name!, n));
  for (const p of pods) infos.find((i) => i.name === p.spec?.nodeName)!.addPod(newPodInfo(p));
  return { infos, snapshot: snapshotOf(infos) };
}
