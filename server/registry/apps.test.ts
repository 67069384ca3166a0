import { describe, expect, it } from 'vitest';
import type { KubeObject } from './types.ts';
import { controllerOf, controllerrevisions, daemonsets, deployments, replicasets, statefulsets } from './apps.ts';
import { cells, lines, runCreate, runUpdate } from './test-helpers.ts';

const template = (labels: Record<string, string> | undefined = { app: 'web' }) => ({
  metadata: labels ? { labels } : {},
  spec: { containers: [{ name: 'web', image: 'nginx:1.25' }] },
});

const deployment = (spec: Record<string, unknown> = {}): Partial<KubeObject> => ({
  metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { matchLabels: { app: 'web' } }, template: template(), ...spec },
});

describe('deployments', () => {
  it('get upstream defaults and an empty status', () => {
    const { obj, errors } = runCreate(deployments, { ...deployment(), status: { replicas: 9 } });
    expect(errors).toEqual([]);
    const spec = obj.spec as Record<string, unknown>;
    expect(spec.replicas).toBe(1);
    expect(spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    expect(spec.revisionHistoryLimit).toBe(10);
    expect(spec.progressDeadlineSeconds).toBe(600);
    expect((spec.template as { metadata: unknown }).metadata).toEqual({ labels: { app: 'web' }, creationTimestamp: null });
    expect(obj.status).toEqual({});
    expect(obj.metadata.generation).toBe(1);
  });

  it('without a selector report it and the template mismatch, as upstream', () => {
    const { errors } = runCreate(deployments, { metadata: { name: 'web', namespace: 'default' }, spec: { template: template() } });
    expect(lines(errors)).toEqual([
      'spec.selector: Required value',
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]);
  });

  it('reject a selector that does not match the template', () => {
    const { errors } = runCreate(deployments, deployment({ selector: { matchLabels: { app: 'other' } } }));
    expect(lines(errors)).toEqual(['spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`']);
  });

  it('reject an empty selector', () => {
    const { errors } = runCreate(deployments, deployment({ selector: {} }));
    expect(lines(errors)).toEqual(['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment']);
  });

  it.each([
    ['negative replicas', { replicas: -1 }, ['spec.replicas: Invalid value: -1: must be greater than or equal to 0']],
    ['maxSurge and maxUnavailable both 0', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } } }, ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0']],
    ['maxUnavailable above 100%', { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } } }, ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 150%: must not be greater than 100%']],
    ['rollingUpdate with Recreate', { strategy: { type: 'Recreate', rollingUpdate: {} } }, ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]],
    ['a restart policy other than Always', { template: { ...template(), spec: { restartPolicy: 'Never', containers: [{ name: 'w', image: 'x' }] } } }, ['spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"']],
    ['a progress deadline not above minReadySeconds', { minReadySeconds: 700 }, ['spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds']],
  ])('reject %s', (_n, spec, expected) => {
    expect(lines(runCreate(deployments, deployment(spec)).errors)).toEqual(expected);
  });

  it('keep their selector immutable', () => {
    const created = runCreate(deployments, deployment()).obj;
    const next = structuredClone(created);
    (next.spec as Record<string, unknown>).selector = { matchLabels: { app: 'nginx2' } };
    (next.spec as { template: { metadata: { labels: unknown } } }).template.metadata.labels = { app: 'nginx2' };
    expect(lines(runUpdate(deployments, next, created).errors)).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"nginx2"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });

  it('print READY UP-TO-DATE AVAILABLE AGE | CONTAINERS IMAGES SELECTOR', () => {
    const d = runCreate(deployments, deployment({ replicas: 3 })).obj;
    d.status = { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 };
    expect(deployments.columns!.map((c) => [c.name, c.priority])).toEqual([
      ['Ready', 0],
      ['Up-to-date', 0],
      ['Available', 0],
      ['Age', 0],
      ['Containers', 1],
      ['Images', 1],
      ['Selector', 1],
    ]);
    expect(cells(deployments, d)).toEqual({ Ready: '2/3', 'Up-to-date': 3, Available: 2, Age: '60m', Containers: 'web', Images: 'nginx:1.25', Selector: 'app=web' });
  });

  it('scale through spec.replicas / status.replicas', () => {
    expect(deployments.subresources?.scale).toEqual({ specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' });
  });
});

