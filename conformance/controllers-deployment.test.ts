// Deployments and ReplicaSets through real kubectl: the seed walkthrough, rolling updates within bounds, rollout history/undo/pause/restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, kubectl, kubectlOk, uniqueName } from './kubectl.ts';
import { fakeKubelet, kubectlAsync, watchPodBounds, watchReplicaSetBounds, type FakeKubelet } from './controllers-helpers.ts';

const ns = uniqueName('ctl-deploy');

interface Item {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>; deletionTimestamp?: string };
  spec?: { replicas?: number; template?: { spec?: { containers?: Array<{ image?: string }> } } };
  status?: Record<string, unknown>;
}

function getJson<T = { items: Item[] }>(args: string[]): T {
  return JSON.parse(kubectlOk([...args, '-n', ns, '-o', 'json'])) as T;
}

const livePods = (selector: string): Item[] => getJson(['get', 'pods', '-l', selector]).items.filter((p) => !p.metadata.deletionTimestamp);
const replicaSets = (selector: string): Item[] => getJson(['get', 'rs', '-l', selector]).items;

function deployment(name: string, replicas: number, image: string, extra = ''): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
${extra}
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
      - name: app
        image: ${image}
`;
}

beforeAll(() => {
  kubectlOk(['create', 'namespace', ns]);
});

afterAll(() => {
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('the seed walkthrough on the control plane', () => {
  it('a 3-replica Deployment makes one ReplicaSet and three pods, replaces a deleted pod, scales down, and takes everything with it', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: deployment('seed', 3, 'nginx:1.25') });
    await eventually(() => livePods('app=seed').length === 3 && replicaSets('app=seed').length === 1);
    const [rs] = replicaSets('app=seed');
    const hash = rs!.metadata.labels?.['pod-template-hash'];
    expect(rs!.metadata.name).toBe(`seed-${hash}`);
    expect(rs!.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'seed', controller: true, blockOwnerDeletion: true })]);
    for (const pod of livePods('app=seed')) {
      expect(pod.metadata.name.startsWith(`${rs!.metadata.name}-`)).toBe(true);
      expect(pod.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicaSet', name: rs!.metadata.name, controller: true })]);
    }

    const victim = livePods('app=seed')[0]!.metadata.name;
    kubectlOk(['delete', 'pod', victim, '-n', ns]);
    await eventually(() => {
      const names = livePods('app=seed').map((p) => p.metadata.name);
      return names.length === 3 && !names.includes(victim);
    });

    expect(kubectlOk(['scale', 'deployment/seed', '--replicas=2', '-n', ns])).toContain('deployment.apps/seed scaled');
    await eventually(() => livePods('app=seed').length === 2, 20_000);
    const describe = await eventually(() => {
      const out = kubectlOk(['describe', 'deployment', 'seed', '-n', ns]);
      return /Scaled down replica set seed-\S+ from 3 to 2/.test(out) ? out : undefined;
    });
    expect(describe).toMatch(/Normal\s+ScalingReplicaSet\s+.*deployment-controller\s+Scaled up replica set seed-\S+ from 0 to 3/);
    const rsEvents = kubectlOk(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${rs!.metadata.name}`]);
    expect(rsEvents).toMatch(/SuccessfulCreate\s+replicaset\/\S+\s+Created pod: seed-/);
    expect(rsEvents).toMatch(/SuccessfulDelete\s+replicaset\/\S+\s+Deleted pod: seed-/);

    kubectlOk(['delete', 'deployment', 'seed', '-n', ns]);
    await eventually(() => replicaSets('app=seed').length === 0 && livePods('app=seed').length === 0, 30_000);
  });
});

describe('progress deadline', () => {
  it('a Deployment whose pods never become ready times out with ProgressDeadlineExceeded, and rollout status says so', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: deployment('stuck', 1, 'nginx', '  progressDeadlineSeconds: 2') });
    const cond = await eventually(() => {
      const d = getJson<Item>(['get', 'deployment', 'stuck']);
      return ((d.status?.conditions ?? []) as Array<{ type: string; status: string; reason: string; message: string }>).find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
    }, 30_000);
    const rs = replicaSets('app=stuck')[0]!;
    expect(cond).toMatchObject({ status: 'False', message: `ReplicaSet "${rs.metadata.name}" has timed out progressing.` });
    const status = await kubectlAsync(['rollout', 'status', 'deployment/stuck', '-n', ns, '--timeout=20s']);
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('error: deployment "stuck" exceeded its progress deadline');
    kubectlOk(['delete', 'deployment', 'stuck', '-n', ns]);
  });
});

