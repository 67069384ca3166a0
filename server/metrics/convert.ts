// Pure conversion of a kubelet's /stats/summary into metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics, as metrics-server builds them.
import type { KubeObject } from '../registry/types.ts';

/** The parts of a kubelet Summary (statsapi.Summary) that metrics are made from; everything is optional on the wire. */
export interface SummaryCpu {
  time?: string;
  usageNanoCores?: number;
}
export interface SummaryMemory {
  time?: string;
  workingSetBytes?: number;
}
export interface SummaryContainer {
  name?: string;
  cpu?: SummaryCpu;
  memory?: SummaryMemory;
}
export interface SummaryPod {
  podRef?: { name?: string; namespace?: string; uid?: string };
  containers?: SummaryContainer[];
}
export interface KubeletSummary {
  node?: { nodeName?: string; cpu?: SummaryCpu; memory?: SummaryMemory };
  pods?: SummaryPod[];
}

export const METRICS_API_VERSION = 'metrics.k8s.io/v1beta1';

const DECIMAL_SUFFIXES = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'] as const;

/**
 * A non-negative count of nano-units as resource.Quantity prints a DecimalSI value scaled by 10^-9: the largest
 * suffix that keeps an integer (`250000000` → `250m`, `123456` → `123456n`, `0` → `0`).
 */
export function formatNanoQuantity(nano: number | bigint): string {
  let v = BigInt(typeof nano === 'number' ? Math.max(0, Math.round(nano)) : nano);
  if (v <= 0n) return '0';
  let i = 0;
  while (i < DECIMAL_SUFFIXES.length - 1 && v % 1000n === 0n) {
    v /= 1000n;
    i++;
  }
  return `${v}${DECIMAL_SUFFIXES[i]}`;
}

const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

/**
 * A byte count as resource.Quantity prints a BinarySI value: powers of 1024 while exact (`1048576` → `1Mi`,
 * `1234567` → `1234567`); values under 1024 fall back to DecimalSI, as upstream's canonical form does (`1000` → `1k`).
 */
export function formatBytesQuantity(bytes: number): string {
  let v = BigInt(Math.max(0, Math.round(bytes)));
  if (v === 0n) return '0';
  if (v < 1024n) return formatNanoQuantity(v * 1_000_000_000n);
  let i = 0;
  while (i < BINARY_SUFFIXES.length - 1 && v % 1024n === 0n) {
    v /= 1024n;
    i++;
  }
  return `${v}${BINARY_SUFFIXES[i]}`;
}

/** A duration in milliseconds as Go's time.Duration.String() prints it (metav1.Duration): `10s`, `1m0.5s`, `1.5s`. */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.round(Math.abs(ms));
  if (rest < 1000) return `${neg ? '-' : ''}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const sec = `${Math.floor(s)}${rest % 1000 ? `.${String(rest % 1000).padStart(3, '0').replace(/0+$/, '')}` : ''}s`;
  return `${neg ? '-' : ''}${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${sec}`;
}

function usable(cpu: SummaryCpu | undefined, mem: SummaryMemory | undefined): cpu is SummaryCpu & { usageNanoCores: number } {
  return typeof cpu?.usageNanoCores === 'number' && typeof mem?.workingSetBytes === 'number';
}

/** RFC 3339 in seconds, as metav1.Time is serialized. */
function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function timestampOf(...times: (string | undefined)[]): string {
  const latest = times.filter((t): t is string => !!t && !Number.isNaN(Date.parse(t))).sort().at(-1);
  return latest ?? rfc3339(new Date());
}

/**
 * The NodeMetrics of one node from its kubelet's Summary, or undefined when the Summary lacks the node's CPU rate
 * or working set (metrics-server skips such a node). Labels are the Node's; creationTimestamp is `now`, as
 * metrics-server stamps every answer.
 */
export function nodeMetricsOf(node: Readonly<KubeObject>, summary: KubeletSummary, windowMs: number, now: Date): KubeObject | undefined {
  const cpu = summary.node?.cpu;
  const mem = summary.node?.memory;
  if (!usable(cpu, mem)) return undefined;
  const metadata: KubeObject['metadata'] = { name: node.metadata.name, creationTimestamp: rfc3339(now) };
  if (node.metadata.labels && Object.keys(node.metadata.labels).length) metadata.labels = { ...node.metadata.labels };
  return {
    kind: 'NodeMetrics',
    apiVersion: METRICS_API_VERSION,
    metadata,
    timestamp: timestampOf(cpu.time),
    window: goDuration(windowMs),
    usage: { cpu: formatNanoQuantity(cpu.usageNanoCores), memory: formatBytesQuantity(mem!.workingSetBytes!) },
  };
}

/**
 * The PodMetrics of one pod from its node's Summary (matched by uid, else by namespace/name), or undefined when
 * the Summary has no container of it with both a CPU rate and a working set. Containers without both are left
 * out, as metrics-server does; they are listed sorted by name.
 */
export function podMetricsOf(pod: Readonly<KubeObject>, summary: KubeletSummary, windowMs: number, now: Date): KubeObject | undefined {
  const { name, namespace, uid } = pod.metadata;
  const entry = summary.pods?.find((p) => (uid && p.podRef?.uid ? p.podRef.uid === uid : p.podRef?.name === name && p.podRef?.namespace === namespace));
  if (!entry) return undefined;
  const containers: { name: string; usage: { cpu: string; memory: string } }[] = [];
  const times: (string | undefined)[] = [];
  for (const c of entry.containers ?? []) {
    if (!c.name || !usable(c.cpu, c.memory)) continue;
    containers.push({ name: c.name, usage: { cpu: formatNanoQuantity(c.cpu.usageNanoCores), memory: formatBytesQuantity(c.memory!.workingSetBytes!) } });
    times.push(c.cpu.time);
  }
  if (containers.length === 0) return undefined;
  containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const metadata: KubeObject['metadata'] = { name, namespace, creationTimestamp: rfc3339(now) };
  if (pod.metadata.labels && Object.keys(pod.metadata.labels).length) metadata.labels = { ...pod.metadata.labels };
  return { kind: 'PodMetrics', apiVersion: METRICS_API_VERSION, metadata, timestamp: timestampOf(...times), window: goDuration(windowMs), containers };
}
