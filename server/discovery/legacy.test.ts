import { describe, expect, it } from 'vitest';
import type { ResourceDef } from '../registry/types.ts';
import { FIXTURE } from './fixture-catalogue.ts';
import { compareKubeVersions } from './groups.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, storageVersionHash } from './legacy.ts';

const EXTRAS = ['pods/log', 'pods/exec', 'pods/eviction', 'serviceaccounts/token'] as const;

describe('storageVersionHash', () => {
  // Values as a real kube-apiserver publishes them.
  it.each([
    ['', 'v1', 'Pod', 'xPOwRZ+Yhw8='],
    ['', 'v1', 'PodTemplate', 'LIXB2x4IFpk='],
    ['', 'v1', 'ReplicationController', 'Jond2If31h0='],
    ['apps', 'v1', 'Deployment', '8aSe+NMegvE='],
  ])('hashes %s/%s/%s like upstream', (group, version, kind, hash) => {
    expect(storageVersionHash(group, version, kind)).toBe(hash);
  });
});

describe('legacy discovery', () => {
  it('serves APIVersions at /api without an apiVersion field', () => {
    expect(JSON.stringify(apiVersions('10.0.0.1:6443'))).toBe(
      '{"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"10.0.0.1:6443"}]}',
    );
  });

  it('lists groups in upstream priority order with the preferred version first', () => {
    const list = apiGroupList(FIXTURE);
    expect(list.kind).toBe('APIGroupList');
    expect(list.groups.map((g) => g.name)).toEqual([
      'apps', 'events.k8s.io', 'authentication.k8s.io', 'autoscaling', 'batch', 'rbac.authorization.k8s.io', 'coordination.k8s.io',
    ]);
    const autoscaling = list.groups.find((g) => g.name === 'autoscaling')!;
    expect(autoscaling.versions.map((v) => v.groupVersion)).toEqual(['autoscaling/v2', 'autoscaling/v1']);
    expect(autoscaling.preferredVersion).toEqual({ groupVersion: 'autoscaling/v2', version: 'v2' });
  });

  it('serves one APIGroup and nothing for the core group or an unknown one', () => {
    expect(JSON.stringify(apiGroup(FIXTURE, 'apps'))).toBe(
      '{"kind":"APIGroup","apiVersion":"v1","name":"apps","versions":[{"groupVersion":"apps/v1","version":"v1"}],"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}}',
    );
    expect(apiGroup(FIXTURE, '')).toBeUndefined();
    expect(apiGroup(FIXTURE, 'nope.example.com')).toBeUndefined();
  });

  it('serves /api/v1 sorted, each resource followed by its subresources with upstream verbs', () => {
    const list = apiResourceList(FIXTURE, '', 'v1', { extraSubresources: EXTRAS })!;
    expect(list.groupVersion).toBe('v1');
    const names = list.resources.map((r) => r.name);
    expect(names.slice(names.indexOf('pods'), names.indexOf('pods') + 6)).toEqual([
      'pods', 'pods/binding', 'pods/eviction', 'pods/exec', 'pods/log', 'pods/status',
    ]);
    const byName = new Map(list.resources.map((r) => [r.name, r]));
    expect(JSON.stringify(byName.get('pods'))).toBe(
      '{"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["po"],"categories":["all"],"storageVersionHash":"xPOwRZ+Yhw8="}',
    );
    expect(JSON.stringify(byName.get('pods/status'))).toBe('{"name":"pods/status","singularName":"","namespaced":true,"kind":"Pod","verbs":["get","patch","update"]}');
    expect(byName.get('pods/binding')).toMatchObject({ kind: 'Binding', verbs: ['create'] });
    expect(byName.get('pods/log')).toMatchObject({ kind: 'Pod', verbs: ['get'] });
    expect(byName.get('pods/exec')).toMatchObject({ kind: 'PodExecOptions', verbs: ['create', 'get'] });
    expect(JSON.stringify(byName.get('pods/eviction'))).toBe(
      '{"name":"pods/eviction","singularName":"","namespaced":true,"group":"policy","version":"v1","kind":"Eviction","verbs":["create"]}',
    );
    expect(byName.get('serviceaccounts/token')).toMatchObject({ group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest', verbs: ['create'] });
    expect(byName.get('replicationcontrollers/scale')).toMatchObject({ group: 'autoscaling', version: 'v1', kind: 'Scale' });
    // Resources that are not stored (no watch) publish no storage version hash.
    expect(byName.get('bindings')).not.toHaveProperty('storageVersionHash');
  });

  it('serves deployments/scale as autoscaling/v1 Scale with get, patch and update', () => {
    const list = apiResourceList(FIXTURE, 'apps', 'v1')!;
    expect(list.groupVersion).toBe('apps/v1');
    expect(list.resources.find((r) => r.name === 'deployments/scale')).toEqual({
      name: 'deployments/scale', singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'],
    });
  });

  it('serves nothing for a group-version the catalogue lacks', () => {
    expect(apiResourceList(FIXTURE, 'apps', 'v1beta1')).toBeUndefined();
  });

  it('rejects an unknown extra subresource name: that is a wiring mistake', () => {
    expect(() => apiResourceList(FIXTURE, '', 'v1', { extraSubresources: ['pods/teleport'] })).toThrow(/unknown subresource/);
  });

  it('takes extra subresources of other groups as full specs', () => {
    const def: ResourceDef = { group: 'example.com', version: 'v1', kind: 'Widget', plural: 'widgets', singular: 'widget', namespaced: true };
    const list = apiResourceList([def], 'example.com', 'v1', {
      extraSubresources: [{ group: 'example.com', resource: 'widgets', subresource: { name: 'spin', verbs: ['update', 'get'] } }],
    })!;
    expect(list.resources[1]).toEqual({ name: 'widgets/spin', singularName: '', namespaced: true, kind: 'Widget', verbs: ['get', 'update'] });
  });
});

describe('kube-aware version order', () => {
  it('puts GA before beta before alpha, higher numbers first', () => {
    expect(['v1alpha1', 'v1', 'v2beta1', 'v1beta2', 'v2', 'foo'].sort(compareKubeVersions)).toEqual(['v2', 'v1', 'v2beta1', 'v1beta2', 'v1alpha1', 'foo']);
  });
});
