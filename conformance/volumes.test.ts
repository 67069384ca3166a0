// PersistentVolumes end to end: the binder binds a claim to a hostPath volume, a pod on the real node writes through
// the claim onto the host path, FailedBinding when nothing fits, and deleting the claim releases a Retain volume.
// Classes are unique names with no StorageClass object, so a cluster's default class or provisioner never interferes.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, kubectl, kubectlOk, realNode, uniqueName } from './kubectl.ts';

const ns = uniqueName('volumes');
const node = realNode();
const cls = uniqueName('tskube-pv');
const pvName = uniqueName('pv-host');
const hostDir = `/tmp/${uniqueName('tskube-pv-data')}`;
const createdPVs: string[] = [];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- PV/PVC JSON is read field by field
type Json = Record<string, any>;

function getJson(kind: string, name: string, namespace?: string): Json | undefined {
  const r = kubectl(['get', kind, name, '-o', 'json', ...(namespace ? ['-n', namespace] : [])]);
  return r.code === 0 ? (JSON.parse(r.stdout) as Json) : undefined;
}

function persistentVolume(name: string, path: string, more: Json = {}): string {
  createdPVs.push(name);
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels: { suite: ns } },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], persistentVolumeReclaimPolicy: 'Retain', storageClassName: cls, hostPath: { path, type: 'DirectoryOrCreate' }, ...more },
  });
}

function claim(name: string, spec: Json = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: ns },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '500Mi' } }, storageClassName: cls, ...spec },
  });
}

function podOn(name: string, volume: Json, command: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 1,
      tolerations: [{ key: 'tskube.test/real-node', operator: 'Exists' }],
      restartPolicy: 'Never',
      containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', command], volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      volumes: [{ name: 'data', ...volume }],
    },
  });
}

