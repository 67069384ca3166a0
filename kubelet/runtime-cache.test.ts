// Tests of the PLEG cache's single-object reads: what a worker read after a relist listed survives that relist, and needs no change notification.
import { describe, expect, it } from 'vitest';
import type { CriClient } from './cri/client.ts';
import type { Container, ContainerStatus, PodSandbox, PodSandboxStatus } from './cri/types.ts';
import { RuntimeCache } from './runtime-cache.ts';
import { createLogger } from '../server/log.ts';

/** A runtime whose list answers can be held back, to interleave a relist with a worker's own reads. */
class FakeRuntime {
  sandboxes: PodSandboxStatus[] = [];
  containers: ContainerStatus[] = [];
  gate: Promise<void> = Promise.resolve();
  async listPodSandbox(): Promise<PodSandbox[]> {
    const snapshot = [...this.sandboxes];
    await this.gate;
    return snapshot;
  }
  async listContainers(): Promise<Container[]> {
    const snapshot = this.containers.map((c) => ({ id: c.id, podSandboxId: 'sb1', metadata: c.metadata, image: c.image, imageRef: c.imageRef, state: c.state, createdAt: c.createdAt, labels: c.labels, annotations: c.annotations }));
    await this.gate;
    return snapshot;
  }
  async podSandboxStatus(id: string): Promise<{ status: PodSandboxStatus | null; info: Record<string, string> }> {
    return { status: this.sandboxes.find((s) => s.id === id) ?? null, info: {} };
  }
  async containerStatus(id: string): Promise<{ status: ContainerStatus | null; info: Record<string, string> }> {
    return { status: this.containers.find((c) => c.id === id) ?? null, info: {} };
  }
}

const labels = { 'io.kubernetes.pod.uid': 'u1' };
const sandbox = (id: string): PodSandboxStatus => ({
  id, metadata: { name: 'p', uid: 'u1', namespace: 'ns', attempt: 0 }, state: 'SANDBOX_READY', createdAt: '1000000000', labels, annotations: {},
  runtimeHandler: '', network: { ip: '10.0.0.5', additionalIps: [] }, linux: null,
} as unknown as PodSandboxStatus);
const container = (id: string, state: ContainerStatus['state']): ContainerStatus => ({
  id, metadata: { name: 'c', attempt: 0 }, state, createdAt: '2000000000', startedAt: '3000000000', finishedAt: '0', exitCode: 0, image: { image: 'busybox' },
  imageRef: 'sha', reason: '', message: '', labels: { ...labels, 'io.kubernetes.container.name': 'c' }, annotations: {}, mounts: [], logPath: '/nonexistent', resources: null,
} as unknown as ContainerStatus);

describe('RuntimeCache single-object reads', () => {
  it('keeps a sandbox and a container read after a slow relist listed, and reports no change for them', async () => {
    const rt = new FakeRuntime();
    const cache = new RuntimeCache(rt as unknown as CriClient, createLogger('test'));
    const changes: string[] = [];
    cache.onChange = (uid) => changes.push(uid);
    let release!: () => void;
    rt.gate = new Promise((r) => (release = r));
    const relist = cache.refresh();
    // The worker's RunPodSandbox and StartContainer happen while the relist's listing is in flight.
    rt.sandboxes.push(sandbox('sb1'));
    rt.containers.push(container('c1', 'CONTAINER_RUNNING'));
    expect((await cache.refreshSandbox('sb1'))?.ip).toBe('10.0.0.5');
    expect((await cache.refreshContainer('c1', 'sb1'))?.state).toBe('CONTAINER_RUNNING');
    release();
    await relist;
    expect(cache.pod('u1').sandboxes.map((s) => s.id)).toEqual(['sb1']);
    expect(cache.pod('u1').containers.map((c) => [c.id, c.state, c.sandboxId])).toEqual([['c1', 'CONTAINER_RUNNING', 'sb1']]);
    // The next relist lists both in the same state: nothing to tell.
    await cache.refresh();
    expect(changes).toEqual([]);
    expect(cache.pod('u1').containers).toHaveLength(1);
  });

  it('drops what the runtime no longer has once a relist that listed after the read says so', async () => {
    const rt = new FakeRuntime();
    const cache = new RuntimeCache(rt as unknown as CriClient, createLogger('test'));
    const changes: string[] = [];
    cache.onChange = (uid) => changes.push(uid);
    rt.sandboxes.push(sandbox('sb1'));
    await cache.refreshSandbox('sb1');
    rt.sandboxes = [];
    await cache.refresh();
    expect(cache.pod('u1').sandboxes).toEqual([]);
    expect(changes).toEqual(['u1']);
  });
});
