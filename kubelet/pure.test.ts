// Unit tests of the kubelet's pure parts: back-off, CRI log parsing, pod config translation, env and status computation.
import { describe, expect, it } from 'vitest';
import { BackoffTracker, goDuration } from './backoff.ts';
import { parseCriLog, renderLine } from './logs.ts';
import { cgroupParentOf, dnsConfigOf, expandVars, linuxResourcesOf, qosClassOf } from './pod-config.ts';
import { containerEnv, type ConfigSource } from './env.ts';
import { computePodStatus, type WorkerView } from './pod-status.ts';
import type { CachedContainer, PodRuntime } from './runtime-cache.ts';
import type { Pod } from './types.ts';

const basePod = (spec: Partial<Pod['spec']> = {}): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'x' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

describe('BackoffTracker', () => {
  it('restarts at once after the first failure, then backs off 10 s doubling to 5 minutes', () => {
    let now = 0;
    const b = new BackoffTracker({ now: () => now });
    expect(b.inBackoffSince('k', now)).toBe(false);
    b.next('k');
    expect(b.get('k')).toBe(10_000);
    now = 1000;
    expect(b.inBackoffSince('k', 500)).toBe(true);
    now = 10_600;
    expect(b.inBackoffSince('k', 500)).toBe(false);
    const seen = [];
    for (let i = 0; i < 7; i++) {
      b.next('k');
      seen.push(b.get('k'));
    }
    expect(seen).toEqual([20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  });

  it.each([[10_000, '10s'], [80_000, '1m20s'], [300_000, '5m0s']])('formats %i ms as Go does: %s', (ms, text) => {
    expect(goDuration(ms)).toBe(text);
  });
});

describe('CRI log parsing', () => {
  it('joins partial records, keeps streams and renders timestamps on request', () => {
    const text = '2026-01-01T00:00:00.000000001Z stdout P hel\n2026-01-01T00:00:00.5Z stdout F lo\n2026-01-01T00:00:01Z stderr F oops\n2026-01-01T00:00:02Z stdout F incompl';
    const { lines, rest } = parseCriLog(text);
    expect(lines.map((l) => [l.stream, l.text])).toEqual([['stdout', 'hello\n'], ['stderr', 'oops\n']]);
    expect(rest).toBe('2026-01-01T00:00:02Z stdout F incompl');
    expect(renderLine(lines[0]!, true)).toBe('2026-01-01T00:00:00.000000001Z hello\n');
  });
});

describe('pod config', () => {
  it.each([
    [{}, 'BestEffort'],
    [{ requests: { cpu: '100m' } }, 'Burstable'],
    [{ limits: { cpu: '1', memory: '64Mi' } }, 'Guaranteed'],
    [{ requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '1', memory: '64Mi' } }, 'Burstable'],
  ])('classifies resources %j as %s', (resources, qos) => {
    expect(qosClassOf(basePod({ containers: [{ name: 'c', resources }] }))).toBe(qos);
  });

  it('puts Guaranteed pods directly under the cgroup root and others under their QoS class', () => {
    expect(cgroupParentOf(basePod(), 'kubepods')).toBe('/kubepods/besteffort/podu1');
    expect(cgroupParentOf(basePod({ containers: [{ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }), 'kubepods')).toBe('/kubepods/podu1');
  });

  it('turns requests and limits into cpu shares, CFS quota, memory limit and OOM score', () => {
    const pod = basePod({ containers: [{ name: 'c', resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '500m', memory: '2Gi' } } }] });
    expect(linuxResourcesOf(pod, pod.spec.containers[0]!, 4 * 2 ** 30)).toEqual({ cpuShares: 256, cpuPeriod: 100_000, cpuQuota: 50_000, memoryLimitInBytes: 2 * 2 ** 30, oomScoreAdj: 750 });
  });

  it('builds ClusterFirst DNS with the namespace search path, and falls back to the host without a cluster DNS', () => {
    const host = { servers: ['10.0.0.53'], searches: ['example.com'], options: [] };
    expect(dnsConfigOf(basePod(), { clusterDNS: '10.96.0.10', clusterDomain: 'cluster.local', hostResolv: host })).toEqual({
      servers: ['10.96.0.10'], searches: ['ns.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'example.com'], options: ['ndots:5'],
    });
    expect(dnsConfigOf(basePod(), { clusterDomain: 'cluster.local', hostResolv: host })).toEqual(host);
  });

  it('expands $(VAR) references, keeps unknown ones and unescapes $$', () => {
    expect(expandVars('$(A)-$(B)-$$(A)', new Map([['A', 'x']]))).toBe('x-$(B)-$(A)');
  });
});

describe('container env', () => {
  const source: ConfigSource = {
    configMap: async (_ns, name) => (name === 'cm' ? { k: 'v', 'bad key': 'skip' } : undefined),
    secret: async (_ns, name) => (name === 's' ? { pw: 'secret' } : undefined),
  };
  const facts = { podIP: '10.1.1.1', podIPs: ['10.1.1.1'], hostIP: '192.0.2.1', nodeAllocatable: { cpuMilli: 2000, memoryBytes: 2 ** 30, ephemeralStorageBytes: 1 } };

  it('applies envFrom, then env with valueFrom and expansion, in order', async () => {
    const pod = basePod();
    const env = await containerEnv(pod, {
      name: 'c', envFrom: [{ prefix: 'P_', configMapRef: { name: 'cm' } }],
      env: [
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'URL', value: 'http://$(IP):80' },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'pw' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Mi' } } },
        { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'missing', key: 'x', optional: true } } },
      ],
    }, facts, source);
    expect(env).toEqual([
      { key: 'P_k', value: 'v' }, { key: 'IP', value: '10.1.1.1' }, { key: 'URL', value: 'http://10.1.1.1:80' },
      { key: 'PW', value: 'secret' }, { key: 'MEM', value: '1024' },
    ]);
  });

  it('fails with upstream texts for a missing ConfigMap or key', async () => {
    await expect(containerEnv(basePod(), { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'nope', key: 'k' } } }] }, facts, source)).rejects.toThrow('configmap "nope" not found');
    await expect(containerEnv(basePod(), { name: 'c', env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cm', key: 'zz' } } }] }, facts, source)).rejects.toThrow("couldn't find key zz in ConfigMap ns/cm");
  });
});

