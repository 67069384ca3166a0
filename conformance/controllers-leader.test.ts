// Two `tskube controller-manager` processes against one API server: only the Lease holder acts; killing it mid-rollout loses nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, kubectlBinary } from './kubectl.ts';
import { fakeKubelet, kubectlAsync, watchPodBounds, watchReplicaSetBounds } from './controllers-helpers.ts';

interface Proc {
  child: ChildProcess;
  output: () => string;
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, ['bin/tskube.mjs', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out };
}

const acquired = (p: Proc): string | undefined => /"successfully acquired lease","lease":"kube-system\/kube-controller-manager","identity":"([^"]+)"/.exec(p.output())?.[1];

// This suite runs its own API server and controller managers (tskube processes), so it only runs where this
// checkout can start them, i.e. not against an external cluster.
describe.skipIf(!inject('ownCluster'))('controller manager leader election', () => {
  let dir: string;
  let apiserver: Proc;
  let kubeconfig: string;
  const managers: Proc[] = [];
  const ns = 'ha';
  const k = (args: string[]): string => {
    const r = spawnSync(kubectlBinary(), args, { env: { ...process.env, KUBECONFIG: kubeconfig }, encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const startManager = (): Proc => {
    const p = start(['controller-manager', '--kubeconfig', kubeconfig, '-v', '--leader-elect-lease-duration=4s', '--leader-elect-renew-deadline=3s', '--leader-elect-retry-period=1s']);
    managers.push(p);
    return p;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tskube-ha-'));
    apiserver = start(['apiserver', '--data-dir', dir, '--port', '0']);
    kubeconfig = await eventually(() => /export KUBECONFIG=(\S+)/.exec(apiserver.output())?.[1], 60_000);
  });

  afterAll(async () => {
    for (const p of [...managers, apiserver]) if (p?.child.exitCode === null) p.child.kill('SIGKILL');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('only the Lease holder acts, and a standby finishes a rollout after the leader is killed, without duplicates', async () => {
    const a = startManager();
    const idA = await eventually(() => acquired(a), 30_000);
    const b = startManager();
    await new Promise((r) => setTimeout(r, 3000));
    expect(acquired(b)).toBeUndefined();
    expect(b.output()).not.toContain('"started controller"');
    expect(k(['get', 'lease', 'kube-controller-manager', '-n', 'kube-system', '-o', 'jsonpath={.spec.holderIdentity}'])).toBe(idA);

    k(['create', 'namespace', ns]);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const kubelet = fakeKubelet(kc, ns);
    try {
      const manifest = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web }
spec:
  replicas: 4
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: app, image: "nginx:1.24" }] }
`;
      expect((await kubectlAsync(['apply', '-n', ns, '-f', '-'], { kubeconfig, stdin: manifest })).code).toBe(0);
      const first = await kubectlAsync(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { kubeconfig });
      expect(first.code, first.stderr).toBe(0);
      expect(b.output()).not.toContain('"started controller"');

      const bounds = await watchPodBounds(kc, ns, 'app=web');
      const desired = await watchReplicaSetBounds(kc, ns, 'app=web');
      await eventually(() => bounds.current().length === 4);
      bounds.armReadyCheck();
      kubelet.pause();
      k(['set', 'image', 'deployment/web', 'app=nginx:1.25', '-n', ns]);
      // Mid-rollout: the surge pod of the new ReplicaSet exists but is not ready.
      await eventually(() => JSON.parse(k(['get', 'rs', '-n', ns, '-o', 'json'])).items.length === 2 && bounds.current().length === 5, 30_000);
      a.child.kill('SIGKILL');
      kubelet.resume();
      const idB = await eventually(() => acquired(b), 30_000);
      expect(idB).not.toBe(idA);
      const done = await kubectlAsync(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { kubeconfig });
      expect(done.code, done.stderr).toBe(0);
      await eventually(() => bounds.current().filter((p) => !p.metadata?.deletionTimestamp).length === 4);
      bounds.stop();
      desired.stop();

      const rss = JSON.parse(k(['get', 'rs', '-n', ns, '-o', 'json'])).items as Array<{ metadata: { name: string; uid: string }; spec: { replicas: number } }>;
      expect(rss).toHaveLength(2);
      const current = rss.find((r) => r.spec.replicas === 4)!;
      const pods = bounds.current().filter((p) => !p.metadata?.deletionTimestamp);
      expect(pods).toHaveLength(4);
      for (const p of pods) expect(p.metadata?.ownerReferences?.[0]?.uid).toBe(current.metadata.uid);
      expect(desired.maxDesired).toBe(5);
      expect(bounds.minReady).toBeGreaterThanOrEqual(4);
    } finally {
      kubelet.stop();
    }
  }, 150_000);

  it('a controller manager killed mid-rollout and started again finishes the rollout without duplicates', async () => {
    const leader = managers.find((m) => m.child.exitCode === null && m.child.signalCode === null)!;
    await eventually(() => acquired(leader), 30_000);
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfig);
    const kubelet = fakeKubelet(kc, ns);
    try {
      const bounds = await watchPodBounds(kc, ns, 'app=web');
      const desired = await watchReplicaSetBounds(kc, ns, 'app=web');
      await eventually(() => bounds.current().filter((p) => !p.metadata?.deletionTimestamp).length === 4);
      kubelet.pause();
      k(['set', 'image', 'deployment/web', 'app=nginx:1.26', '-n', ns]);
      await eventually(() => JSON.parse(k(['get', 'rs', '-n', ns, '-o', 'json'])).items.length === 3 && bounds.current().length === 5, 30_000);
      // No standby this time: the only controller manager dies, and a new process takes its place.
      leader.child.kill('SIGKILL');
      kubelet.resume();
      const restarted = startManager();
      await eventually(() => acquired(restarted), 30_000);
      const done = await kubectlAsync(['rollout', 'status', 'deployment/web', '-n', ns, '--timeout=60s'], { kubeconfig });
      expect(done.code, done.stderr).toBe(0);
      await eventually(() => bounds.current().filter((p) => !p.metadata?.deletionTimestamp).length === 4);
      bounds.stop();
      desired.stop();
      const rss = JSON.parse(k(['get', 'rs', '-n', ns, '-o', 'json'])).items as Array<{ metadata: { uid: string }; spec: { replicas: number } }>;
      expect(rss).toHaveLength(3);
      const current = rss.filter((r) => r.spec.replicas === 4);
      expect(current).toHaveLength(1);
      for (const p of bounds.current().filter((p) => !p.metadata?.deletionTimestamp)) expect(p.metadata?.ownerReferences?.[0]?.uid).toBe(current[0]!.metadata.uid);
      expect(desired.maxDesired).toBeLessThanOrEqual(5);
    } finally {
      kubelet.stop();
    }
  }, 150_000);
});
