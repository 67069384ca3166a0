// The default profile: upstream's default filter order and score weights.
import type { Profile } from '../framework.ts';
import { ImageLocality, NodeAffinityFilter, NodeAffinityScore, NodeName, NodePorts, NodeUnschedulable, TaintTolerationFilter, TaintTolerationScore } from './node-basics.ts';
import { InterPodAffinityFilter, InterPodAffinityScore } from './inter-pod-affinity.ts';
import { BalancedAllocation, NodeResourcesFitFilter, NodeResourcesFitScore } from './resources-fit.ts';
import { PodTopologySpreadFilter, PodTopologySpreadScore } from './topology-spread.ts';

/** The filters run in upstream's order (the first rejection is the reason a node reports). */
export function defaultProfile(schedulerName = 'default-scheduler'): Profile {
  return {
    schedulerName,
    filters: [NodeUnschedulable, NodeName, TaintTolerationFilter, NodeAffinityFilter, NodePorts, NodeResourcesFitFilter, PodTopologySpreadFilter, InterPodAffinityFilter],
    scorers: [TaintTolerationScore, NodeAffinityScore, NodeResourcesFitScore, PodTopologySpreadScore, InterPodAffinityScore, BalancedAllocation, ImageLocality],
  };
}
