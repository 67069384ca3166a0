// Matching rules the plugins share: label selectors here; node selector terms, taints and tolerations from controllers/podutil/scheduling.ts.
import { selectorMatches } from '../server/registry/selector.ts';
import { podFitsNodeAffinity } from '../controllers/podutil/scheduling.ts';
import type { LabelSelector, Node, Pod } from './types.ts';

// Node selector terms, taints and tolerations: one implementation shared with the DaemonSet controller.
export { findUntoleratedTaint, nodeSelectorTermMatches, toleratesTaint } from '../controllers/podutil/scheduling.ts';

/** metav1.LabelSelectorAsSelector(sel).Matches(labels): nil matches nothing, {} matches everything. */
export function labelSelectorMatches(sel: LabelSelector | null | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return false;
  return selectorMatches(sel, labels);
}

/**
 * The pod's required node placement: spec.nodeSelector (every pair) and, if present, the required node
 * affinity (any of its terms). This is upstream's GetRequiredNodeAffinity(pod).Match(node).
 */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  return podFitsNodeAffinity(pod.spec, node);
}