describe('pod status', () => {
  const view = (over: Partial<WorkerView> = {}): WorkerView => ({ waiting: new Map(), ready: new Map(), started: new Map(), hostIP: '192.0.2.1', startTime: '2026-01-01T00:00:00Z', ...over });
  const container = (over: Partial<CachedContainer>): CachedContainer => ({
    id: 'id1', sandboxId: 's1', podUid: 'u1', name: 'c', attempt: 0, restartCount: 0, state: 'CONTAINER_RUNNING', createdAtMs: 1000, startedAtMs: 1000,
    finishedAtMs: 0, exitCode: 0, reason: '', message: '', image: 'docker.io/library/busybox:latest', imageRef: 'sha256:abc', logPath: '', annotations: {}, ...over,
  });
  const runtime = (containers: CachedContainer[]): PodRuntime => ({
    sandboxes: [{ id: 's1', podUid: 'u1', name: 'p', namespace: 'ns', attempt: 0, state: 'SANDBOX_READY', createdAtMs: 1, ip: '10.1.1.2', labels: {} }],
    containers,
  });

  it('reports a running container as Running and Ready with the pod IP and upstream condition order', () => {
    const s = computePodStatus(basePod(), runtime([container({})]), view(), 5000);
    expect(s.phase).toBe('Running');
    expect(s.podIP).toBe('10.1.1.2');
    expect(s.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
    expect(s.containerStatuses?.[0]).toMatchObject({ ready: true, started: true, containerID: 'containerd://id1', state: { running: {} } });
  });

  it('shows CrashLoopBackOff as waiting with the last termination, and the pod stays Running', () => {
    const s = computePodStatus(basePod(), runtime([container({ state: 'CONTAINER_EXITED', exitCode: 1, finishedAtMs: 2000, restartCount: 2 })]),
      view({ waiting: new Map([['c', { reason: 'CrashLoopBackOff', message: 'back-off 20s' }]]) }), 5000);
    expect(s.phase).toBe('Running');
    expect(s.containerStatuses?.[0]).toMatchObject({ restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });
    expect(s.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [c]' });
  });

  it.each([
    ['Never', 0, 'Succeeded'], ['Never', 1, 'Failed'], ['OnFailure', 0, 'Succeeded'], ['Always', 0, 'Running'],
  ] as const)('with restartPolicy %s and exit code %i the phase is %s', (restartPolicy, exitCode, phase) => {
    const s = computePodStatus(basePod({ restartPolicy }), runtime([container({ state: 'CONTAINER_EXITED', exitCode, finishedAtMs: 2000 })]), view(), 5000);
    expect(s.phase).toBe(phase);
  });

  it('keeps a not-ready readiness-probed container out of Ready', () => {
    const pod = basePod({ containers: [{ name: 'c', readinessProbe: { exec: { command: ['true'] } } }] });
    const s = computePodStatus(pod, runtime([container({})]), view(), 5000);
    expect(s.containerStatuses?.[0]?.ready).toBe(false);
    const ready = computePodStatus(pod, runtime([container({})]), view({ ready: new Map([['id1', true]]) }), 5000);
    expect(ready.containerStatuses?.[0]?.ready).toBe(true);
  });
});
