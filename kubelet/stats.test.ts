// Unit tests of the kubelet's stats: CPU rates from two readings, /proc parsing, pod sums, the Summary and /metrics/resource.
import { describe, expect, it } from 'vitest';
import { cpuRate, parseNodeReading, resourceMetricsText, StatsProvider, sumPod, type NodeReading } from './stats.ts';
import type { CriClient } from './cri/client.ts';
import type { ContainerStats } from './cri/types.ts';
import type { CachedContainer, CachedSandbox, RuntimeCache } from './runtime-cache.ts';

const S = 1_000_000_000n;

describe('cpuRate', () => {
  it.each([
    ['half a core over 10 s', { timeNs: 0n, usageCoreNanoSeconds: 0n }, { timeNs: 10n * S, usageCoreNanoSeconds: 5n * S }, 500_000_000],
    ['two cores over 2 s', { timeNs: 5n * S, usageCoreNanoSeconds: 7n * S }, { timeNs: 7n * S, usageCoreNanoSeconds: 11n * S }, 2_000_000_000],
    ['an idle container', { timeNs: 0n, usageCoreNanoSeconds: 3n }, { timeNs: S, usageCoreNanoSeconds: 3n }, 0],
  ])('gives the average use between two readings: %s', (_name, prev, cur, want) => {
    expect(cpuRate(prev, cur)).toBe(want);
  });

  it.each([
    ['no previous reading', undefined, { timeNs: S, usageCoreNanoSeconds: 1n }],
    ['readings at the same time', { timeNs: S, usageCoreNanoSeconds: 1n }, { timeNs: S, usageCoreNanoSeconds: 2n }],
    ['a counter that went back', { timeNs: S, usageCoreNanoSeconds: 9n }, { timeNs: 2n * S, usageCoreNanoSeconds: 2n }],
  ])('gives no rate with %s', (_name, prev, cur) => {
    expect(cpuRate(prev, cur)).toBeUndefined();
  });
});

const STAT = `cpu  100 20 30 1000 5 1 2 3 0 0
cpu0 50 10 15 500 2 0 1 1 0 0
btime 1700000000
`;
const MEMINFO = `MemTotal:        1000 kB
MemFree:          200 kB
MemAvailable:     600 kB
Inactive(file):   300 kB
AnonPages:        100 kB
`;

describe('parseNodeReading', () => {
  it('counts every non-idle jiffy as 10 ms and derives usage and working set from meminfo', () => {
    const r = parseNodeReading(STAT, MEMINFO, 'pgfault 7\npgmajfault 1\n', 42n)!;
    // user+nice+system+irq+softirq+steal = 100+20+30+1+2+3 jiffies
    expect(r.cpu).toEqual({ timeNs: 42n, usageCoreNanoSeconds: 156n * 10_000_000n });
    expect(r.memory).toEqual({ totalBytes: 1000 * 1024, usageBytes: 800 * 1024, workingSetBytes: 500 * 1024, rssBytes: 100 * 1024, pageFaults: 7, majorPageFaults: 1 });
    expect(r.bootTimeMs).toBe(1_700_000_000_000);
  });

  it('gives nothing for texts that are not /proc', () => {
    expect(parseNodeReading('', MEMINFO, '', 0n)).toBeUndefined();
    expect(parseNodeReading(STAT, 'nothing', '', 0n)).toBeUndefined();
  });
});

describe('sumPod', () => {
  it('adds up the containers when each has the field', () => {
    const sum = sumPod([
      { name: 'a', startTime: 't', cpu: { time: '2024-01-01T00:00:01Z', usageNanoCores: 5, usageCoreNanoSeconds: 50 }, memory: { time: '2024-01-01T00:00:01Z', workingSetBytes: 10, usageBytes: 20 } },
      { name: 'b', startTime: 't', cpu: { time: '2024-01-01T00:00:02Z', usageNanoCores: 7, usageCoreNanoSeconds: 70 }, memory: { time: '2024-01-01T00:00:00Z', workingSetBytes: 1 } },
    ]);
    expect(sum.cpu).toEqual({ time: '2024-01-01T00:00:02Z', usageNanoCores: 12, usageCoreNanoSeconds: 120 });
    expect(sum.memory).toEqual({ time: '2024-01-01T00:00:01Z', workingSetBytes: 11 });
  });

  it('reports no rate while one container has none yet, rather than under-report the pod', () => {
    const sum = sumPod([
      { name: 'a', startTime: 't', cpu: { time: 'x', usageNanoCores: 5, usageCoreNanoSeconds: 50 } },
      { name: 'b', startTime: 't', cpu: { time: 'x', usageCoreNanoSeconds: 70 } },
    ]);
    expect(sum.cpu?.usageNanoCores).toBeUndefined();
    expect(sum.cpu?.usageCoreNanoSeconds).toBe(120);
    expect(sum.memory).toBeUndefined();
  });
});

