// kubectl 1.33 writes typed objects as Kubernetes protobuf; the stored objects must equal those written by kubectl 1.31 (JSON).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from './kubectl.ts';

const run = `pbt-${Date.now().toString(36)}`;
/** Per-version names: namespaces and cluster-scoped objects cannot share one. */
const tag = (minor: number): string => `${run}-${minor}`;
const MINORS = [31, 33] as const;

/** `kubectl create` arguments for a version, and the `kubectl get` target of what it creates. */
interface Case {
  title: string;
  create: (t: string) => string[];
  get: (t: string) => string[];
  namespaced: boolean;
}

const cases: Case[] = [
  { title: 'configmap --from-literal', namespaced: true, create: () => ['create', 'configmap', 'cm', '--from-literal=a=b', '--from-literal=empty='], get: () => ['configmap', 'cm'] },
  { title: 'secret generic --from-literal', namespaced: true, create: () => ['create', 'secret', 'generic', 'sec', '--from-literal=k=v', '--from-literal=e='], get: () => ['secret', 'sec'] },
  { title: 'deployment --image --replicas=2', namespaced: true, create: () => ['create', 'deployment', 'dep', '--image=nginx', '--replicas=2', '--port=80'], get: () => ['deployment', 'dep'] },
  { title: 'serviceaccount', namespaced: true, create: () => ['create', 'serviceaccount', 'sa'], get: () => ['serviceaccount', 'sa'] },
  { title: 'role --verb=get --resource=pods', namespaced: true, create: () => ['create', 'role', 'ro', '--verb=get', '--resource=pods'], get: () => ['role', 'ro'] },
  { title: 'rolebinding --role --user', namespaced: true, create: () => ['create', 'rolebinding', 'rb', '--role=ro', '--user=u'], get: () => ['rolebinding', 'rb'] },
  { title: 'job --image', namespaced: true, create: () => ['create', 'job', 'jo', '--image=busybox', '--', 'sleep', '1'], get: () => ['job', 'jo'] },
  { title: 'cronjob --image --schedule', namespaced: true, create: () => ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *'], get: () => ['cronjob', 'cj'] },
  { title: 'quota --hard=pods=2', namespaced: true, create: () => ['create', 'quota', 'qu', '--hard=pods=2,requests.cpu=500m'], get: () => ['resourcequota', 'qu'] },
  { title: 'pdb --min-available', namespaced: true, create: () => ['create', 'pdb', 'pd', '--selector=app=x', '--min-available=50%'], get: () => ['pdb', 'pd'] },
  { title: 'service clusterip --tcp', namespaced: true, create: () => ['create', 'service', 'clusterip', 'svc', '--tcp=80:8080'], get: () => ['service', 'svc'] },
  { title: 'priorityclass --value', namespaced: false, create: (t) => ['create', 'priorityclass', t, '--value=1000', '--description=d'], get: (t) => ['priorityclass', t] },
  { title: 'clusterrole --verb --resource', namespaced: false, create: (t) => ['create', 'clusterrole', t, '--verb=get', '--resource=pods'], get: (t) => ['clusterrole', t] },
  { title: 'clusterrolebinding --clusterrole --user', namespaced: false, create: (t) => ['create', 'clusterrolebinding', t, `--clusterrole=${t}`, '--user=u'], get: (t) => ['clusterrolebinding', t] },
];

/** Kinds whose status (and controller-written annotations) move with controllers, not with what kubectl sent. */
const CONTROLLED = new Set(['Deployment', 'Job', 'CronJob', 'ResourceQuota', 'PodDisruptionBudget']);

/** The object as comparable across the two versions: names, uids, times, versions and allocated IPs neutralised. */
function normalise(obj: Record<string, unknown>, t: string): unknown {
  const o = structuredClone(obj) as { kind: string; metadata: Record<string, unknown>; spec?: Record<string, unknown>; status?: unknown };
  const uid = o.metadata.uid as string;
  delete o.metadata.uid;
  delete o.metadata.resourceVersion;
  delete o.metadata.creationTimestamp;
  if (CONTROLLED.has(o.kind)) {
    delete o.status;
    const annotations = o.metadata.annotations as Record<string, string> | undefined;
    if (annotations) delete annotations['deployment.kubernetes.io/revision'];
    if (annotations && Object.keys(annotations).length === 0) delete o.metadata.annotations;
  }
  if (o.kind === 'Service' && o.spec) {
    o.spec.clusterIP = '<ip>';
    o.spec.clusterIPs = ['<ip>'];
  }
  const text = JSON.stringify(o)
    .replaceAll(t, '<tag>')
    .replaceAll(uid, '<uid>')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '<time>');
  return JSON.parse(text);
}

describe('kubectl 1.33 protobuf writes store the same objects as kubectl 1.31 JSON writes', () => {
  beforeAll(() => {
    for (const minor of MINORS) kubectlOk(['create', 'namespace', tag(minor)], { minor });
  });

  afterAll(() => {
    for (const minor of MINORS) {
      kubectl(['delete', 'namespace', tag(minor), '--wait=false']);
      for (const c of cases) if (!c.namespaced) kubectl(['delete', ...c.get(tag(minor)), '--ignore-not-found']);
    }
  });

  it('kubectl 1.33 really sends protobuf (the premise of this suite)', () => {
    const r = kubectl(['create', 'configmap', 'premise', '-n', tag(33), '--dry-run=server', '-v=8'], { minor: 33 });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Content-Type: application/vnd.kubernetes.protobuf');
  });

  it('create namespace', () => {
    const [a, b] = MINORS.map((minor) => normalise(JSON.parse(kubectlOk(['get', 'namespace', tag(minor), '-o', 'json'])), tag(minor)));
    expect(b).toEqual(a);
  });

  it.each(cases.map((c) => [c.title, c] as const))('create %s', (_title, c) => {
    const objects = MINORS.map((minor) => {
      const t = tag(minor);
      const ns = c.namespaced ? ['-n', t] : [];
      kubectlOk([...ns, ...c.create(t)], { minor });
      return normalise(JSON.parse(kubectlOk(['get', ...c.get(t), ...ns, '-o', 'json'])), t);
    });
    expect(objects[1]).toEqual(objects[0]);
  });
});