describe('rolling updates', () => {
  let kubelet: FakeKubelet;
  beforeAll(() => {
    kubelet = fakeKubelet(kubeConfig(), ns);
  });
  afterAll(() => kubelet.stop());

  it('kubectl set image rolls out within maxSurge/maxUnavailable, and rollout status/history/undo work', async () => {
    const strategy = `  strategy:\n    type: RollingUpdate\n    rollingUpdate: { maxSurge: 1, maxUnavailable: 1 }`;
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: deployment('roll', 4, 'nginx:1.24', strategy) });
    const first = await kubectlAsync(['rollout', 'status', 'deployment/roll', '-n', ns, '--timeout=60s']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('deployment "roll" successfully rolled out');

    const bounds = await watchPodBounds(kubeConfig(), ns, 'app=roll');
    const desired = await watchReplicaSetBounds(kubeConfig(), ns, 'app=roll');
    await eventually(() => bounds.current().length === 4);
    bounds.armReadyCheck();
    kubectlOk(['set', 'image', 'deployment/roll', 'app=nginx:1.25', '-n', ns]);
    const second = await kubectlAsync(['rollout', 'status', 'deployment/roll', '-n', ns, '--timeout=60s']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toContain('deployment "roll" successfully rolled out');
    await eventually(() => livePods('app=roll').length === 4);
    bounds.stop();
    desired.stop();
    // maxSurge 1 bounds the ReplicaSets' total size; maxUnavailable 1 bounds the ready pods from below.
    expect(desired.maxDesired, desired.log.join('\n')).toBe(4 + 1);
    expect(bounds.minReady).toBeGreaterThanOrEqual(4 - 1);

    const rss = replicaSets('app=roll');
    expect(rss).toHaveLength(2);
    const byRevision = Object.fromEntries(rss.map((r) => [r.metadata.annotations?.['deployment.kubernetes.io/revision'], r]));
    expect(byRevision['1']?.spec?.replicas).toBe(0);
    expect(byRevision['2']?.spec?.replicas).toBe(4);
    expect(byRevision['2']?.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe('4');
    expect(byRevision['2']?.metadata.annotations?.['deployment.kubernetes.io/max-replicas']).toBe('5');

    const d = getJson<Item>(['get', 'deployment', 'roll']);
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(d.status).toMatchObject({ replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4 });
    const conditions = (d.status?.conditions ?? []) as Array<{ type: string; status: string; reason: string; message: string }>;
    expect(conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }),
        expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${byRevision['2']!.metadata.name}" has successfully progressed.` }),
      ]),
    );

    const history = kubectlOk(['rollout', 'history', 'deployment/roll', '-n', ns]);
    expect(history).toMatch(/REVISION\s+CHANGE-CAUSE/);
    expect(history).toMatch(/^1\s+<none>$/m);
    expect(history).toMatch(/^2\s+<none>$/m);
    expect(kubectlOk(['rollout', 'history', 'deployment/roll', '-n', ns, '--revision=1'])).toContain('nginx:1.24');

    expect(kubectlOk(['rollout', 'undo', 'deployment/roll', '-n', ns])).toContain('deployment.apps/roll rolled back');
    const third = await kubectlAsync(['rollout', 'status', 'deployment/roll', '-n', ns, '--timeout=60s']);
    expect(third.code, third.stderr).toBe(0);
    const after = getJson<Item>(['get', 'deployment', 'roll']);
    expect(after.spec?.template?.spec?.containers?.[0]?.image).toBe('nginx:1.24');
    expect(after.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
    const back = replicaSets('app=roll');
    expect(back).toHaveLength(2);
    const revived = back.find((r) => r.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3');
    expect(revived?.metadata.name).toBe(byRevision['1']!.metadata.name);
    expect(revived?.metadata.annotations?.['deployment.kubernetes.io/revision-history']).toBe('1');
    const history2 = kubectlOk(['rollout', 'history', 'deployment/roll', '-n', ns]);
    expect(history2).toMatch(/^2\s+<none>$/m);
    expect(history2).toMatch(/^3\s+<none>$/m);
    expect(history2).not.toMatch(/^1\s+<none>$/m);
  });

  it('minReadySeconds delays availability after readiness', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: deployment('mrs', 1, 'nginx', '  minReadySeconds: 3') });
    const seen = await eventually(() => {
      const st = getJson<Item>(['get', 'deployment', 'mrs']).status as { readyReplicas?: number; availableReplicas?: number } | undefined;
      return st?.readyReplicas === 1 ? st : undefined;
    });
    expect(seen.availableReplicas ?? 0).toBe(0);
    await eventually(() => (getJson<Item>(['get', 'deployment', 'mrs']).status as { availableReplicas?: number } | undefined)?.availableReplicas === 1, 15_000);
    kubectlOk(['delete', 'deployment', 'mrs', '-n', ns]);
  });

  it('pause holds template changes back, resume rolls them out, restart makes a new ReplicaSet', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: deployment('pz', 2, 'nginx:1.24', '  revisionHistoryLimit: 1') });
    expect((await kubectlAsync(['rollout', 'status', 'deployment/pz', '-n', ns, '--timeout=60s'])).code).toBe(0);
    expect(kubectlOk(['rollout', 'pause', 'deployment/pz', '-n', ns])).toContain('deployment.apps/pz paused');
    kubectlOk(['set', 'image', 'deployment/pz', 'app=nginx:1.25', '-n', ns]);
    await eventually(() => {
      const d = getJson<Item>(['get', 'deployment', 'pz']);
      const c = ((d.status?.conditions ?? []) as Array<{ type: string; reason: string; status: string; message: string }>).find((x) => x.type === 'Progressing');
      return c?.reason === 'DeploymentPaused' && c.status === 'Unknown' && c.message === 'Deployment is paused';
    });
    expect(replicaSets('app=pz')).toHaveLength(1);
    expect(kubectlOk(['rollout', 'resume', 'deployment/pz', '-n', ns])).toContain('deployment.apps/pz resumed');
    expect((await kubectlAsync(['rollout', 'status', 'deployment/pz', '-n', ns, '--timeout=60s'])).code).toBe(0);
    expect(kubectlOk(['rollout', 'restart', 'deployment/pz', '-n', ns])).toContain('deployment.apps/pz restarted');
    expect((await kubectlAsync(['rollout', 'status', 'deployment/pz', '-n', ns, '--timeout=60s'])).code).toBe(0);
    const d = getJson<Item & { spec: { template: { metadata: { annotations?: Record<string, string> } } } }>(['get', 'deployment', 'pz']);
    expect(d.spec.template.metadata.annotations?.['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT/);
    // revisionHistoryLimit 1: the newest ReplicaSet and one old one are kept.
    await eventually(() => replicaSets('app=pz').length === 2);
    const newest = replicaSets('app=pz').find((r) => (r.spec?.replicas ?? 0) === 2);
    expect(newest?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('3');
  });
});

