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
const message = (a: AdmissionAttributes): string | undefined => {
  try {
    nodeRestriction().validate!(a);
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

  it('lets a kubelet register and update its own Node, and no other', () => {
    expect(message(attrs({ operation: 'CREATE', object: { metadata: { name: 'n1', labels: { 'kubernetes.io/os': 'linux' } } } }))).toBeUndefined();
    expect(message(attrs({ name: 'n2', object: { metadata: { name: 'n2' } }, oldObject: { metadata: { name: 'n2' } } }))).toBe('nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    expect(message(attrs({ operation: 'DELETE', name: 'n2', object: { metadata: { name: 'n2' } } }))).toBe('nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
    expect(message(attrs({ operation: 'CREATE', object: { metadata: { name: 'n1', labels: { 'node-role.kubernetes.io/master': '' } } } })))
      .toBe('nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-role.kubernetes.io/master');
  });

  it('refuses taint, ownerReference and restricted label changes after registration, but allows status and other labels', () => {
    const old = { metadata: { name: 'n1', labels: { a: '1' } }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } };
    expect(message(attrs({ oldObject: old, object: { ...old, spec: {} } }))).toBe('nodes "n1" is forbidden: node "n1" is not allowed to modify taints');
    expect(message(attrs({ oldObject: old, object: { ...old, metadata: { ...old.metadata, labels: { a: '2', 'node-restriction.kubernetes.io/x': 'y' } } } })))
      .toBe('nodes "n1" is forbidden: is not allowed to modify labels: node-restriction.kubernetes.io/x');
    expect(message(attrs({ oldObject: old, object: { ...old, metadata: { ...old.metadata, labels: { a: '2' } } } }))).toBeUndefined();
    expect(message(attrs({ subresource: 'status', oldObject: old, object: { ...old, status: { phase: 'Running' } } }))).toBeUndefined();
  });

  it('lets a kubelet create only mirror pods bound to itself and delete only its own pods', () => {
    const pod = (nodeName: string, annotations?: Record<string, string>) => ({ metadata: { name: 'p', namespace: 'ns', annotations }, spec: { nodeName } });
    expect(message(attrs({ def: pods, operation: 'CREATE', name: 'p', object: pod('n1') })))
      .toBe('pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods');
    expect(message(attrs({ def: pods, operation: 'CREATE', name: 'p', object: pod('n2', { 'kubernetes.io/config.mirror': 'x' }) })))
      .toBe('pods "p" is forbidden: node "n1" can only create pods with spec.nodeName set to itself');
    expect(message(attrs({ def: pods, operation: 'DELETE', name: 'p', object: pod('n2'), oldObject: pod('n2') })))
      .toBe('pods "p" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself');
    expect(message(attrs({ def: pods, operation: 'DELETE', name: 'p', object: pod('n1'), oldObject: pod('n1') }))).toBeUndefined();
  });

  it('leaves everyone but kubelets alone', () => {
    expect(message(attrs({ name: 'n2', user: { name: 'admin', uid: '', groups: ['system:masters'] } }))).toBeUndefined();
  });
});
