// Resource arithmetic as the scheduler sees it: node allocatable and pod requests (init containers, sidecars, overhead).
import { parseQuantity } from '../server/registry/quantity.ts';
import type { Container, Node, Pod } from './types.ts';

/** Amounts in upstream's units: cpu in millicores, everything else in whole units (bytes, counts). */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended and other resources (hugepages-*, example.com/gpu, …). */
  scalar: Map<string, number>;
  /** Only meaningful for node allocatable: the `pods` count. */
  allowedPodNumber: number;
}

export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map(), allowedPodNumber: 0 };
}

export function cloneResources(r: Resources): Resources {
  return { ...r, scalar: new Map(r.scalar) };
}

/** cpu rounds up to millicores (MilliValue), other resources up to whole units (Value). */
function amount(name: string, q: unknown): number {
  const nano = parseQuantity(q);
  if (nano === undefined) return 0;
  const unit = name === 'cpu' ? 1_000_000n : 1_000_000_000n;
  return Number((nano + unit - 1n) / unit);
}

/** Reads a ResourceList (requests, allocatable, overhead). */
export function fromResourceList(list: Record<string, unknown> | undefined): Resources {
  const r = emptyResources();
  for (const [name, q] of Object.entries(list ?? {})) {
    const v = amount(name, q);
    if (name === 'cpu') r.milliCPU = v;
    else if (name === 'memory') r.memory = v;
    else if (name === 'ephemeral-storage') r.ephemeralStorage = v;
    else if (name === 'pods') r.allowedPodNumber = v;
    else r.scalar.set(name, v);
  }
  return r;
}

function add(into: Resources, r: Resources): void {
  into.milliCPU += r.milliCPU;
  into.memory += r.memory;
  into.ephemeralStorage += r.ephemeralStorage;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + v);
}

function max(into: Resources, r: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of r.scalar) into.scalar.set(k, Math.max(into.scalar.get(k) ?? 0, v));
}

export function addResources(into: Resources, r: Resources, sign = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [k, v] of r.scalar) into.scalar.set(k, (into.scalar.get(k) ?? 0) + sign * v);
}

function containerRequests(c: Container, nonZero: boolean): Resources {
  const r = fromResourceList(c.resources?.requests);
  if (nonZero) {
    if (!c.resources?.requests || !('cpu' in c.resources.requests)) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!c.resources?.requests || !('memory' in c.resources.requests)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * The pod's effective requests, as upstream's resourcehelper.PodRequests: the sum of the app containers
 * plus restartable (sidecar) init containers, at least the largest one-shot init container (together with
 * the sidecars started before it), plus the pod overhead. With `nonZero`, containers without a cpu/memory
 * request count upstream's defaults (100m, 200Mi), which is what scoring uses.
 */
export function podRequests(pod: Pod, nonZero = false): Resources {
  const reqs = emptyResources();
  for (const c of pod.spec?.containers ?? []) add(reqs, containerRequests(c, nonZero));
  const sidecars = emptyResources();
  const initMax = emptyResources();
  for (const c of pod.spec?.initContainers ?? []) {
    const cr = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      add(reqs, cr);
      add(sidecars, cr);
      max(initMax, sidecars);
    } else {
      const together = cloneResources(cr);
      add(together, sidecars);
      max(initMax, together);
    }
  }
  max(reqs, initMax);
  if (pod.spec?.overhead) add(reqs, fromResourceList(pod.spec.overhead));
  return reqs;
}

/** Node allocatable (capacity when allocatable is not reported, as the kubelet would). */
export function nodeAllocatable(node: Node): Resources {
  return fromResourceList(node.status?.allocatable ?? node.status?.capacity);
}
