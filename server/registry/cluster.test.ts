import { describe, expect, it } from 'vitest';
import type { KubeObject } from './types.ts';
import { namespaces, nodeRoles, nodeStatus, nodes } from './cluster.ts';
import { cells, lines, runCreate, runUpdate } from './test-helpers.ts';

describe('namespaces', () => {
  it('start Active with the kubernetes finalizer and the name label', () => {
    const { obj, errors } = runCreate(namespaces, { metadata: { name: 'team-a' }, status: { phase: 'Terminating' } });
    expect(errors).toEqual([]);
    expect(obj.status).toEqual({ phase: 'Active' });
    expect(obj.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(obj.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
  });

  it('use DNS-1123 label names', () => {
    expect(lines(runCreate(namespaces, { metadata: { name: 'a.b' } }).errors)).toEqual(['metadata.name: Invalid value: "a.b": must not contain dots']);
  });

  it('reject unqualified custom finalizers', () => {
    expect(lines(runCreate(namespaces, { metadata: { name: 'a' }, spec: { finalizers: ['custom'] } }).errors)).toEqual([
      'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });

  it('restore the name label on update', () => {
    const created = runCreate(namespaces, { metadata: { name: 'a' } }).obj;
    const next = structuredClone(created);
    next.metadata.labels = {};
    expect(runUpdate(namespaces, next, created).obj.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'a' });
  });

  it('have no deletecollection verb and select by status.phase', () => {
    expect(namespaces.verbs).not.toContain('deletecollection');
    expect(Object.keys(namespaces.fieldSelectors!)).toEqual(['status.phase']);
  });
});

describe('nodes', () => {
  const node = (labels: Record<string, string>, conditions: unknown[], unschedulable = false): KubeObject => ({
    metadata: { name: 'n1', labels, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: { unschedulable },
    status: {
      conditions,
      addresses: [{ type: 'InternalIP', address: '192.168.1.10' }, { type: 'Hostname', address: 'n1' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian GNU/Linux 12 (bookworm)', kernelVersion: '6.1.0', containerRuntimeVersion: 'containerd://1.7.0' },
    },
  });

  it.each([
    [[{ type: 'Ready', status: 'True' }], false, 'Ready'],
    [[{ type: 'Ready', status: 'False' }], false, 'NotReady'],
    [[{ type: 'Ready', status: 'Unknown' }], true, 'NotReady,SchedulingDisabled'],
    [[], false, 'Unknown'],
  ])('status of %j (cordoned %s) is %s', (conditions, cordoned, text) => {
    expect(nodeStatus(node({}, conditions, cordoned))).toBe(text);
  });

  it('find roles in labels', () => {
    expect(nodeRoles(node({ 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'master' }, []))).toBe('control-plane,master');
    expect(nodeRoles(node({}, []))).toBe('<none>');
  });

  it('keep their status on create and print the wide columns', () => {
    const { obj, errors } = runCreate(nodes, node({}, [{ type: 'Ready', status: 'True' }]));
    expect(errors).toEqual([]);
    expect(cells(nodes, obj)).toEqual({
      Status: 'Ready',
      Roles: '<none>',
      Age: '60m',
      Version: 'v1.32.0',
      'Internal-IP': '192.168.1.10',
      'External-IP': '<none>',
      'OS-Image': 'Debian GNU/Linux 12 (bookworm)',
      'Kernel-Version': '6.1.0',
      'Container-Runtime': 'containerd://1.7.0',
    });
    expect(nodes.storageName).toBe('minions');
    expect(nodes.fieldSelectors!['spec.unschedulable'](obj)).toBe('false');
  });

  it('default allocatable to capacity', () => {
    const { obj } = runCreate(nodes, { metadata: { name: 'n' }, status: { capacity: { cpu: '2' } } });
    expect((obj.status as Record<string, unknown>).allocatable).toEqual({ cpu: '2' });
  });
});