function fakeRuntime(): { cri: CriClient; cache: RuntimeCache; setCpu(ns: bigint, cum: bigint): void } {
  let cpu = { ts: 0n, cum: 0n };
  const stats = (): ContainerStats[] => [{
    attributes: { id: 'c1', metadata: { name: 'burn', attempt: 0 }, labels: {}, annotations: {} },
    cpu: { timestamp: String(cpu.ts), usageCoreNanoSeconds: { value: String(cpu.cum) }, usageNanoCores: null },
    memory: { timestamp: String(cpu.ts), workingSetBytes: { value: '4096' }, availableBytes: null, usageBytes: { value: '8192' }, rssBytes: null, pageFaults: null, majorPageFaults: null },
    writableLayer: null,
  }];
  const sandbox = { id: 's1', podUid: 'u1', name: 'p', namespace: 'ns', attempt: 0, state: 'SANDBOX_READY', createdAtMs: 1_700_000_000_000, ip: '', labels: {} } as CachedSandbox;
  const container = { id: 'c1', sandboxId: 's1', podUid: 'u1', name: 'burn', state: 'CONTAINER_RUNNING', createdAtMs: 1_700_000_001_000, startedAtMs: 1_700_000_002_000 } as CachedContainer;
  const cri = { listContainerStats: async () => stats() } as unknown as CriClient;
  const cache = { podUids: () => new Set(['u1']), pod: () => ({ sandboxes: [sandbox], containers: [container] }) } as unknown as RuntimeCache;
  return { cri, cache, setCpu: (ts, cum) => void (cpu = { ts, cum }) };
}

describe('StatsProvider', () => {
  it('reports a container CPU rate from its second reading on, and the node from /proc readings', async () => {
    const rt = fakeRuntime();
    let nodeNs = 0n;
    const readNode = (): NodeReading => ({ cpu: { timeNs: nodeNs, usageCoreNanoSeconds: nodeNs / 4n }, memory: { totalBytes: 1000, usageBytes: 600, workingSetBytes: 400, rssBytes: 100 } });
    const p = new StatsProvider({ cri: rt.cri, cache: rt.cache, nodeName: 'n1', readNode });
    rt.setCpu(1_700_000_010n * S, 2n * S);
    nodeNs = 1_700_000_010n * S;
    await p.sample();
    let s = p.summary();
    expect(s.pods[0]!.containers[0]!.cpu?.usageNanoCores).toBeUndefined();
    expect(s.node.cpu?.usageNanoCores).toBeUndefined();

    rt.setCpu(1_700_000_020n * S, 7n * S);
    nodeNs = 1_700_000_020n * S;
    await p.sample();
    s = p.summary();
    expect(s.node).toMatchObject({ nodeName: 'n1', cpu: { time: '2023-11-14T22:13:40Z', usageNanoCores: 250_000_000 }, memory: { workingSetBytes: 400, availableBytes: 600, usageBytes: 600 } });
    expect(s.pods).toEqual([{
      podRef: { name: 'p', namespace: 'ns', uid: 'u1' },
      startTime: '2023-11-14T22:13:20Z',
      containers: [{
        name: 'burn', startTime: '2023-11-14T22:13:22Z',
        cpu: { time: '2023-11-14T22:13:40Z', usageNanoCores: 500_000_000, usageCoreNanoSeconds: 7_000_000_000 },
        memory: { time: '2023-11-14T22:13:40Z', workingSetBytes: 4096, usageBytes: 8192 },
      }],
      cpu: { time: '2023-11-14T22:13:40Z', usageNanoCores: 500_000_000, usageCoreNanoSeconds: 7_000_000_000 },
      memory: { time: '2023-11-14T22:13:40Z', workingSetBytes: 4096, usageBytes: 8192 },
    }]);
  });

  it('keeps the last readings when the runtime fails', async () => {
    const rt = fakeRuntime();
    const p = new StatsProvider({ cri: { listContainerStats: async () => { throw new Error('down'); } } as unknown as CriClient, cache: rt.cache, nodeName: 'n1', readNode: () => undefined });
    await expect(p.sample()).resolves.toBeUndefined();
    expect(p.summary().pods[0]!.containers[0]!.cpu).toBeUndefined();
  });
});

describe('resourceMetricsText', () => {
  it('prints cumulative CPU seconds and working sets with their reading times, as /metrics/resource', () => {
    const text = resourceMetricsText({
      node: { nodeName: 'n', cpu: { time: '2024-01-01T00:00:00Z', usageCoreNanoSeconds: 1_500_000_000 }, memory: { time: '2024-01-01T00:00:00Z', workingSetBytes: 2048 } },
      pods: [{ podRef: { name: 'p', namespace: 'ns', uid: 'u' }, startTime: '2024-01-01T00:00:00Z', containers: [{ name: 'c', startTime: '2024-01-01T00:00:00Z', cpu: { time: '2024-01-01T00:00:00Z', usageCoreNanoSeconds: 2_000_000_000 } }] }],
    });
    expect(text).toContain('# TYPE container_cpu_usage_seconds_total counter\ncontainer_cpu_usage_seconds_total{container="c",namespace="ns",pod="p"} 2 1704067200000\n');
    expect(text).toContain('node_cpu_usage_seconds_total 1.5 1704067200000\n');
    expect(text).toContain('node_memory_working_set_bytes 2048 1704067200000\n');
    expect(text).toContain('# HELP resource_scrape_error [STABLE] 1 if there was an error while getting container metrics, 0 otherwise\n# TYPE resource_scrape_error gauge\nresource_scrape_error 0\n');
    expect(text).not.toContain('pod_memory_working_set_bytes');
  });
});
