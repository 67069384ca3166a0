// Unit tests of the metrics scrape: one scrape per node per burst, slow or failing kubelets skipped, ordering as metrics-server.
import { describe, expect, it, vi } from 'vitest';
import { nodeMetricsFor, podMetricsFor, SummaryScraper } from './handler.ts';
import type { KubeletSummary } from './convert.ts';
import type { GenericStore } from '../registry/store.ts';
import type { KubeObject } from '../registry/types.ts';

const noStore = {} as GenericStore;

function summaryOf(node: string, podNames: string[]): KubeletSummary {
  return {
    node: { nodeName: node, cpu: { time: '2024-05-01T00:00:00Z', usageNanoCores: 1000 }, memory: { workingSetBytes: 2048 } },
    pods: podNames.map((p) => ({ podRef: { name: p, namespace: 'ns', uid: `uid-${p}` }, containers: [{ name: 'c', cpu: { usageNanoCores: 5 }, memory: { workingSetBytes: 1024 } }] })),
  };
}

const nodeObj = (name: string): KubeObject => ({ metadata: { name } });
const podObj = (name: string, nodeName?: string): KubeObject => ({ metadata: { name, namespace: 'ns', uid: `uid-${name}` }, spec: nodeName ? { nodeName } : {} });

describe('SummaryScraper', () => {
  it('asks each kubelet once for a burst of requests', async () => {
    const fetch = vi.fn(async (n: string) => summaryOf(n, []));
    const s = new SummaryScraper(noStore, fetch);
    await Promise.all([s.summary('a'), s.summary('a'), s.summary('b')]);
    await s.summary('a');
    expect(fetch.mock.calls.map((c) => c[0]).sort()).toEqual(['a', 'b']);
  });

  it('gives nothing for a kubelet that fails, instead of failing the request', async () => {
    const s = new SummaryScraper(noStore, async () => { throw new Error('connection refused'); });
    await expect(s.summary('down')).resolves.toBeUndefined();
  });

  it('gives up on a kubelet that does not answer within 5 s', async () => {
    vi.useFakeTimers();
    try {
      const s = new SummaryScraper(noStore, () => new Promise<KubeletSummary>(() => {}));
      const p = s.summary('hung');
      await vi.advanceTimersByTimeAsync(5_000);
      await expect(p).resolves.toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('nodeMetricsFor and podMetricsFor', () => {
  it('list the nodes that answered, sorted by name, skipping the silent ones', async () => {
    const s = new SummaryScraper(noStore, async (n) => {
      if (n === 'sim') throw new Error('no kubelet');
      return summaryOf(n, []);
    });
    const out = await nodeMetricsFor(s, [nodeObj('zeta'), nodeObj('sim'), nodeObj('alpha')]);
    expect(out.map((m) => m.metadata.name)).toEqual(['alpha', 'zeta']);
  });

  it('scrape each pod node once and leave out unscheduled pods and pods the kubelet does not report', async () => {
    const fetch = vi.fn(async (n: string) => summaryOf(n, n === 'n1' ? ['b', 'a'] : ['c']));
    const s = new SummaryScraper(noStore, fetch);
    const out = await podMetricsFor(s, [podObj('b', 'n1'), podObj('a', 'n1'), podObj('c', 'n2'), podObj('pending'), podObj('gone', 'n2')]);
    expect(out.map((m) => m.metadata.name)).toEqual(['a', 'b', 'c']);
    expect(fetch).toHaveBeenCalledTimes(2);
    expect(out[0]).toMatchObject({ kind: 'PodMetrics', containers: [{ name: 'c', usage: { cpu: '5n', memory: '1Ki' } }] });
  });
});