describe('replica sets and replication controllers', () => {
  it('a ReplicaSet adopts a matching orphan pod and releases a pod whose labels stop matching', async () => {
    kubectlOk(['run', 'stray', '--image=nginx', '--labels=app=adopt', '-n', ns]);
    const manifest = `
apiVersion: apps/v1
kind: ReplicaSet
metadata: { name: adopt }
spec:
  replicas: 2
  selector: { matchLabels: { app: adopt } }
  template:
    metadata: { labels: { app: adopt } }
    spec: { containers: [{ name: app, image: nginx }] }
`;
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: manifest });
    await eventually(() => {
      const pods = livePods('app=adopt');
      return pods.length === 2 && pods.every((p) => p.metadata.ownerReferences?.some((r) => r.kind === 'ReplicaSet' && r.name === 'adopt' && r.controller));
    });
    expect(livePods('app=adopt').map((p) => p.metadata.name)).toContain('stray');
    kubectlOk(['label', 'pod', 'stray', 'app=gone', '--overwrite', '-n', ns]);
    await eventually(() => {
      const stray = getJson<Item>(['get', 'pod', 'stray']);
      return (stray.metadata.ownerReferences ?? []).length === 0 && livePods('app=adopt').length === 2;
    });
    kubectlOk(['delete', 'rs', 'adopt', '-n', ns]);
    kubectlOk(['delete', 'pod', 'stray', '-n', ns]);
  });

  it('a ReplicationController keeps its replicas and scales through kubectl scale', async () => {
    const manifest = `
apiVersion: v1
kind: ReplicationController
metadata: { name: rc }
spec:
  replicas: 2
  selector: { app: rc }
  template:
    metadata: { labels: { app: rc } }
    spec: { containers: [{ name: app, image: nginx }] }
`;
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: manifest });
    await eventually(() => livePods('app=rc').length === 2);
    await eventually(() => (getJson<Item>(['get', 'rc', 'rc']).status as { replicas?: number; observedGeneration?: number } | undefined)?.replicas === 2);
    kubectlOk(['scale', 'rc/rc', '--replicas=3', '-n', ns]);
    await eventually(() => livePods('app=rc').length === 3);
    for (const p of livePods('app=rc')) expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ReplicationController', name: 'rc', controller: true })]);
    kubectlOk(['delete', 'rc', 'rc', '-n', ns]);
    await eventually(() => livePods('app=rc').length === 0);
  });
});
