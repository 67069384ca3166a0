// NodeResourcesFit (filter and LeastAllocated score) and NodeResourcesBalancedAllocation.
import type { FilterPlugin, ScorePlugin } from '../framework.ts';
import type { NodeInfo, PodInfo } from '../node-info.ts';
import { unschedulable } from '../types.ts';

export const ErrReasonTooManyPods = 'Too many pods';

/** The reasons a pod's requests do not fit on a node (empty when it fits), in upstream's order. */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  const alloc = node.allocatable;
  if (node.pods.size + 1 > alloc.allowedPodNumber) reasons.push(ErrReasonTooManyPods);
  const req = pod.requests;
  const scalarRequested = [...req.scalar.values()].some((v) => v > 0);
  if (req.milliCPU === 0 && req.memory === 0 && req.ephemeralStorage === 0 && !scalarRequested) return reasons;
  const used = node.requested;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU) reasons.push('Insufficient cpu');
  if (req.memory > 0 && req.memory > alloc.memory - used.memory) reasons.push('Insufficient memory');
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) reasons.push('Insufficient ephemeral-storage');
  for (const [name, v] of req.scalar) {
    if (v === 0) continue;
    if (v > (alloc.scalar.get(name) ?? 0) - (used.scalar.get(name) ?? 0)) reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

export const NodeResourcesFitFilter: FilterPlugin = {
  name: 'NodeResourcesFit',
  filter(_state, pod, node) {
    const reasons = insufficientResources(pod, node);
    return reasons.length ? unschedulable('NodeResourcesFit', ...reasons) : undefined;
  },
};

/** (requested, allocatable) of cpu and memory; scoring counts upstream's defaults for containers without requests. */
function cpuMemory(pod: PodInfo, node: NodeInfo, useRequested: boolean): Array<[number, number]> {
  const base = useRequested ? node.requested : node.nonZeroRequested;
  const podReq = useRequested ? pod.requests : pod.nonZero;
  return [
    [base.milliCPU + podReq.milliCPU, node.allocatable.milliCPU],
    [base.memory + podReq.memory, node.allocatable.memory],
  ];
}

/** Upstream's leastRequestedScore: the free share after placing the pod, 0..100, integer arithmetic. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * 100) / capacity);
}

/** NodeResourcesFit's score with the default LeastAllocated strategy (cpu and memory, weight 1 each). */
export const NodeResourcesFitScore: ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  score(_state, pod, node) {
    let total = 0;
    let weights = 0;
    for (const [req, alloc] of cpuMemory(pod, node, false)) {
      if (alloc === 0) continue;
      total += leastRequestedScore(req, alloc);
      weights++;
    }
    return weights === 0 ? 0 : Math.trunc(total / weights);
  },
};

/** How evenly cpu and memory would be used: (1 - standard deviation of the used fractions) × 100. */
export function balancedScore(pairs: ReadonlyArray<readonly [number, number]>): number {
  const fractions: number[] = [];
  for (const [req, alloc] of pairs) {
    if (alloc === 0) continue;
    fractions.push(Math.min(req / alloc, 1));
  }
  let std = 0;
  if (fractions.length === 2) {
    std = Math.abs((fractions[0] - fractions[1]) / 2);
  } else if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) ** 2, 0) / fractions.length);
  }
  return Math.trunc((1 - std) * 100);
}

/** NodeResourcesBalancedAllocation; skipped for pods requesting nothing, as upstream since 1.33. */
export const BalancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  preScore: (_state, pod) => pod.requests.milliCPU > 0 || pod.requests.memory > 0,
  score: (_state, pod, node) => balancedScore(cpuMemory(pod, node, true)),
};
