// The kubelet's wait for the Node's podCIDR: configures the CNI network once, only when it changed, and gives up loudly.
import { describe, expect, it } from 'vitest';
import { ApiError, type ApiClient, type KubeObject } from '../controllers/runtime/index.ts';
import { createLogger, setVerbosity } from '../server/log.ts';
import { ensurePodNetwork, nodePodCidr } from './pod-cidr.ts';

function fakeClient(nodes: Array<KubeObject | 'missing'>): ApiClient {
  let i = 0;
  return {
    request: async () => {
      const n = nodes[Math.min(i++, nodes.length - 1)]!;
      if (n === 'missing') throw new ApiError({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: 'nodes "n" not found' });
      return n;
    },
  } as unknown as ApiClient;
}

const node = (podCIDR?: string): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: podCIDR ? { podCIDR, podCIDRs: [podCIDR] } : {} });

function harness(nodes: Array<KubeObject | 'missing'>, configured?: string, waitMs = 1000) {
  const lines: Array<{ level: string; msg: string }> = [];
  const log = createLogger('kubelet', (line: string) => lines.push(JSON.parse(line)));
  const configured_: string[] = [];
  const runtime: string[] = [];
  const ac = new AbortController();
  const run = ensurePodNetwork({
    client: fakeClient(nodes), cri: { updateRuntimeConfig: async (c: string) => void runtime.push(c) }, nodeName: 'n', dataDir: '/x',
    configured, log, signal: ac.signal, waitMs, pollMs: 1, configure: async (_d, c) => void configured_.push(c),
  });
  return { run, lines, configured: configured_, runtime, ac };
}

describe('the pod network from the Node\'s podCIDR', () => {
  setVerbosity(1);
  it('reads podCIDRs first, then podCIDR', () => {
    expect(nodePodCidr({ apiVersion: 'v1', kind: 'Node', metadata: {}, spec: { podCIDR: '10.0.0.0/24', podCIDRs: ['10.1.0.0/24'] } })).toBe('10.1.0.0/24');
    expect(nodePodCidr(node('10.2.0.0/24'))).toBe('10.2.0.0/24');
    expect(nodePodCidr(undefined)).toBeUndefined();
  });

  it('waits (saying so once) until node IPAM assigns a CIDR, then writes the CNI network and tells the runtime', async () => {
    const h = harness(['missing', node(), node(), node('10.244.3.0/24')]);
    expect(await h.run).toBe('10.244.3.0/24');
    expect(h.configured).toEqual(['10.244.3.0/24']);
    expect(h.runtime).toEqual(['10.244.3.0/24']);
    expect(h.lines.filter((l) => l.msg.startsWith('waiting for the Node')).length).toBe(1);
    expect(h.lines.some((l) => l.msg === 'Updating Pod CIDR')).toBe(true);
  });

  it('leaves a network that already serves the Node\'s CIDR alone (the --pod-cidr path)', async () => {
    const h = harness([node('10.201.0.0/24')], '10.201.0.0/24');
    expect(await h.run).toBe('10.201.0.0/24');
    expect(h.configured).toEqual([]);
  });

  it('warns once when no CIDR comes within the bound, keeps looking, and stops on abort', async () => {
    const h = harness([node()], undefined, 5);
    await new Promise((r) => setTimeout(r, 100));
    h.ac.abort();
    expect(await h.run).toBeUndefined();
    expect(h.lines.filter((l) => l.level === 'warn' && l.msg.includes('no podCIDR for the Node')).length).toBe(1);
    expect(h.configured).toEqual([]);
  });
});
