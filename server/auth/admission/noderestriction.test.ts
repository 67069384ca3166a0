import { describe, expect, it } from 'vitest';
import type { ResourceDef } from '../../registry/types.ts';
import { forbiddenNodeLabels, nodeRestriction } from './noderestriction.ts';
import type { AdmissionAttributes } from './types.ts';

const nodes = { group: '', version: 'v1', kind: 'Node', plural: 'nodes', singular: 'node', namespaced: false } as ResourceDef;
const pods = { group: '', version: 'v1', kind: 'Pod', plural: 'pods', singular: 'pod', namespaced: true } as ResourceDef;
const kubelet = { name: 'system:node:n1', uid: '', groups: ['system:nodes', 'system:authenticated'] };

function attrs(over: Partial<AdmissionAttributes>): AdmissionAttributes {
  return { operation: 'UPDATE', def: nodes, namespace: '', name: 'n1', subresource: '', object: { metadata: { name: 'n1' } }, user: kubelet, dryRun: false, ...over };
}
const NODE_UID = 'uid-n1';
const message = async (a: AdmissionAttributes): Promise<string | undefined> => {
  try {
    await nodeRestriction(async (name) => (name === 'n1' ? NODE_UID : undefined)).validate!(a);
    return undefined;
  } catch (e: unknown) {
    return (e as Error).message;
  }
};

describe('NodeRestriction', () => {
  it('forbids node-restriction labels and kubernetes.io / k8s.io labels a kubelet does not own', () => {
    expect(forbiddenNodeLabels([
      'kubernetes.io/hostname', 'node.kubernetes.io/instance-type', 'kubelet.kubernetes.io/x', 'topology.kubernetes.io/zone', 'example.com/ok', 'plain',
      'node-restriction.kubernetes.io/tier', 'foo.node-restriction.kubernetes.io/x', 'node-role.kubernetes.io/worker', 'x.k8s.io/y',
    ])).toEqual(['foo.node-restriction.kubernetes.io/x', 'node-restriction.kubernetes.io/tier', 'node-role.kubernetes.io/worker', 'x.k8s.io/y']);
  });

  it('lets a kubelet register and update its own Node, and no other', async () => {
    expect(await message(attrs({ operation: 'CREATE', object: { metadata: { name: 'n1', labels: { 'kubernetes.io/os': 'linux' } } } }))).toBeUndefined();
    expect(await message(attrs({ name: 'n2', object: { metadata: { name: 'n2' } }, oldObject: { metadata: { name: 'n2' } } }))).toBe('nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    expect(await message(attrs({ operation: 'DELETE', name: 'n2', object: { metadata: { name: 'n2' } } }))).toBe('nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    expect(await message(attrs({ operation: 'CREATE', object: { metadata: { name: 'n1', labels: { 'node-role.kubernetes.io/master': '' } } } })))
      .toBe('nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-role.kubernetes.io/master');
  });

  it('refuses taint and restricted label changes after registration, but allows status and other labels', async () => {
    const old = { metadata: { name: 'n1', labels: { a: '1' } }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } };
    expect(await message(attrs({ oldObject: old, object: { ...old, spec: {} } }))).toBe('nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    expect(await message(attrs({ oldObject: old, object: { ...old, metadata: { ...old.metadata, labels: { a: '2', 'node-restriction.kubernetes.io/x': 'y' } } } })))
      .toBe('nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/x');
    expect(await message(attrs({ oldObject: old, object: { ...old, metadata: { ...old.metadata, labels: { a: '2' } } } }))).toBeUndefined();
    expect(await message(attrs({ subresource: 'status', oldObject: old, object: { ...old, status: { phase: 'Running' } } }))).toBeUndefined();
  });

  it('lets a kubelet create only mirror pods bound to and owned by its Node, referencing nothing else', async () => {
    const owner = { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: NODE_UID, controller: true };
    const mirror = { 'kubernetes.io/config.mirror': 'x' };
    const pod = (spec: Record<string, unknown>, meta: Record<string, unknown> = {}) =>
      ({ metadata: { name: 'p', namespace: 'ns', annotations: mirror, ownerReferences: [owner], ...meta }, spec: { nodeName: 'n1', ...spec } });
    const create = (object: ReturnType<typeof pod>) => message(attrs({ def: pods, operation: 'CREATE', name: 'p', object }));
    expect(await create(pod({}))).toBeUndefined();
    expect(await create(pod({}, { annotations: {} }))).toBe('pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods');
    expect(await create(pod({ nodeName: 'n2' }))).toBe('pods "p" is forbidden: node "n1" can only create pods with spec.nodeName set to itself');
    expect(await create(pod({}, { ownerReferences: [] }))).toBe('pods "p" is forbidden: node "n1" can only create pods with an owner reference set to itself');
    expect(await create(pod({}, { ownerReferences: [{ ...owner, controller: false }] }))).toBe('pods "p" is forbidden: node "n1" can only create pods with a controller owner reference set to itself');
    expect(await create(pod({}, { ownerReferences: [{ ...owner, uid: 'other' }] }))).toBe('pods "p" is forbidden: node n1 UID mismatch: expected other got uid-n1');
    expect(await create(pod({ serviceAccountName: 'admin' }))).toBe('pods "p" is forbidden: node "n1" can not create pods that reference a service account');
    expect(await create(pod({ volumes: [{ name: 'v', secret: { secretName: 's' } }] }))).toBe('pods "p" is forbidden: node "n1" can not create pods that reference secrets');
    expect(await create(pod({ containers: [{ name: 'c', envFrom: [{ configMapRef: { name: 'cm' } }] }] }))).toBe('pods "p" is forbidden: node "n1" can not create pods that reference configmaps');
  });

  it('lets a kubelet delete and evict only its own pods, and change no labels through pod status', async () => {
    const pod = (nodeName: string, labels?: Record<string, string>) => ({ metadata: { name: 'p', namespace: 'ns', labels }, spec: { nodeName } });
    expect(await message(attrs({ def: pods, operation: 'DELETE', name: 'p', object: pod('n2'), oldObject: pod('n2') })))
      .toBe('pods "p" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
    expect(await message(attrs({ def: pods, operation: 'DELETE', name: 'p', object: pod('n1'), oldObject: pod('n1') }))).toBeUndefined();
    const eviction = { metadata: { name: 'p', namespace: 'ns' } };
    expect(await message(attrs({ def: pods, operation: 'CREATE', subresource: 'eviction', name: 'p', object: eviction, oldObject: pod('n2') })))
      .toBe('pods "p" is forbidden: node n1 can only evict pods with spec.nodeName set to itself');
    expect(await message(attrs({ def: pods, operation: 'UPDATE', subresource: 'status', name: 'p', object: pod('n1', { a: 'b' }), oldObject: pod('n1') })))
      .toBe('pods "p" is forbidden: node "n1" cannot update labels through pod status');
    expect(await message(attrs({ def: pods, operation: 'UPDATE', subresource: 'status', name: 'p', object: pod('n1'), oldObject: pod('n1') }))).toBeUndefined();
  });

  it('leaves everyone but kubelets alone', async () => {
    expect(await message(attrs({ name: 'n2', user: { name: 'admin', uid: '', groups: ['system:masters'] } }))).toBeUndefined();
  });
});