describe('PersistentVolume binding (the persistentvolume-binder controller)', { timeout: 120_000 }, () => {
  beforeAll(() => {
    kubectlOk(['create', 'namespace', ns]);
  });
  afterAll(() => {
    kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
    kubectl(['delete', 'namespace', ns, '--wait=false']);
    for (const pv of createdPVs) kubectl(['delete', 'pv', pv, '--wait=false']);
    if (inject('kubeletNode')) rmSync(hostDir, { recursive: true, force: true });
  });

  it('binds a claim to the fitting hostPath volume: claimRef, annotations, phases, capacity and the kubectl columns', async () => {
    kubectlOk(['apply', '-f', '-'], { stdin: persistentVolume(pvName, hostDir) });
    await eventually(() => getJson('pv', pvName)?.status?.phase === 'Available', 30_000);
    kubectlOk(['apply', '-f', '-'], { stdin: claim('data') });
    const pvc = await eventually(() => {
      const c = getJson('pvc', 'data', ns);
      return c?.status?.phase === 'Bound' ? c : undefined;
    }, 30_000);
    expect(pvc.spec.volumeName).toBe(pvName);
    expect(pvc.metadata.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
    expect(pvc.status.capacity).toEqual({ storage: '1Gi' });
    expect(pvc.status.accessModes).toEqual(['ReadWriteOnce']);
    const pv = await eventually(() => {
      const v = getJson('pv', pvName);
      return v?.status?.phase === 'Bound' ? v : undefined;
    }, 30_000);
    expect(pv.spec.claimRef).toMatchObject({ kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: ns, name: 'data', uid: pvc.metadata.uid });
    expect(pv.spec.claimRef.resourceVersion).toMatch(/^\d+$/);
    expect(pv.metadata.annotations).toMatchObject({ 'pv.kubernetes.io/bound-by-controller': 'yes' });

    const table = kubectlOk(['get', 'pvc', 'data', '-n', ns]).split('\n');
    expect(table[0]).toMatch(/^NAME\s+STATUS\s+VOLUME\s+CAPACITY\s+ACCESS MODES\s+STORAGECLASS\s/);
    expect(table[1]).toMatch(new RegExp(`^data\\s+Bound\\s+${pvName}\\s+1Gi\\s+RWO\\s+${cls}\\s`));
    const pvRow = kubectlOk(['get', 'pv', pvName]).split('\n')[1];
    expect(pvRow).toMatch(new RegExp(`^${pvName}\\s+1Gi\\s+RWO\\s+Retain\\s+Bound\\s+${ns}/data\\s+${cls}\\s`));
  });

  it('leaves a claim no volume fits Pending with a FailedBinding event', async () => {
    // storageClassName "" asks for volumes without a class and forbids provisioning; 1Pi fits no test volume.
    kubectlOk(['apply', '-f', '-'], { stdin: claim('too-big', { storageClassName: '', resources: { requests: { storage: '1Pi' } } }) });
    const event = await eventually(() => {
      const list = JSON.parse(kubectlOk(['get', 'events', '-n', ns, '-o', 'json'])) as { items: Json[] };
      return list.items.find((e) => e.involvedObject?.name === 'too-big' && e.reason === 'FailedBinding');
    }, 30_000);
    expect(event).toMatchObject({ type: 'Normal', message: 'no persistent volumes available for this claim and no storage class is set', source: { component: 'persistentvolume-controller' } });
    expect(event.involvedObject).toMatchObject({ kind: 'PersistentVolumeClaim', namespace: ns, name: 'too-big' });
    expect(getJson('pvc', 'too-big', ns)?.status?.phase).toBe('Pending');
    expect(getJson('pvc', 'too-big', ns)?.spec?.volumeName).toBeUndefined();
  });

  it.skipIf(!node)('mounts the bound claim in a pod on the real node: its file lands on the volume host path', async () => {
    kubectlOk(['apply', '-f', '-'], { stdin: podOn('writer', { persistentVolumeClaim: { claimName: 'data' } }, 'echo hello-from-pvc > /data/hello.txt && sleep 3600') });
    await eventually(() => getJson('pod', 'writer', ns)?.status?.phase === 'Running', 60_000);
    expect(await eventually(() => kubectl(['exec', 'writer', '-n', ns, '--', 'cat', '/data/hello.txt']).stdout, 20_000)).toBe('hello-from-pvc\n');
    // Seen from the host: directly when this run owns the node, else through a pod mounting the host path itself.
    if (inject('kubeletNode')) {
      expect(existsSync(`${hostDir}/hello.txt`)).toBe(true);
      expect(readFileSync(`${hostDir}/hello.txt`, 'utf8')).toBe('hello-from-pvc\n');
    }
    kubectlOk(['apply', '-f', '-'], { stdin: podOn('reader', { hostPath: { path: hostDir, type: 'Directory' } }, 'cat /data/hello.txt') });
    await eventually(() => getJson('pod', 'reader', ns)?.status?.phase === 'Succeeded', 60_000);
    expect(kubectlOk(['logs', 'reader', '-n', ns])).toBe('hello-from-pvc\n');
    kubectlOk(['delete', 'pod', 'writer', 'reader', '-n', ns, '--grace-period=0', '--force']);
  });

  it('releases a Retain volume when its claim is deleted: phase Released, claimRef kept', async () => {
    const uid = getJson('pvc', 'data', ns)?.metadata?.uid;
    kubectl(['delete', 'pod', 'writer', 'reader', '-n', ns, '--grace-period=0', '--force', '--ignore-not-found']);
    kubectlOk(['delete', 'pvc', 'data', '-n', ns, '--wait=false']);
    const pv = await eventually(() => {
      const v = getJson('pv', pvName);
      return v?.status?.phase === 'Released' ? v : undefined;
    }, 60_000);
    expect(pv.spec.claimRef).toMatchObject({ namespace: ns, name: 'data', uid });
    expect(kubectlOk(['get', 'pv', pvName]).split('\n')[1]).toMatch(new RegExp(`^${pvName}\\s+1Gi\\s+RWO\\s+Retain\\s+Released\\s+${ns}/data\\s`));
    // A new claim of the same name does not get the Released volume back.
    kubectlOk(['apply', '-f', '-'], { stdin: claim('data') });
    await new Promise((r) => setTimeout(r, 2000));
    expect(getJson('pvc', 'data', ns)?.status?.phase).toBe('Pending');
  });
});

describe('StorageClass', () => {
  it.each([27, 33])('is printed with upstream columns and defaults, and keeps its provisioner (kubectl 1.%i)', (minor) => {
    const name = uniqueName(`sc${minor}`);
    kubectlOk(['create', '-f', '-'], { minor, stdin: `apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: ${name}\nprovisioner: example.com/none\n` });
    try {
      const [header, row] = kubectlOk(['get', 'sc', name], { minor }).trimEnd().split('\n');
      expect(header!.split(/\s+/)).toEqual(['NAME', 'PROVISIONER', 'RECLAIMPOLICY', 'VOLUMEBINDINGMODE', 'ALLOWVOLUMEEXPANSION', 'AGE']);
      expect(row!.split(/\s+/).slice(0, 5)).toEqual([name, 'example.com/none', 'Delete', 'Immediate', 'false']);
      const r = kubectl(['patch', 'sc', name, '--type=merge', '-p', '{"provisioner":"example.com/other"}'], { minor });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`The StorageClass "${name}" is invalid: provisioner: Forbidden: updates to provisioner are forbidden.`);
    } finally {
      kubectl(['delete', 'sc', name], { minor });
    }
  });
});

describe('storage object in-use protection', { timeout: 90_000 }, () => {
  it('keeps a claim a pod uses until the pod is gone, then lets it go', async () => {
    const ns = uniqueName('pvcprot');
    kubectlOk(['create', 'namespace', ns]);
    try {
      kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: JSON.stringify({
        apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'held' },
        spec: { accessModes: ['ReadWriteOnce'], storageClassName: uniqueName('none'), resources: { requests: { storage: '1Mi' } } },
      }) });
      expect(JSON.parse(kubectlOk(['get', 'pvc', 'held', '-n', ns, '-o', 'json'])).metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
      // A pod that can never be scheduled still uses the claim.
      kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'user' },
        spec: { nodeSelector: { 'tskube.test/nowhere': 'true' }, containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName: 'held' } }] },
      }) });
      kubectlOk(['delete', 'pvc', 'held', '-n', ns, '--wait=false']);
      await new Promise((r) => setTimeout(r, 2000));
      const held = JSON.parse(kubectlOk(['get', 'pvc', 'held', '-n', ns, '-o', 'json']));
      expect(held.metadata.deletionTimestamp).toBeTruthy();
      expect(kubectlOk(['get', 'pvc', 'held', '-n', ns]).split('\n')[1]).toMatch(/^held\s+Terminating\s/);
      kubectlOk(['delete', 'pod', 'user', '-n', ns, '--grace-period=0', '--force']);
      await eventually(() => kubectl(['get', 'pvc', 'held', '-n', ns]).code === 1, 30_000, 500);
    } finally {
      kubectl(['delete', 'namespace', ns, '--wait=false']);
    }
  });
});
