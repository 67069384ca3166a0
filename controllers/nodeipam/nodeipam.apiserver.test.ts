// The node IPAM controller against the project's real API server: assign, mark used, exhaust (event), release.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, KubeObject } from '../runtime/index.ts';
import { eventually, startTestControlPlane, type TestControlPlane } from '../test-control-plane.ts';

describe('the node IPAM controller on a real API server', () => {
  let plane: TestControlPlane;
  let client: ApiClient;

  beforeAll(async () => {
    plane = await startTestControlPlane('nodeipam-it');
    client = plane.client;
    // A node that declares its own CIDR before the controller starts: marked used at start.
    await client.request('POST', '/api/v1/nodes', { body: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'declared' }, spec: { podCIDR: '10.250.1.0/24', podCIDRs: ['10.250.1.0/24'] } } });
    await plane.startControllers(['nodeipam'], { clusterCIDR: '10.250.0.0/23', nodeCIDRMaskSize: 24 });
  });
  afterAll(async () => {
    await plane?.stop();
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
