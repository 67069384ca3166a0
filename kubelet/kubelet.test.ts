// startKubelet against an in-process API server and a real containerd (root only): restart adoption without duplicates.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient } from '../controllers/runtime/index.ts';
import { setupNode, teardownNode } from '../scripts/node/node-runtime.ts';
import { startApiServer, type RunningApiServer } from '../server/apiserver.ts';
import { createLogger } from '../server/log.ts';
import { CriClient } from './cri/client.ts';
import { startKubelet, type RunningKubelet } from './kubelet.ts';
import type { Pod } from './types.ts';

const isRoot = process.getuid?.() === 0;

async function until<T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.skipIf(!isRoot)('kubelet restart (skipped unless root: containerd needs it)', { timeout: 60_000 }, () => {
  const suffix = randomBytes(2).toString('hex');
  let dir = '';
  let nodeDir = '';
  let api: RunningApiServer;
  let client: ApiClient;
  let kubelet: RunningKubelet | undefined;
  const log = createLogger('kubelet-test');
  // Our own bridge, pod CIDR and cgroup root, so this node never collides with another on the host.
  const nodeOptions = { bridge: `tskk${suffix}`, podCidr: `10.${150 + (randomBytes(1)[0]! % 40)}.${randomBytes(1)[0]}.0/24`, cgroupRoot: `tskube-kt-${suffix}` };

  beforeAll(async () => {
    dir = mkdtempSync('/tmp/tskube-kubelet-');
    nodeDir = `${dir}/node`;
    await setupNode(nodeDir, nodeOptions);
    api = await startApiServer({ dataDir: `${dir}/api`, port: 0, bind: '127.0.0.1', log });
    const kc = new KubeConfig();
    kc.loadFromFile(api.access.adminKubeconfigPath);
    client = new ApiClient(kc);
  }, 600_000);

  afterAll(async () => {
    await kubelet?.stop();
    client?.close();
    await api?.close();
    if (nodeDir) await teardownNode(nodeDir, { purge: true }).catch((e: unknown) => console.error(e));
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('adopts the running container after a restart: same container id, no duplicate, restartCount 0', async () => {
    const start = (): Promise<RunningKubelet> => startKubelet({ kubeconfig: api.access.adminKubeconfigPath, log, dataDir: nodeDir, nodeName: `node-${suffix}` });
    kubelet = await start();
    await client.request('POST', '/api/v1/namespaces/default/pods', {
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'adopt' }, spec: { nodeName: `node-${suffix}`, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'localhost/busybox:latest', command: ['sleep', '3600'] }] } },
    });
    const running = await until(async () => {
      const p = await client.request<Pod>('GET', '/api/v1/namespaces/default/pods/adopt');
      return p.status?.phase === 'Running' ? p : undefined;
    });
    const id = running.status!.containerStatuses![0]!.containerID;
    await kubelet.stop();
    kubelet = await start();
    await new Promise((r) => setTimeout(r, 3000));
    const cri = new CriClient(`${nodeDir}/containerd/containerd.sock`);
    const containers = await cri.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': running.metadata.uid! } });
    const sandboxes = await cri.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': running.metadata.uid! } });
    cri.close();
    expect(containers.map((c) => `containerd://${c.id}`)).toEqual([id]);
    expect(sandboxes).toHaveLength(1);
    const after = await client.request<Pod>('GET', '/api/v1/namespaces/default/pods/adopt');
    expect(after.status?.containerStatuses?.[0]).toMatchObject({ containerID: id, restartCount: 0, ready: true });
    await client.request('DELETE', '/api/v1/namespaces/default/pods/adopt');
    await until(async () => {
      try {
        await client.request('GET', '/api/v1/namespaces/default/pods/adopt');
        return undefined;
      } catch {
        return true;
      }
    });
  });

  it('survives a containerd crash and restart: the running container is kept and new pods still start', async () => {
    kubelet ??= await startKubelet({ kubeconfig: api.access.adminKubeconfigPath, log, dataDir: nodeDir, nodeName: `node-${suffix}` });
    const podSpec = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName: `node-${suffix}`, terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'localhost/busybox:latest', command: ['sleep', '3600'] }] } });
    const runningPod = (name: string) => until(async () => {
      const p = await client.request<Pod>('GET', `/api/v1/namespaces/default/pods/${name}`);
      return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
    }, 30_000);
    await client.request('POST', '/api/v1/namespaces/default/pods', { body: podSpec('survivor') });
    const before = await runningPod('survivor');
    const { env } = await setupNode(nodeDir, nodeOptions);
    process.kill(Number(readFileSync(env.containerdPidFile, 'utf8').trim()), 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1500));
    await setupNode(nodeDir, nodeOptions); // starts containerd again on the same state (idempotent otherwise)
    await client.request('POST', '/api/v1/namespaces/default/pods', { body: podSpec('after-crash') });
    await runningPod('after-crash');
    const after = await runningPod('survivor');
    expect(after.status?.containerStatuses?.[0]).toMatchObject({ containerID: before.status!.containerStatuses![0]!.containerID, restartCount: 0 });
    for (const name of ['survivor', 'after-crash']) await client.request('DELETE', `/api/v1/namespaces/default/pods/${name}`);
  });
});
