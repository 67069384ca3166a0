// The PersistentVolume binder against the project's real API server: pre-bound volumes and claims, races, mismatches, reclaim policies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, type ApiClient, type KubeObject } from '../runtime/index.ts';
import { eventually, startTestControlPlane, type TestControlPlane } from '../test-control-plane.ts';

const ns = 'pv-it';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- objects are read field by field
type Json = Record<string, any>;

describe('the persistentvolume-binder on a real API server', () => {
  let plane: TestControlPlane;
  let client: ApiClient;

  beforeAll(async () => {
    plane = await startTestControlPlane('pv-it');
    client = plane.client;
    await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    await plane.startControllers(['persistentvolume-binder', 'pvc-protection', 'pv-protection']);
  });
  afterAll(async () => {
    await plane?.stop();
  });

  const createPV = (name: string, spec: Json = {}): Promise<KubeObject> =>
    client.request('POST', '/api/v1/persistentvolumes', {
      body: { apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/pv-it/${name}` }, storageClassName: 'it', ...spec } },
    });
  const createPVC = (name: string, spec: Json = {}): Promise<KubeObject> =>
    client.request('POST', `/api/v1/namespaces/${ns}/persistentvolumeclaims`, {
      body: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '100Mi' } }, storageClassName: 'it', ...spec } },
    });
  const getPV = (name: string): Promise<Json> => client.request('GET', `/api/v1/persistentvolumes/${name}`);
  const getPVC = (name: string): Promise<Json> => client.request('GET', `/api/v1/namespaces/${ns}/persistentvolumeclaims/${name}`);
  const phaseIs = (get: () => Promise<Json>, phase: string) => async (): Promise<Json | undefined> => {
    const o = await get();
    return o.status?.phase === phase ? o : undefined;
  };
  const eventFor = (name: string, reason: string) => async (): Promise<Json | undefined> => {
    const list = await client.request<{ items: Json[] }>('GET', `/api/v1/namespaces/${ns}/events`);
    return list.items.find((e) => e.involvedObject?.name === name && e.reason === reason);
  };

  it('binds a volume pre-bound by the user only to the claim it names, without bound-by-controller on the volume', async () => {
    await createPV('reserved', { claimRef: { namespace: ns, name: 'owner' }, capacity: { storage: '100Mi' } });
    await createPV('spare', { capacity: { storage: '5Gi' } });
    await eventually(phaseIs(() => getPV('reserved'), 'Available'), 'reserved Available');
    await createPVC('stranger');
    const stranger = await eventually(phaseIs(() => getPVC('stranger'), 'Bound'), 'stranger Bound');
    expect(stranger.spec.volumeName).toBe('spare');
    const owner = await createPVC('owner');
    const bound = await eventually(phaseIs(() => getPVC('owner'), 'Bound'), 'owner Bound');
    expect(bound.spec.volumeName).toBe('reserved');
    const pv = await eventually(phaseIs(() => getPV('reserved'), 'Bound'), 'reserved Bound');
    expect(pv.spec.claimRef).toMatchObject({ name: 'owner', uid: owner.metadata.uid });
    expect(pv.metadata.annotations?.['pv.kubernetes.io/bound-by-controller']).toBeUndefined();
    expect(bound.metadata.annotations).toMatchObject({ 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' });
  });

  it('binds a claim naming its volume, and reports a volume that does not fit with VolumeMismatch', async () => {
    await createPV('named', { capacity: { storage: '200Mi' } });
    await createPVC('wants-named', { volumeName: 'named' });
    const c = await eventually(phaseIs(() => getPVC('wants-named'), 'Bound'), 'wants-named Bound');
    expect(c.metadata.annotations).toEqual({ 'pv.kubernetes.io/bind-completed': 'yes' });
    expect(c.status).toMatchObject({ capacity: { storage: '200Mi' }, accessModes: ['ReadWriteOnce'] });
    expect((await getPV('named')).metadata.annotations?.['pv.kubernetes.io/bound-by-controller']).toBe('yes');

    await createPV('tiny', { capacity: { storage: '10Mi' } });
    await createPVC('wants-tiny', { volumeName: 'tiny' });
    const ev = await eventually(eventFor('wants-tiny', 'VolumeMismatch'), 'a VolumeMismatch event');
    expect(ev).toMatchObject({ type: 'Warning', message: 'Cannot bind to requested volume "tiny": requested PV is too small' });
    expect((await getPVC('wants-tiny')).status.phase).toBe('Pending');
  });

  it('gives one volume to exactly one of two claims racing for it', async () => {
    await createPV('contested', { storageClassName: 'race' });
    await Promise.all([createPVC('racer-a', { storageClassName: 'race' }), createPVC('racer-b', { storageClassName: 'race' })]);
    const pv = await eventually(phaseIs(() => getPV('contested'), 'Bound'), 'contested Bound');
    const winner = pv.spec.claimRef.name as string;
    const loser = winner === 'racer-a' ? 'racer-b' : 'racer-a';
    await eventually(phaseIs(() => getPVC(winner), 'Bound'), 'the winner Bound');
    await new Promise((r) => setTimeout(r, 500));
    expect((await getPVC(loser)).status.phase).toBe('Pending');
    expect(await eventually(eventFor(loser, 'ProvisioningFailed'), 'ProvisioningFailed for the class without an object')).toMatchObject({ message: 'storageclass.storage.k8s.io "race" not found' });
  });

  it('deletes a Delete volume under /tmp once its claim goes, and fails one it cannot delete', async () => {
    await createPV('disposable', { persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'del' });
    await createPVC('short-lived', { storageClassName: 'del' });
    await eventually(phaseIs(() => getPVC('short-lived'), 'Bound'), 'short-lived Bound');
    await client.request('DELETE', `/api/v1/namespaces/${ns}/persistentvolumeclaims/short-lived`);
    await eventually(async () => {
      try {
        await getPV('disposable');
        return undefined;
      } catch (e: unknown) {
        return e instanceof ApiError && e.code === 404 ? true : undefined;
      }
    }, 'the Delete volume removed');

    await createPV('kept-data', { persistentVolumeReclaimPolicy: 'Delete', storageClassName: 'del2', hostPath: { path: '/srv/kept' } });
    await createPVC('gone-soon', { storageClassName: 'del2' });
    await eventually(phaseIs(() => getPVC('gone-soon'), 'Bound'), 'gone-soon Bound');
    await client.request('DELETE', `/api/v1/namespaces/${ns}/persistentvolumeclaims/gone-soon`);
    const failed = await eventually(phaseIs(() => getPV('kept-data'), 'Failed'), 'kept-data Failed');
    expect(failed.status.message).toBe('host_path deleter only supports /tmp/.+ but received provided /srv/kept');
    const list = await client.request<{ items: Json[] }>('GET', '/api/v1/namespaces/default/events');
    expect(list.items.find((e) => e.involvedObject?.name === 'kept-data')).toMatchObject({ reason: 'VolumeFailedDelete', type: 'Warning' });
  });

  it('marks a bound claim Lost with ClaimLost when its volume disappears', async () => {
    await createPV('vanishing', { storageClassName: 'lost' });
    await createPVC('orphan', { storageClassName: 'lost' });
    await eventually(phaseIs(() => getPVC('orphan'), 'Bound'), 'orphan Bound');
    await client.request('DELETE', '/api/v1/persistentvolumes/vanishing');
    // pv-protection holds a Bound volume back; an administrator forcing it out is how a claim loses its volume.
    const held = await getPV('vanishing');
    expect(held.metadata.finalizers).toEqual(['kubernetes.io/pv-protection']);
    await client.request('PATCH', '/api/v1/persistentvolumes/vanishing', { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    const lost = await eventually(phaseIs(() => getPVC('orphan'), 'Lost'), 'orphan Lost');
    expect(lost.status.capacity).toBeUndefined();
    expect(await eventually(eventFor('orphan', 'ClaimLost'), 'a ClaimLost event')).toMatchObject({ type: 'Warning', message: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!' });
  });
});
