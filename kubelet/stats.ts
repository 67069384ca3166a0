// The kubelet's resource usage (/stats/summary, /metrics/resource): CRI container stats and the node's /proc, sampled on a period.
import { readFileSync } from 'node:fs';
import type { CriClient } from './cri/client.ts';
import type { ContainerStats } from './cri/types.ts';
import type { RuntimeCache } from './runtime-cache.ts';

/** How often usage is sampled (upstream's cAdvisor housekeeping is 10 s too); CPU rates span one period. */
export const SAMPLE_PERIOD_MS = 10_000;

/** One reading of a cumulative CPU counter. */
export interface CpuSample {
  /** Nanoseconds since the epoch. */
  timeNs: bigint;
  usageCoreNanoSeconds: bigint;
}

/**
 * Average CPU use between two readings in nanocores (upstream's usageNanoCores), or undefined when the readings
 * cannot give one: not in time order, or the counter went back (a restarted container reusing a key).
 */
export function cpuRate(prev: CpuSample | undefined, cur: CpuSample): number | undefined {
  if (!prev || cur.timeNs <= prev.timeNs || cur.usageCoreNanoSeconds < prev.usageCoreNanoSeconds) return undefined;
  const used = cur.usageCoreNanoSeconds - prev.usageCoreNanoSeconds;
  return Number((used * 1_000_000_000n) / (cur.timeNs - prev.timeNs));
}

/** statsapi.CPUStats as upstream serializes it. */
export interface CpuStats {
  time: string;
  usageNanoCores?: number;
  usageCoreNanoSeconds?: number;
}

/** statsapi.MemoryStats as upstream serializes it. */
export interface MemoryStats {
  time: string;
  availableBytes?: number;
  usageBytes?: number;
  workingSetBytes?: number;
  rssBytes?: number;
  pageFaults?: number;
  majorPageFaults?: number;
}

export interface ContainerSummary {
  name: string;
  startTime: string;
  cpu?: CpuStats;
  memory?: MemoryStats;
}

export interface PodSummary {
  podRef: { name: string; namespace: string; uid: string };
  startTime: string;
  containers: ContainerSummary[];
  cpu?: CpuStats;
  memory?: MemoryStats;
}

/** statsapi.Summary: the subset of upstream's fields this kubelet measures. */
export interface Summary {
  node: { nodeName: string; startTime?: string; cpu?: CpuStats; memory?: MemoryStats };
  pods: PodSummary[];
}

/** The node's own counters, as read from /proc. */
export interface NodeReading {
  cpu: CpuSample;
  memory: { totalBytes: number; usageBytes: number; workingSetBytes: number; rssBytes: number; pageFaults?: number; majorPageFaults?: number };
  bootTimeMs?: number;
}

/** USER_HZ: /proc/stat counts jiffies of 10 ms on every Linux architecture the kubelet runs on. */
const NS_PER_JIFFY = 10_000_000n;

/**
 * The node's usage from /proc/stat, /proc/meminfo and /proc/vmstat texts (as cAdvisor reports the root cgroup):
 * CPU is every non-idle jiffy of the first `cpu` line; memory usage is MemTotal − MemFree, the working set that
 * minus Inactive(file). Undefined when the texts are not in /proc's format.
 */
