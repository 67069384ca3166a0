// The pod and node shapes the scheduler reads (raw JSON as the API serves it) and the plugin status type.
import type { KubeObject } from '../controllers/runtime/index.ts';
import type { LabelSelector, LabelSelectorRequirement } from '../server/selectors/labels.ts';
import type { NodeSelectorTerm, Taint, Toleration } from '../controllers/podutil/scheduling.ts';

export type { LabelSelector, LabelSelectorRequirement, NodeSelectorTerm, Taint, Toleration };


export interface PodAffinityTerm {
  labelSelector?: LabelSelector | null;
  namespaces?: string[];
  namespaceSelector?: LabelSelector | null;
  topologyKey: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}

export interface Affinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } | null;
    preferredDuringSchedulingIgnoredDuringExecution?: Array<{ weight: number; preference: NodeSelectorTerm }>;
  };
  podAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
  };
  podAntiAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
    preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
  };
}


export interface ContainerPort {
  containerPort?: number;
  hostPort?: number;
  hostIP?: string;
  protocol?: string;
}

export interface Container {
  name?: string;
  image?: string;
  ports?: ContainerPort[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  restartPolicy?: string;
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: string;
  labelSelector?: LabelSelector | null;
  minDomains?: number;
  nodeAffinityPolicy?: string;
  nodeTaintsPolicy?: string;
  matchLabelKeys?: string[];
}

export interface PodSpec {
  nodeName?: string;
  schedulerName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Affinity;
  tolerations?: Toleration[];
  containers?: Container[];
  initContainers?: Container[];
  overhead?: Record<string, unknown>;
  priority?: number;
  priorityClassName?: string;
  preemptionPolicy?: string;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  terminationGracePeriodSeconds?: number;
}

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: { phase?: string; nominatedNodeName?: string; conditions?: PodCondition[]; startTime?: string };
}

export interface Node extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: Taint[] };
  status?: {
    allocatable?: Record<string, unknown>;
    capacity?: Record<string, unknown>;
    images?: Array<{ names?: string[]; sizeBytes?: number }>;
  };
}

export interface PriorityClass extends KubeObject {
  value?: number;
  globalDefault?: boolean;
  preemptionPolicy?: string;
}

export interface PodDisruptionBudget extends KubeObject {
  spec?: { selector?: LabelSelector | null };
  status?: { disruptionsAllowed?: number; disruptedPods?: Record<string, string> };
}

/**
 * A plugin's verdict on one node, as upstream's framework.Status: Unschedulable means preemption might
 * help, UnschedulableAndUnresolvable means it cannot; `reasons` are the texts counted in FitError.
 */
export type Code = 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status {
  code: Code;
  reasons: string[];
  plugin: string;
}

export function unschedulable(plugin: string, ...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons, plugin };
}

export function unresolvable(plugin: string, ...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons, plugin };
}

/** Upstream's framework.MaxNodeScore. */
export const MAX_NODE_SCORE = 100;

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
