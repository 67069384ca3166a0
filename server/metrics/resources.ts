// metrics.k8s.io/v1beta1 declarations (NodeMetrics, PodMetrics): read-only, never stored, computed per request by server/metrics/handler.ts.
import type { Column, KubeObject, ResourceDef } from '../registry/types.ts';
import { parseQuantity } from '../registry/quantity.ts';
import { formatBytesQuantity, formatNanoQuantity } from './convert.ts';

export const METRICS_GROUP = 'metrics.k8s.io';

type Usage = { cpu?: string; memory?: string };

/** A pod's usage is the sum of its containers', as metrics-server's table printer adds them up. */
function usageOf(obj: KubeObject): Usage {
  if (obj.usage && typeof obj.usage === 'object') return obj.usage as Usage;
  let cpu = 0n;
  let mem = 0n;
  for (const c of (obj.containers ?? []) as { usage?: Usage }[]) {
    cpu += parseQuantity(c.usage?.cpu ?? '0') ?? 0n;
    mem += parseQuantity(c.usage?.memory ?? '0') ?? 0n;
  }
  return { cpu: formatNanoQuantity(cpu), memory: formatBytesQuantity(Number(mem / 1_000_000_000n)) };
}

/** metrics-server's table: Name, CPU, Memory, Window. */
const COLUMNS: readonly Column[] = [
  { name: 'CPU', type: 'string', description: 'CPU consumption', priority: 0, cell: (o) => usageOf(o).cpu ?? '' },
  { name: 'Memory', type: 'string', description: 'Memory consumption', priority: 0, cell: (o) => usageOf(o).memory ?? '' },
  { name: 'Window', type: 'string', description: 'Time window', priority: 0, cell: (o) => (typeof o.window === 'string' ? o.window : '') },
];

const READ_ONLY = ['get', 'list'] as const;

// No singular names: metrics-server blanks them (its PR #1436) so that clients guess `podmetrics`/`nodemetrics`
// from the kind, which keeps `kubectl get podmetrics` working.

export const nodeMetrics: ResourceDef = {
  group: METRICS_GROUP, version: 'v1beta1', kind: 'NodeMetrics', plural: 'nodes', singular: '', namespaced: false, verbs: READ_ONLY, columns: COLUMNS,
};

export const podMetrics: ResourceDef = {
  group: METRICS_GROUP, version: 'v1beta1', kind: 'PodMetrics', plural: 'pods', singular: '', namespaced: true, verbs: READ_ONLY, columns: COLUMNS,
};

export const metricsResources: readonly ResourceDef[] = [nodeMetrics, podMetrics];
