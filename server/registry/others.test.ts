import { describe, expect, it } from 'vitest';
import type { KubeObject } from './types.ts';
import { clusterrolebindings, clusterroles, rolebindings, roles } from './rbac.ts';
import { accessModesString, persistentvolumeclaims, persistentvolumes } from './volumes.ts';
import { podtemplates, replicationcontrollers } from './replication.ts';
import { limitranges, quotaCells, resourcequotas } from './quota.ts';
import { endpointslices, leases, poddisruptionbudgets, priorityclasses } from './small-groups.ts';
import { cells, lines, runCreate, runUpdate } from './test-helpers.ts';

const ns = (name: string) => ({ name, namespace: 'default' });

describe('RBAC', () => {
  it('accept path-segment names and reject rules without verbs', () => {
    expect(runCreate(clusterroles, { metadata: { name: 'system:controller:x' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] }).errors).toEqual([]);
    expect(lines(runCreate(roles, { metadata: ns('r'), rules: [{ apiGroups: [''], resources: ['pods'] }] }).errors)).toEqual(['rules[0].verbs: Required value: verbs must contain at least one value']);
    expect(lines(runCreate(roles, { metadata: ns('r'), rules: [{ nonResourceURLs: ['/healthz'], verbs: ['get'] }] }).errors)).toEqual([
      'rules[0].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
    ]);
  });

  it('default subject and roleRef API groups', () => {
    const { obj, errors } = runCreate(rolebindings, { metadata: ns('b'), roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'User', name: 'jane' }, { kind: 'ServiceAccount', name: 'default', namespace: 'default' }] });
    expect(errors).toEqual([]);
    expect(obj.roleRef).toEqual({ kind: 'Role', name: 'r', apiGroup: 'rbac.authorization.k8s.io' });
    expect(obj.subjects).toEqual([
      { kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' },
      { kind: 'ServiceAccount', name: 'default', namespace: 'default', apiGroup: '' },
    ]);
  });

  it('bind cluster-wide only to ClusterRoles, with namespaced service accounts', () => {
    expect(lines(runCreate(clusterrolebindings, { metadata: { name: 'b' }, roleRef: { kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] }).errors)).toEqual([
      'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      'subjects[0].namespace: Required value',
    ]);
  });

  it('keep roleRef immutable', () => {
    const created = runCreate(rolebindings, { metadata: ns('b'), roleRef: { kind: 'Role', name: 'r' } }).obj;
    const next = { ...structuredClone(created), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'other' } };
    expect(lines(runUpdate(rolebindings, next, created).errors)).toEqual(['roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef']);
  });

  it('print ROLE AGE | USERS GROUPS SERVICEACCOUNTS for bindings, Created At for roles', () => {
    const b = runCreate(clusterrolebindings, { metadata: { name: 'b' }, roleRef: { kind: 'ClusterRole', name: 'view' }, subjects: [{ kind: 'Group', name: 'devs' }, { kind: 'ServiceAccount', name: 'sa', namespace: 'ci' }] }).obj;
    expect(cells(clusterrolebindings, b)).toEqual({ Role: 'ClusterRole/view', Age: '60m', Users: '', Groups: 'devs', ServiceAccounts: 'ci/sa' });
    expect(roles.columns).toBeUndefined();
    expect(clusterroles.columns).toBeUndefined();
  });
});