export function parseNodeReading(stat: string, meminfo: string, vmstat: string, nowNs: bigint): NodeReading | undefined {
  const cpuLine = /^cpu\s+(.*)$/m.exec(stat);
  if (!cpuLine) return undefined;
  const f = cpuLine[1]!.trim().split(/\s+/).map((x) => BigInt(x));
  // user nice system idle iowait irq softirq steal (guest time is already counted in user)
  const busy = (f[0] ?? 0n) + (f[1] ?? 0n) + (f[2] ?? 0n) + (f[5] ?? 0n) + (f[6] ?? 0n) + (f[7] ?? 0n);
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+) kB$`, 'm').exec(meminfo);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kb('MemTotal');
  const free = kb('MemFree');
  if (total === undefined || free === undefined) return undefined;
  const usage = Math.max(0, total - free);
  const inactiveFile = kb('Inactive(file)') ?? 0;
  const vm = (key: string): number | undefined => {
    const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(vmstat);
    return m ? Number(m[1]) : undefined;
  };
  const btime = /^btime (\d+)$/m.exec(stat);
  return {
    cpu: { timeNs: nowNs, usageCoreNanoSeconds: busy * NS_PER_JIFFY },
    memory: { totalBytes: total, usageBytes: usage, workingSetBytes: Math.max(0, usage - inactiveFile), rssBytes: kb('AnonPages') ?? 0, pageFaults: vm('pgfault'), majorPageFaults: vm('pgmajfault') },
    bootTimeMs: btime ? Number(btime[1]) * 1000 : undefined,
  };
}

function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function isoOfNs(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function isoOfMs(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** A counter's two latest readings; the rate is taken between them. */
interface Track {
  prev?: CpuSample;
  cur: CpuSample;
  memory?: MemoryStats;
  seen: number;
}

function u64(v: { value: string } | null | undefined): number | undefined {
  return v ? Number(v.value) : undefined;
}

function advance(tracks: Map<string, Track>, key: string, sample: CpuSample, memory: MemoryStats | undefined, round: number): void {
  const t = tracks.get(key);
  if (!t) tracks.set(key, { cur: sample, memory, seen: round });
  else {
    if (sample.timeNs > t.cur.timeNs) {
      t.prev = t.cur;
      t.cur = sample;
    }
    t.memory = memory;
    t.seen = round;
  }
}

function cpuStats(t: Track | undefined): CpuStats | undefined {
  if (!t) return undefined;
  const out: CpuStats = { time: isoOfNs(t.cur.timeNs) };
  const rate = cpuRate(t.prev, t.cur);
  if (rate !== undefined) out.usageNanoCores = rate;
  out.usageCoreNanoSeconds = Number(t.cur.usageCoreNanoSeconds);
  return out;
}

/** One container's counters from CRI: undefined when the runtime reported no CPU counter (a stopped container). */
function containerSample(s: ContainerStats): { cpu: CpuSample; memory?: MemoryStats } | undefined {
  const cum = s.cpu?.usageCoreNanoSeconds?.value;
  if (cum === undefined) return undefined;
  const ts = s.cpu?.timestamp && s.cpu.timestamp !== '0' ? BigInt(s.cpu.timestamp) : nowNs();
  const m = s.memory;
  const memory: MemoryStats | undefined = m
    ? {
        time: isoOfNs(m.timestamp && m.timestamp !== '0' ? BigInt(m.timestamp) : ts),
        availableBytes: u64(m.availableBytes), usageBytes: u64(m.usageBytes), workingSetBytes: u64(m.workingSetBytes),
        rssBytes: u64(m.rssBytes), pageFaults: u64(m.pageFaults), majorPageFaults: u64(m.majorPageFaults),
      }
    : undefined;
  return { cpu: { timeNs: ts, usageCoreNanoSeconds: BigInt(cum) }, memory };
}

export interface StatsProviderOptions {
  cri: CriClient;
  cache: RuntimeCache;
  nodeName: string;
  /** Reads the node's counters; default /proc. */
  readNode?: () => NodeReading | undefined;
}

/**
 * Keeps a rolling pair of readings per running container and for the node, refreshed every SAMPLE_PERIOD_MS by
 * `start()` (or by `sample()`), and answers the Summary from them: usageNanoCores is the average over the last
 * period, so a container appears with a CPU rate from its second reading on. Never throws from sampling: a failing
 * runtime leaves the last readings (containers the runtime no longer lists are forgotten on the next success).
 */
export class StatsProvider {
  readonly #o: StatsProviderOptions;
  readonly #containers = new Map<string, Track>();
  /** The node's counter under the one key 'node' (same bookkeeping as a container's). */
  readonly #node = new Map<string, Track>();
  #nodeReading: NodeReading | undefined;
  #round = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(o: StatsProviderOptions) {
    this.#o = o;
  }

  /** Samples now and then every SAMPLE_PERIOD_MS until stop(); the timer never keeps the process alive. */
  start(periodMs = SAMPLE_PERIOD_MS): void {
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), periodMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Takes one reading of every running container and of the node; concurrent calls share one reading. */
  sample(): Promise<void> {
    this.#running ??= this.#sample().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sample(): Promise<void> {
    const reading = (this.#o.readNode ?? defaultNodeReading)();
    if (reading) {
      this.#nodeReading = reading;
      advance(this.#node, 'node', reading.cpu, undefined, this.#round);
    }
    let stats: ContainerStats[];
    try {
      stats = await this.#o.cri.listContainerStats(undefined, { timeoutMs: 10_000 });
    } catch {
      return;
    }
    const round = ++this.#round;
    for (const s of stats) {
      const id = s.attributes?.id;
      const sample = id ? containerSample(s) : undefined;
      if (id && sample) advance(this.#containers, id, sample.cpu, sample.memory, round);
    }
    for (const [id, t] of this.#containers) if (t.seen !== round) this.#containers.delete(id);
  }

  /** The Summary from the latest readings: running containers of ready sandboxes, grouped by pod. */
  summary(): Summary {
    const node: Summary['node'] = { nodeName: this.#o.nodeName };
    const r = this.#nodeReading;
    if (r) {
      if (r.bootTimeMs) node.startTime = isoOfMs(r.bootTimeMs);
      node.cpu = cpuStats(this.#node.get('node'));
      node.memory = {
        time: isoOfNs(r.cpu.timeNs), availableBytes: Math.max(0, r.memory.totalBytes - r.memory.workingSetBytes), usageBytes: r.memory.usageBytes,
        workingSetBytes: r.memory.workingSetBytes, rssBytes: r.memory.rssBytes, pageFaults: r.memory.pageFaults, majorPageFaults: r.memory.majorPageFaults,
      };
    }
    const pods: PodSummary[] = [];
    const cache = this.#o.cache;
    for (const uid of [...cache.podUids()].sort()) {
      const rt = cache.pod(uid);
      const sandbox = rt.sandboxes.find((s) => s.state === 'SANDBOX_READY');
      if (!sandbox) continue;
      const containers: ContainerSummary[] = [];
      for (const c of rt.containers) {
        if (c.state !== 'CONTAINER_RUNNING' || c.sandboxId !== sandbox.id) continue;
        const t = this.#containers.get(c.id);
        const cs: ContainerSummary = { name: c.name, startTime: isoOfMs(c.startedAtMs || c.createdAtMs) };
        const cpu = cpuStats(t);
        if (cpu) cs.cpu = cpu;
        if (t?.memory) cs.memory = t.memory;
        containers.push(cs);
      }
      containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const pod: PodSummary = { podRef: { name: sandbox.name, namespace: sandbox.namespace, uid }, startTime: isoOfMs(sandbox.createdAtMs), containers };
      const sum = sumPod(containers);
      if (sum.cpu) pod.cpu = sum.cpu;
      if (sum.memory) pod.memory = sum.memory;
      pods.push(pod);
    }
    return { node, pods };
  }
}

/**
 * A pod's usage as the sum of its containers' (upstream reads the pod cgroup; the sandbox's own few KiB are the
 * difference). A field is summed only when every container has it, so a pod is never under-reported.
 */
export function sumPod(containers: readonly ContainerSummary[]): { cpu?: CpuStats; memory?: MemoryStats } {
  if (containers.length === 0) return {};
  const out: { cpu?: CpuStats; memory?: MemoryStats } = {};
  const cpus = containers.map((c) => c.cpu);
  if (cpus.every((c) => c !== undefined)) {
    const latest = cpus.map((c) => c!.time).sort().at(-1)!;
    const cpu: CpuStats = { time: latest };
    if (cpus.every((c) => c!.usageNanoCores !== undefined)) cpu.usageNanoCores = cpus.reduce((a, c) => a + c!.usageNanoCores!, 0);
    if (cpus.every((c) => c!.usageCoreNanoSeconds !== undefined)) cpu.usageCoreNanoSeconds = cpus.reduce((a, c) => a + c!.usageCoreNanoSeconds!, 0);
    out.cpu = cpu;
  }
  const mems = containers.map((c) => c.memory);
  if (mems.every((m) => m !== undefined)) {
    const memory: MemoryStats = { time: mems.map((m) => m!.time).sort().at(-1)! };
    for (const k of ['usageBytes', 'workingSetBytes', 'rssBytes', 'pageFaults', 'majorPageFaults'] as const) {
      if (mems.every((m) => m![k] !== undefined)) memory[k] = mems.reduce((a, m) => a + m![k]!, 0);
    }
    out.memory = memory;
  }
  return out;
}

function defaultNodeReading(): NodeReading | undefined {
  return parseNodeReading(readProc('/proc/stat'), readProc('/proc/meminfo'), readProc('/proc/vmstat'), nowNs());
}

function promLine(name: string, labels: Record<string, string>, value: number, timeMs: number): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',');
  return `${name}${l ? `{${l}}` : ''} ${value} ${timeMs}`;
}

const PROM_HEADERS: readonly [string, string, string][] = [
  ['container_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the container in core-seconds'],
  ['container_memory_working_set_bytes', 'gauge', 'Current working set of the container in bytes'],
  ['container_start_time_seconds', 'gauge', 'Start time of the container since unix epoch in seconds'],
  ['node_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the node in core-seconds'],
  ['node_memory_working_set_bytes', 'gauge', 'Current working set of the node in bytes'],
  ['pod_cpu_usage_seconds_total', 'counter', 'Cumulative cpu time consumed by the pod in core-seconds'],
  ['pod_memory_working_set_bytes', 'gauge', 'Current working set of the pod in bytes'],
  ['resource_scrape_error', 'gauge', '1 if there was an error while getting container metrics, 0 otherwise'],
];

/**
 * The Summary as upstream's /metrics/resource (Prometheus text format 0.0.4): cumulative CPU seconds and working
 * sets for the node, pods and containers, each sample with its reading's timestamp in milliseconds.
 */
export function resourceMetricsText(s: Summary): string {
  const series = new Map<string, string[]>(PROM_HEADERS.map(([n]) => [n, []]));
  const ms = (iso: string): number => Date.parse(iso);
  const push = (name: string, line: string): void => void series.get(name)!.push(line);
  if (s.node.cpu?.usageCoreNanoSeconds !== undefined) push('node_cpu_usage_seconds_total', promLine('node_cpu_usage_seconds_total', {}, s.node.cpu.usageCoreNanoSeconds / 1e9, ms(s.node.cpu.time)));
  if (s.node.memory?.workingSetBytes !== undefined) push('node_memory_working_set_bytes', promLine('node_memory_working_set_bytes', {}, s.node.memory.workingSetBytes, ms(s.node.memory.time)));
  for (const p of s.pods) {
    const pl = { namespace: p.podRef.namespace, pod: p.podRef.name };
    for (const c of p.containers) {
      const cl = { container: c.name, ...pl };
      if (c.cpu?.usageCoreNanoSeconds !== undefined) push('container_cpu_usage_seconds_total', promLine('container_cpu_usage_seconds_total', cl, c.cpu.usageCoreNanoSeconds / 1e9, ms(c.cpu.time)));
      if (c.memory?.workingSetBytes !== undefined) push('container_memory_working_set_bytes', promLine('container_memory_working_set_bytes', cl, c.memory.workingSetBytes, ms(c.memory.time)));
      push('container_start_time_seconds', promLine('container_start_time_seconds', cl, ms(c.startTime) / 1000, ms(c.startTime)));
    }
    if (p.cpu?.usageCoreNanoSeconds !== undefined) push('pod_cpu_usage_seconds_total', promLine('pod_cpu_usage_seconds_total', pl, p.cpu.usageCoreNanoSeconds / 1e9, ms(p.cpu.time)));
    if (p.memory?.workingSetBytes !== undefined) push('pod_memory_working_set_bytes', promLine('pod_memory_working_set_bytes', pl, p.memory.workingSetBytes, ms(p.memory.time)));
  }
  push('resource_scrape_error', 'resource_scrape_error 0');
  let out = '';
  for (const [name, type, help] of PROM_HEADERS) {
    const lines = series.get(name)!;
    if (lines.length === 0) continue;
    out += `# HELP ${name} [STABLE] ${help}\n# TYPE ${name} ${type}\n${lines.join('\n')}\n`;
  }
  return out;
}
