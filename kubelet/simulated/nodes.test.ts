// Simulated nodes against the real API server: registered and labelled, leases renewed, bound pods made Running/Ready and deletions finished.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { startApiServer, type RunningApiServer } from '../../server/apiserver.ts';
import { createLogger } from '../../server/log.ts';
import { ApiClient, isAlreadyExists, isNotFound, type KubeObject } from '../../controllers/runtime/index.ts';
import { SIMULATED_LABEL, simulatedPodStatus, startSimulatedNodes, type SimulatedNodes } from './nodes.ts';

const quiet = createLogger('test', () => {});

describe('simulated nodes', () => {
  let dir: string;
  let server: RunningApiServer;
  let client: ApiClient;
  let sim: SimulatedNodes;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tskube-sim-'));
    server = await startApiServer({ dataDir: dir, port: 0, bind: '127.0.0.1', log: quiet });
    const kc = new KubeConfig();
    kc.loadFromFile(server.access.adminKubeconfigPath);
    client = new ApiClient(kc);
    // No controller manager runs here, so make the service account that pod admission looks up.
    await client.request('POST', '/api/v1/namespaces/default/serviceaccounts', { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } } }).catch((e: unknown) => {
      if (!isAlreadyExists(e)) throw e;
    });
    sim = await startSimulatedNodes({ kubeconfig: server.access.adminKubeconfigPath, log: quiet, count: 3, leaseRenewMs: 300 });
  });
  afterAll(async () => {
    await sim?.stop();
    client?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers sim-0 … sim-2, labelled as simulated and Ready, each with a Lease it renews', async () => {
    const nodes = await client.request<{ items: KubeObject[] }>('GET', '/api/v1/nodes', { query: { labelSelector: `${SIMULATED_LABEL}=true` } });
    expect(nodes.items.map((n) => n.metadata.name).sort()).toEqual(['sim-0', 'sim-1', 'sim-2']);
    for (const n of nodes.items) {
      const ready = (n.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Ready');
      expect(ready?.status).toBe('True');
    }
    const lease = () => client.request('GET', '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/sim-1');
    const first = ((await lease()).spec as { renewTime: string; holderIdentity: string });
    expect(first.holderIdentity).toBe('sim-1');
    await vi.waitFor(async () => expect(((await lease()).spec as { renewTime: string }).renewTime).not.toBe(first.renewTime), { timeout: 5000 });
  });

  it('moves a pod bound to a simulated node to Running and Ready without running it, and finishes its deletion', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p1' }, spec: { nodeName: 'sim-1', containers: [{ name: 'c', image: 'busybox' }] } };
    await client.request('POST', '/api/v1/namespaces/default/pods', { body: pod });
    await vi.waitFor(async () => {
      const got = await client.request('GET', '/api/v1/namespaces/default/pods/p1');
      const status = got.status as { phase: string; conditions: { type: string; status: string }[]; containerStatuses: { ready: boolean }[]; hostIP: string };
      expect(status.phase).toBe('Running');
      expect(status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(status.containerStatuses[0].ready).toBe(true);
      expect(status.hostIP).toMatch(/^10\.250\./);
    }, { timeout: 10_000 });
    await client.request('DELETE', '/api/v1/namespaces/default/pods/p1');
    await vi.waitFor(async () => {
      const gone = await client.request('GET', '/api/v1/namespaces/default/pods/p1').then(() => false, (e: unknown) => isNotFound(e));
      expect(gone).toBe(true);
    }, { timeout: 10_000 });
  });

  it('leaves pods on other nodes alone', async () => {
    await client.request('POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p2' }, spec: { nodeName: 'real-node', containers: [{ name: 'c', image: 'busybox' }] } } });
    await new Promise((r) => setTimeout(r, 500));
    const got = await client.request('GET', '/api/v1/namespaces/default/pods/p2');
    expect((got.status as { phase?: string } | undefined)?.phase ?? 'Pending').toBe('Pending');
  });

  it.each([
    ['a finished pod', { status: { phase: 'Succeeded' } }],
    ['a pod already running and ready', { status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }],
  ])('reports no status change for %s', (_what, extra) => {
    expect(simulatedPodStatus({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: { containers: [] }, ...extra }, '10.250.0.1')).toBeUndefined();
  });
});