describe('persistent volumes and claims', () => {
  it('default PVs and start them Pending', () => {
    const { obj, errors } = runCreate(persistentvolumes, { metadata: { name: 'pv1' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' } } });
    expect(errors).toEqual([]);
    expect(obj.spec).toMatchObject({ persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' });
    expect((obj.status as Record<string, unknown>).phase).toBe('Pending');
    expect(cells(persistentvolumes, obj)).toMatchObject({ Capacity: '1Gi', 'Access Modes': 'RWO', 'Reclaim Policy': 'Retain', Status: 'Pending', Claim: '', StorageClass: '', VolumeMode: 'Filesystem' });
  });

  it('require a volume source and capacity', () => {
    expect(lines(runCreate(persistentvolumes, { metadata: { name: 'pv1' }, spec: { accessModes: ['ReadWriteOnce'] } }).errors)).toEqual(['spec.capacity: Required value', 'spec: Required value: must specify a volume type']);
  });

  it('validate claims and print them', () => {
    expect(lines(runCreate(persistentvolumeclaims, { metadata: ns('c'), spec: {} }).errors)).toEqual(['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Required value']);
    const { obj } = runCreate(persistentvolumeclaims, { metadata: ns('c'), spec: { accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], resources: { requests: { storage: '1Gi' } } } });
    expect(obj.status).toEqual({ phase: 'Pending' });
    expect(cells(persistentvolumeclaims, obj)).toMatchObject({ Status: 'Pending', Volume: '', Capacity: '', 'Access Modes': '' });
    expect(accessModesString(['ReadOnlyMany', 'ReadWriteOnce', 'ReadWriteOnce'])).toBe('RWO,ROX');
  });

  it('let the binder set volumeName but keep the rest of a claim spec', () => {
    const created = runCreate(persistentvolumeclaims, { metadata: ns('c'), spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }).obj;
    const bound = structuredClone(created);
    (bound.spec as Record<string, unknown>).volumeName = 'pv1';
    expect(runUpdate(persistentvolumeclaims, bound, created).errors).toEqual([]);
    const changed = structuredClone(created);
    (changed.spec as Record<string, unknown>).accessModes = ['ReadWriteMany'];
    expect(lines(runUpdate(persistentvolumeclaims, changed, created).errors)).toEqual(['spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims']);
  });
});

describe('replication controllers and pod templates', () => {
  const rc = (): Partial<KubeObject> => ({ metadata: ns('rc'), spec: { template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } });

  it('default selector and labels from the template', () => {
    const { obj, errors } = runCreate(replicationcontrollers, rc());
    expect(errors).toEqual([]);
    expect((obj.spec as Record<string, unknown>).selector).toEqual({ app: 'a' });
    expect(obj.metadata.labels).toEqual({ app: 'a' });
    expect(obj.status).toEqual({ replicas: 0 });
    expect(cells(replicationcontrollers, obj)).toMatchObject({ Desired: 1, Current: 0, Ready: 0, Selector: 'app=a' });
    expect(replicationcontrollers.storageName).toBe('controllers');
  });

  it('reject a selector that does not match', () => {
    const input = rc();
    (input.spec as Record<string, unknown>).selector = { app: 'b' };
    expect(lines(runCreate(replicationcontrollers, input).errors)).toEqual(['spec.template.metadata.labels: Invalid value: map[string]string{"app":"a"}: `selector` does not match template `labels`']);
  });

  it('print pod templates with CONTAINERS IMAGES POD LABELS', () => {
    const { obj } = runCreate(podtemplates, { metadata: ns('t'), template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } });
    expect(cells(podtemplates, obj)).toEqual({ Containers: 'c', Images: 'x', 'Pod Labels': 'app=a' });
  });
});

describe('limit ranges and quotas', () => {
  it('default container limits from max and requests from defaults', () => {
    const { obj } = runCreate(limitranges, { metadata: ns('l'), spec: { limits: [{ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' } }] } });
    expect((obj.spec as { limits: unknown[] }).limits[0]).toEqual({ type: 'Container', max: { cpu: '1' }, min: { memory: '64Mi' }, default: { cpu: '1' }, defaultRequest: { cpu: '1', memory: '64Mi' } });
  });

  it('print quota usage split into requests and limits', () => {
    const rq: KubeObject = { metadata: { name: 'q' }, status: { hard: { pods: '10', 'limits.cpu': '2', 'requests.cpu': '1' }, used: { pods: '3', 'requests.cpu': '500m' } } };
    expect(quotaCells(rq)).toEqual({ request: 'pods: 3/10, requests.cpu: 500m/1', limit: 'limits.cpu: 0/2' });
    expect(runCreate(resourcequotas, { metadata: ns('q'), spec: { hard: { pods: '10' } }, status: { hard: {} } }).obj.status).toEqual({});
  });
});

describe('leases, endpoint slices, disruption budgets, priority classes', () => {
  it('check lease durations', () => {
    expect(lines(runCreate(leases, { metadata: ns('l'), spec: { leaseDurationSeconds: 0 } }).errors)).toEqual(['spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0']);
    expect(cells(leases, { metadata: { name: 'l', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { holderIdentity: 'node-1' } })).toEqual({ Holder: 'node-1', Age: '60m' });
  });

  it('check endpoint slices and print them', () => {
    const { obj, errors } = runCreate(endpointslices, { metadata: ns('s'), addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] });
    expect(errors).toEqual([]);
    expect(obj.ports).toEqual([{ port: 80, name: '', protocol: 'TCP' }]);
    expect(cells(endpointslices, obj)).toMatchObject({ AddressType: 'IPv4', Ports: '80', Endpoints: '10.0.0.1' });
    expect(lines(runCreate(endpointslices, { metadata: ns('s'), addressType: 'IPv4', endpoints: [{ addresses: ['::1'] }] }).errors)).toEqual(['endpoints[0].addresses[0]: Invalid value: "::1": must be a valid IPv4 address']);
  });

  it('check disruption budgets and print them', () => {
    expect(lines(runCreate(poddisruptionbudgets, { metadata: ns('p'), spec: { minAvailable: 1, maxUnavailable: 1 } }).errors)).toEqual(['spec: Invalid value: {"minAvailable":1,"maxUnavailable":1}: minAvailable and maxUnavailable cannot be both set']);
    const { obj } = runCreate(poddisruptionbudgets, { metadata: ns('p'), spec: { minAvailable: '50%', selector: { matchLabels: { app: 'a' } } } });
    expect(obj.status).toEqual({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 });
    expect(cells(poddisruptionbudgets, obj)).toMatchObject({ 'Min Available': '50%', 'Max Unavailable': 'N/A', 'Allowed Disruptions': 0 });
  });

  it('check priority classes', () => {
    const { obj } = runCreate(priorityclasses, { metadata: { name: 'high' }, value: 1000 });
    expect(obj.preemptionPolicy).toBe('PreemptLowerPriority');
    expect(lines(runCreate(priorityclasses, { metadata: { name: 'system-x' }, value: 1 }).errors)).toEqual([
      "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: name system-x is not a known system priority class",
    ]);
    expect(lines(runUpdate(priorityclasses, { ...structuredClone(obj), value: 2 }, obj).errors)).toEqual(['value: Forbidden: may not be changed in an update.']);
    expect(cells(priorityclasses, obj)).toMatchObject({ Value: 1000, 'Global-Default': false, PreemptionPolicy: 'PreemptLowerPriority' });
  });
});
