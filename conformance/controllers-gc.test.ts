// Garbage collection, namespace deletion and per-namespace defaults, through real kubectl.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, kubectlOk, uniqueName } from './kubectl.ts';

const ns = uniqueName('ctl-gc');
const FINALIZER = 'tskube.test/hold';

interface Item {
  metadata: { name: string; uid: string; finalizers?: string[]; deletionTimestamp?: string; ownerReferences?: Array<{ uid: string; kind: string }> };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string; reason: string; message: string }> };
  data?: Record<string, string>;
}

const list = (kind: string, selector: string, namespace = ns): Item[] =>
  (JSON.parse(kubectlOk(['get', kind, '-n', namespace, '-l', selector, '-o', 'json'])) as { items: Item[] }).items;

function replicaSet(name: string, replicas: number, podFinalizer = false): string {
  return `
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: ${name}
  labels: { app: ${name} }
spec:
  replicas: ${replicas}
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
${podFinalizer ? `      finalizers: ["${FINALIZER}"]` : ''}
    spec:
      containers:
      - name: app
        image: nginx
`;
}

beforeAll(() => {
  kubectlOk(['create', 'namespace', ns]);
});

afterAll(() => {
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('garbage collection of dependents', () => {
  it('background (the default): deleting a ReplicaSet deletes its pods', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: replicaSet('bg', 2) });
    await eventually(() => list('pods', 'app=bg').length === 2);
    kubectlOk(['delete', 'rs', 'bg', '-n', ns, '--cascade=background']);
    await eventually(() => list('pods', 'app=bg').length === 0);
  });

  it('orphan: the pods stay, without owner references, and the ReplicaSet goes', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: replicaSet('orph', 2) });
    await eventually(() => list('pods', 'app=orph').length === 2);
    kubectlOk(['delete', 'rs', 'orph', '-n', ns, '--cascade=orphan']);
    await eventually(() => list('rs', 'app=orph').length === 0);
    const pods = list('pods', 'app=orph');
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata.ownerReferences ?? []).toEqual([]);
    kubectlOk(['delete', 'pods', '-n', ns, '-l', 'app=orph']);
  });

  it('foreground: the owner waits with the foregroundDeletion finalizer until its blocking dependents are gone', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: replicaSet('fg', 2, true) });
    await eventually(() => list('pods', 'app=fg').length === 2);
    kubectlOk(['delete', 'rs', 'fg', '-n', ns, '--cascade=foreground', '--wait=false']);
    // The pods are being deleted but held by our finalizer, so the ReplicaSet must still be there, marked.
    await eventually(() => list('pods', 'app=fg').length === 2 && list('pods', 'app=fg').every((p) => p.metadata.deletionTimestamp));
    const rs = list('rs', 'app=fg');
    expect(rs).toHaveLength(1);
    expect(rs[0]!.metadata.deletionTimestamp).toBeTruthy();
    expect(rs[0]!.metadata.finalizers).toContain('foregroundDeletion');
    for (const p of list('pods', 'app=fg')) {
      kubectlOk(['patch', 'pod', p.metadata.name, '-n', ns, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    }
    await eventually(() => list('rs', 'app=fg').length === 0 && list('pods', 'app=fg').length === 0);
  });

  it('kubectl delete deployment --cascade=foreground removes ReplicaSet and pods before the Deployment', async () => {
    kubectlOk(['create', 'deployment', 'fgd', '--image=nginx', '--replicas=2', '-n', ns]);
    await eventually(() => list('pods', 'app=fgd').length === 2);
    kubectlOk(['delete', 'deployment', 'fgd', '-n', ns, '--cascade=foreground']);
    expect(kubectl(['get', 'deployment', 'fgd', '-n', ns]).stderr).toContain('NotFound');
    expect(list('rs', 'app=fgd')).toHaveLength(0);
    expect(list('pods', 'app=fgd')).toHaveLength(0);
  });

  it('a dependent whose owner uid no longer exists is collected', async () => {
    kubectlOk(['create', 'configmap', 'owner', '-n', ns]);
    const owner = JSON.parse(kubectlOk(['get', 'configmap', 'owner', '-n', ns, '-o', 'json'])) as Item;
    const dependent = {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'dependent', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }] },
    };
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: JSON.stringify(dependent) });
    kubectlOk(['delete', 'configmap', 'owner', '-n', ns]);
    await eventually(() => kubectl(['get', 'configmap', 'dependent', '-n', ns]).code !== 0);
  });
});

describe('namespaces', () => {
  it('a new namespace gets the default ServiceAccount and the kube-root-ca.crt ConfigMap', async () => {
    const fresh = uniqueName('ctl-sa');
    kubectlOk(['create', 'namespace', fresh]);
    try {
      await eventually(() => kubectl(['get', 'serviceaccount', 'default', '-n', fresh]).code === 0);
      const cm = await eventually(() => {
        const r = kubectl(['get', 'configmap', 'kube-root-ca.crt', '-n', fresh, '-o', 'json']);
        return r.code === 0 ? (JSON.parse(r.stdout) as Item) : undefined;
      });
      expect(cm.data?.['ca.crt']).toMatch(/^-----BEGIN CERTIFICATE-----/);
      // Deleted, it comes back.
      kubectlOk(['delete', 'serviceaccount', 'default', '-n', fresh]);
      await eventually(() => kubectl(['get', 'serviceaccount', 'default', '-n', fresh]).code === 0);
    } finally {
      kubectl(['delete', 'namespace', fresh, '--wait=false']);
    }
  });

  it('deleting a namespace removes everything in it, reports what remains, then removes the namespace', async () => {
    const doomed = uniqueName('ctl-ns');
    kubectlOk(['create', 'namespace', doomed]);
    kubectlOk(['create', 'deployment', 'web', '--image=nginx', '--replicas=2', '-n', doomed]);
    kubectlOk(['create', 'secret', 'generic', 's', '--from-literal=a=b', '-n', doomed]);
    kubectlOk(['apply', '-n', doomed, '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'held', finalizers: [FINALIZER] } }) });
    await eventually(() => list('pods', 'app=web', doomed).length === 2);

    kubectlOk(['delete', 'namespace', doomed, '--wait=false']);
    const terminating = await eventually(() => {
      const nsObj = JSON.parse(kubectlOk(['get', 'namespace', doomed, '-o', 'json'])) as Item;
      const c = nsObj.status?.conditions?.find((x) => x.type === 'NamespaceFinalizersRemaining');
      return c?.status === 'True' ? nsObj : undefined;
    }, 30_000);
    expect(terminating.status?.phase).toBe('Terminating');
    expect(terminating.status?.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: 'Some resources are remaining: configmaps has 1 resource instances' }),
        expect.objectContaining({ type: 'NamespaceFinalizersRemaining', status: 'True', reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${FINALIZER} in 1 resource instances` }),
        expect.objectContaining({ type: 'NamespaceDeletionDiscoveryFailure', status: 'False', reason: 'ResourcesDiscovered' }),
      ]),
    );
    expect(list('pods', 'app=web', doomed)).toHaveLength(0);
    expect(kubectlOk(['get', 'deployments,replicasets,secrets', '-n', doomed, '-o', 'name']).trim()).toBe('');
    expect(kubectlOk(['get', 'namespace', doomed])).toMatch(new RegExp(`${doomed}\\s+Terminating`));

    kubectlOk(['patch', 'configmap', 'held', '-n', doomed, '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await eventually(() => kubectl(['get', 'namespace', doomed]).code !== 0, 30_000);
    expect(kubectl(['get', 'namespace', doomed]).stderr).toContain(`namespaces "${doomed}" not found`);
  });
});
