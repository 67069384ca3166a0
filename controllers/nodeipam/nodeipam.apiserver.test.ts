// The node IPAM controller against the project's real API server: assign, mark used, exhaust (event), release.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { ApiClient, type KubeObject } from '../runtime/index.ts';
import { startControllerManager, type ControllerManager } from '../manager.ts';
import { startApiServer } from '../../server/apiserver.ts';
import { createLogger } from '../../server/log.ts';

const quiet = createLogger('test', () => {});

async function eventually<T>(fn: () => Promise<T | undefined>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the node IPAM controller on a real API server', () => {
  let dataDir: string;
  let server: Awaited<ReturnType<typeof startApiServer>>;
  let client: ApiClient;
  let manager: ControllerManager;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'nodeipam-it-'));
    server = await startApiServer({ dataDir, port: 0, bind: '127.0.0.1', log: quiet });
    const kc = new KubeConfig();
    kc.loadFromFile(server.access.adminKubeconfigPath);
    client = new ApiClient(kc);
    // A node that declares its own CIDR before the controller starts: marked used at start.
    await client.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'declared' }, spec: { podCIDR: '10.250.1.0/24', podCIDRs: ['10.250.1.0/24'] } } });
    manager = await startControllerManager({
      kubeconfig: server.access.adminKubeconfigPath, log: quiet, leaderElect: false, controllers: ['nodeipam'],
      settings: { clusterCIDR: '10.250.0.0/23', nodeCIDRMaskSize: 24 },
    });
  });
  afterAll(async () => {
    await manager?.stop();
    client?.close();
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cidrOf = (name: string) => async (): Promise<string | undefined> => {
    const n = await client.request<KubeObject>('GET', `/api/v1/nodes/${name}`);
    const s = n.spec as { podCIDR?: string; podCIDRs?: string[] } | undefined;
    if (s?.podCIDR) expect(s.podCIDRs).toEqual([s.podCIDR]);
    return s?.podCIDR;
  };

  it('gives a new node the free CIDR, reports exhaustion, and reuses a deleted node\'s CIDR', async () => {
    await client.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'first' } } });
    expect(await eventually(cidrOf('first'), 'a CIDR for node first')).toBe('10.250.0.0/24');

    await client.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'second' } } });
    const event = await eventually(async () => {
      const list = await client.request<{ items: KubeObject[] }>('GET', '/api/v1/namespaces/default/events');
      return list.items.find((e) => e.reason === 'CIDRNotAvailable' && (e.involvedObject as { name?: string }).name === 'second');
    }, 'a CIDRNotAvailable event');
    expect(event).toMatchObject({ type: 'Warning', message: 'Node second status is now: CIDRNotAvailable', source: { component: 'cidrAllocator' }, involvedObject: { kind: 'Node', name: 'second' } });

    await client.request('DELETE', '/api/v1/nodes/first');
    expect(await eventually(cidrOf('second'), 'a CIDR for node second after first went', 30_000)).toBe('10.250.0.0/24');
    expect(await cidrOf('declared')()).toBe('10.250.1.0/24');
  }, 60_000);
});