describe('replicasets', () => {
  it('start with status.replicas 0 and keep the deployment wording for empty selectors', () => {
    const { obj } = runCreate(replicasets, deployment());
    expect(obj.status).toEqual({ replicas: 0 });
    expect(lines(runCreate(replicasets, deployment({ selector: {} })).errors)[0]).toContain('empty selector is invalid for deployment');
  });

  it('print DESIRED CURRENT READY and select by status.replicas', () => {
    const rs = runCreate(replicasets, deployment({ replicas: 2 })).obj;
    rs.status = { replicas: 2, readyReplicas: 1 };
    expect(cells(replicasets, rs)).toMatchObject({ Desired: 2, Current: 2, Ready: 1, Selector: 'app=web' });
    expect(replicasets.fieldSelectors!['status.replicas'](rs)).toBe('2');
  });
});

describe('statefulsets', () => {
  const sts = (): Partial<KubeObject> => ({
    ...deployment(),
    spec: { ...(deployment().spec as object), serviceName: 'web', volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] },
  });

  it('get upstream defaults, volume claim templates included', () => {
    const { obj, errors } = runCreate(statefulsets, sts());
    expect(errors).toEqual([]);
    const spec = obj.spec as Record<string, unknown>;
    expect(spec.podManagementPolicy).toBe('OrderedReady');
    expect(spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { partition: 0 } });
    expect(spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
    expect((spec.volumeClaimTemplates as unknown[])[0]).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: 'www', creationTimestamp: null },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' },
      status: { phase: 'Pending' },
    });
    expect(obj.status).toEqual({ replicas: 0, availableReplicas: 0 });
  });

  it('forbid updates outside the allowed fields', () => {
    const created = runCreate(statefulsets, sts()).obj;
    const next = structuredClone(created);
    (next.spec as Record<string, unknown>).serviceName = 'other';
    expect(lines(runUpdate(statefulsets, next, created).errors)).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
    (next.spec as Record<string, unknown>).serviceName = 'web';
    (next.spec as Record<string, unknown>).replicas = 5;
    expect(runUpdate(statefulsets, next, created).errors).toEqual([]);
  });

  it('print READY AGE | CONTAINERS IMAGES', () => {
    const s = runCreate(statefulsets, sts()).obj;
    expect(cells(statefulsets, s)).toEqual({ Ready: '0/1', Age: '60m', Containers: 'web', Images: 'nginx:1.25' });
  });
});

describe('daemonsets', () => {
  it('default their update strategy and track the template generation', () => {
    const { obj, errors } = runCreate(daemonsets, deployment());
    expect(errors).toEqual([]);
    expect((obj.spec as Record<string, unknown>).updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
    expect(obj.metadata.annotations).toEqual({ 'deprecated.daemonset.template.generation': '1' });
    const next = structuredClone(obj);
    (next.spec as { template: { spec: { containers: { image: string }[] } } }).template.spec.containers[0].image = 'nginx:1.26';
    expect(runUpdate(daemonsets, next, obj).obj.metadata.annotations).toEqual({ 'deprecated.daemonset.template.generation': '2' });
  });

  it('reject both maxSurge and maxUnavailable', () => {
    const { errors } = runCreate(daemonsets, deployment({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } }));
    expect(lines(errors)).toEqual(['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero']);
  });

  it('print the node selector', () => {
    const ds = runCreate(daemonsets, deployment({ template: { ...template(), spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'w', image: 'x' }] } } })).obj;
    expect(cells(daemonsets, ds)).toMatchObject({ Desired: 0, 'Node Selector': 'kubernetes.io/os=linux' });
  });
});

describe('controllerrevisions', () => {
  it('require data and keep it immutable', () => {
    expect(lines(runCreate(controllerrevisions, { metadata: { name: 'r', namespace: 'default' }, revision: 1 }).errors)).toEqual(['data: Required value: data is mandatory']);
    const created = runCreate(controllerrevisions, { metadata: { name: 'r', namespace: 'default' }, revision: 1, data: { a: 1 } }).obj;
    const next = { ...structuredClone(created), data: { a: 2 } };
    expect(lines(runUpdate(controllerrevisions, next, created).errors)).toEqual(['data: Invalid value: {"a":2}: field is immutable']);
  });

  it('print the controller as kind.group/name', () => {
    const cr: KubeObject = { metadata: { name: 'r', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u', controller: true }] } };
    expect(controllerOf(cr)).toBe('statefulset.apps/web');
  });
});
