// The per-node plugins: NodeUnschedulable, NodeName, NodePorts, TaintToleration, NodeAffinity, ImageLocality.
import { defaultNormalize, type FilterPlugin, type ScorePlugin } from '../framework.ts';
import { findUntoleratedTaint, nodeSelectorTermMatches, podMatchesNodeSelectorAndAffinity, toleratesTaint } from '../matching.ts';
import { normalizedImageName, type HostPort } from '../node-info.ts';
import { unresolvable, unschedulable } from '../types.ts';

export const ErrReasonUnschedulable = 'node(s) were unschedulable';
export const ErrReasonNodeName = "node(s) didn't match the requested node name";
export const ErrReasonNodePorts = "node(s) didn't have free ports for the requested pod ports";
export const ErrReasonNodeAffinity = "node(s) didn't match Pod's node affinity/selector";

/** NodeUnschedulable: a cordoned node takes only pods tolerating node.kubernetes.io/unschedulable:NoSchedule. */
export const NodeUnschedulable: FilterPlugin = {
  name: 'NodeUnschedulable',
  filter(_state, pod, node) {
    if (!node.node?.spec?.unschedulable) return undefined;
    const taint = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };
    if ((pod.pod.spec?.tolerations ?? []).some((t) => toleratesTaint(t, taint))) return undefined;
    return unresolvable('NodeUnschedulable', ErrReasonUnschedulable);
  },
};

/** NodeName: a pod naming a node fits only there. */
export const NodeName: FilterPlugin = {
  name: 'NodeName',
  filter(_state, pod, node) {
    const want = pod.pod.spec?.nodeName;
    return want && want !== node.name ? unresolvable('NodeName', ErrReasonNodeName) : undefined;
  },
};

/** Upstream's HostPortInfo conflict rule: same protocol and port, and the same IP or a wildcard on either side. */
export function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.ip === b.ip || a.ip === '0.0.0.0' || b.ip === '0.0.0.0';
}

/** NodePorts: host ports the pod wants must be free on the node. */
export const NodePorts: FilterPlugin = {
  name: 'NodePorts',
  filter(_state, pod, node) {
    if (pod.hostPorts.length === 0) return undefined;
    for (const used of node.usedPorts()) {
      if (pod.hostPorts.some((p) => portsConflict(p, used))) return unschedulable('NodePorts', ErrReasonNodePorts);
    }
    return undefined;
  },
};

/** TaintToleration: NoSchedule/NoExecute taints must be tolerated; PreferNoSchedule ones lower the score. */
export const TaintTolerationFilter: FilterPlugin = {
  name: 'TaintToleration',
  filter(_state, pod, node) {
    const taint = findUntoleratedTaint(node.taints, pod.pod.spec?.tolerations ?? [], (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
    if (!taint) return undefined;
    return unresolvable('TaintToleration', `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  },
};

export const TaintTolerationScore: ScorePlugin = {
  name: 'TaintToleration',
  weight: 3,
  score(_state, pod, node) {
    const tolerations = (pod.pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
    let intolerable = 0;
    for (const taint of node.taints) {
      if (taint.effect === 'PreferNoSchedule' && !tolerations.some((t) => toleratesTaint(t, taint))) intolerable++;
    }
    return intolerable;
  },
  normalize: (_state, _pod, scores) => defaultNormalize(scores, true),
};

/** NodeAffinity: spec.nodeSelector and required node affinity filter; preferred terms add their weights. */
export const NodeAffinityFilter: FilterPlugin = {
  name: 'NodeAffinity',
  filter(_state, pod, node) {
    if (!node.node || podMatchesNodeSelectorAndAffinity(pod.pod, node.node)) return undefined;
    return unresolvable('NodeAffinity', ErrReasonNodeAffinity);
  },
};

export const NodeAffinityScore: ScorePlugin = {
  name: 'NodeAffinity',
  weight: 2,
  preScore: (_state, pod) => (pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).length > 0,
  score(_state, pod, node) {
    let total = 0;
    for (const p of pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
      if (p.weight !== 0 && node.node && nodeSelectorTermMatches(p.preference, node.node)) total += p.weight;
    }
    return total;
  },
  normalize: (_state, _pod, scores) => defaultNormalize(scores, false),
};

const MB = 1024 * 1024;
const MIN_THRESHOLD = 23 * MB;
const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/**
 * ImageLocality: favours nodes that already have the pod's images, each image's size scaled by the share of
 * nodes that have it (so images everywhere do not dominate), mapped linearly between 23 MB and 1000 MB per container.
 */
export const ImageLocality: ScorePlugin = {
  name: 'ImageLocality',
  weight: 1,
  score(_state, pod, node, snapshot) {
    const containers = [...(pod.pod.spec?.initContainers ?? []), ...(pod.pod.spec?.containers ?? [])];
    const images = node.node?.status?.images ?? [];
    if (images.length === 0 || containers.length === 0) return 0;
    const total = snapshot.nodes.length;
    let sum = 0;
    for (const c of containers) {
      if (!c.image) continue;
      const name = normalizedImageName(c.image);
      const img = images.find((i) => (i.names ?? []).some((n) => normalizedImageName(n) === name));
      if (img) sum += Math.trunc((img.sizeBytes ?? 0) * (snapshot.imageNodes(name) / Math.max(total, 1)));
    }
    const maxThreshold = MAX_CONTAINER_THRESHOLD * containers.length;
    const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), maxThreshold);
    return Math.trunc((100 * (clamped - MIN_THRESHOLD)) / (maxThreshold - MIN_THRESHOLD));
  },
};
