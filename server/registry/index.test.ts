import { describe, expect, it } from 'vitest';
import { findByKind, findResource, resources } from './index.ts';
import { groupCatalogue } from '../discovery/groups.ts';
import type { ResourceDef } from './types.ts';

/** The review APIs: answered per request, never stored. */
const isCreateOnly = (d: ResourceDef): boolean => d.verbs?.length === 1 && d.verbs[0] === 'create';
/** metrics.k8s.io: computed per request from the kubelets, never stored. */
const isComputed = (d: ResourceDef): boolean => d.group === 'metrics.k8s.io';

describe('the resource catalogue', () => {
  it('serves every stored resource of the brief exactly once', () => {
    const ids = resources.filter((d) => !isCreateOnly(d) && !isComputed(d)).map((d) => `${d.group || 'core'}/${d.version}/${d.plural}`);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      'core/v1/configmaps', 'core/v1/endpoints', 'core/v1/events', 'core/v1/limitranges', 'core/v1/namespaces', 'core/v1/nodes',
      'core/v1/persistentvolumeclaims', 'core/v1/persistentvolumes', 'core/v1/pods', 'core/v1/podtemplates', 'core/v1/replicationcontrollers',
      'core/v1/resourcequotas', 'core/v1/secrets', 'core/v1/serviceaccounts', 'core/v1/services',
      'apps/v1/controllerrevisions', 'apps/v1/daemonsets', 'apps/v1/deployments', 'apps/v1/replicasets', 'apps/v1/statefulsets',
      'events.k8s.io/v1/events',
      'batch/v1/cronjobs', 'batch/v1/jobs',
      'policy/v1/poddisruptionbudgets',
      'rbac.authorization.k8s.io/v1/clusterrolebindings', 'rbac.authorization.k8s.io/v1/clusterroles', 'rbac.authorization.k8s.io/v1/rolebindings', 'rbac.authorization.k8s.io/v1/roles',
      'storage.k8s.io/v1/storageclasses',
      'scheduling.k8s.io/v1/priorityclasses',
      'coordination.k8s.io/v1/leases',
      'discovery.k8s.io/v1/endpointslices',
    ]);
  });

  it('serves the review APIs as create-only resources', () => {
    expect(resources.filter(isCreateOnly).map((d) => `${d.group}/${d.plural}`).sort()).toEqual([
      'authentication.k8s.io/selfsubjectreviews', 'authentication.k8s.io/tokenreviews', 'authorization.k8s.io/localsubjectaccessreviews',
      'authorization.k8s.io/selfsubjectaccessreviews', 'authorization.k8s.io/selfsubjectrulesreviews', 'authorization.k8s.io/subjectaccessreviews',
    ]);
  });

  it.each([
    ['pods', ['po'], ['all']],
    ['services', ['svc'], ['all']],
    ['replicationcontrollers', ['rc'], ['all']],
    ['nodes', ['no'], undefined],
    ['namespaces', ['ns'], undefined],
    ['configmaps', ['cm'], undefined],
    ['endpoints', ['ep'], undefined],
    ['events', ['ev'], undefined],
    ['limitranges', ['limits'], undefined],
    ['resourcequotas', ['quota'], undefined],
    ['persistentvolumes', ['pv'], undefined],
    ['persistentvolumeclaims', ['pvc'], undefined],
    ['serviceaccounts', ['sa'], undefined],
    ['secrets', undefined, undefined],
  ])('core %s has shortNames %j and categories %j', (plural, shortNames, categories) => {
    const def = findResource('', 'v1', plural)!;
    expect(def.shortNames).toEqual(shortNames);
    expect(def.categories).toEqual(categories);
  });

  it.each([
    ['apps', 'deployments', ['deploy'], ['all']],
    ['apps', 'replicasets', ['rs'], ['all']],
    ['apps', 'statefulsets', ['sts'], ['all']],
    ['apps', 'daemonsets', ['ds'], ['all']],
    ['apps', 'controllerrevisions', undefined, undefined],
    ['batch', 'jobs', undefined, ['all']],
    ['batch', 'cronjobs', ['cj'], ['all']],
    ['policy', 'poddisruptionbudgets', ['pdb'], undefined],
    ['scheduling.k8s.io', 'priorityclasses', ['pc'], undefined],
    ['events.k8s.io', 'events', ['ev'], undefined],
  ])('%s %s has shortNames %j and categories %j', (group, plural, shortNames, categories) => {
    const def = findResource(group, 'v1', plural)!;
    expect(def.shortNames).toEqual(shortNames);
    expect(def.categories).toEqual(categories);
  });

  it('uses upstream etcd key segments', () => {
    const keys = Object.fromEntries(resources.filter((d) => d.storageName).map((d) => [`${d.group}/${d.plural}`, d.storageName]));
    expect(keys).toEqual({ '/nodes': 'minions', '/services': 'services/specs', '/endpoints': 'services/endpoints', '/replicationcontrollers': 'controllers', 'events.k8s.io/events': 'events' });
  });

  it('sets generation where upstream does', () => {
    expect(resources.filter((d) => d.hasGeneration).map((d) => d.plural).sort()).toEqual([
      'cronjobs', 'daemonsets', 'deployments', 'endpointslices', 'jobs', 'poddisruptionbudgets', 'replicasets', 'replicationcontrollers', 'statefulsets',
    ]);
  });

  it('declares the status, scale and binding subresources', () => {
    const status = resources.filter((d) => d.subresources?.status).map((d) => d.plural).sort();
    expect(status).toEqual([
      'cronjobs', 'daemonsets', 'deployments', 'jobs', 'namespaces', 'nodes', 'persistentvolumeclaims', 'persistentvolumes',
      'poddisruptionbudgets', 'pods', 'replicasets', 'replicationcontrollers', 'resourcequotas', 'services', 'statefulsets',
    ]);
    expect(resources.filter((d) => d.subresources?.scale).map((d) => d.plural).sort()).toEqual(['deployments', 'replicasets', 'replicationcontrollers', 'statefulsets']);
    expect(resources.filter((d) => d.subresources?.binding).map((d) => d.plural)).toEqual(['pods']);
  });

  it('serves metrics.k8s.io nodes (cluster) and pods (namespaced) read-only, as metrics-server', () => {
    expect(resources.filter(isComputed).map((d) => `${d.kind}:${d.plural}:${d.singular}:${d.namespaced}:${d.verbs?.join(',')}`)).toEqual([
      'NodeMetrics:nodes::false:get,list', 'PodMetrics:pods::true:get,list',
    ]);
  });

  it('scopes cluster resources', () => {
    expect(resources.filter((d) => !d.namespaced && !isCreateOnly(d) && !isComputed(d)).map((d) => d.plural).sort()).toEqual(['clusterrolebindings', 'clusterroles', 'namespaces', 'nodes', 'persistentvolumes', 'priorityclasses', 'storageclasses']);
  });

  it('finds resources by kind', () => {
    expect(findByKind('apps', 'Deployment')?.plural).toBe('deployments');
    expect(findByKind('', 'Endpoints')?.plural).toBe('endpoints');
    expect(findByKind('apps', 'Pod')).toBeUndefined();
  });

  it('lists groups in upstream discovery order with preferred versions', () => {
    expect(groupCatalogue(resources).map((g) => `${g.name}:${g.versions[0]!.version}`)).toEqual([
      ':v1', 'apps:v1', 'events.k8s.io:v1', 'authentication.k8s.io:v1', 'authorization.k8s.io:v1', 'batch:v1', 'policy:v1', 'rbac.authorization.k8s.io:v1', 'storage.k8s.io:v1', 'scheduling.k8s.io:v1', 'coordination.k8s.io:v1', 'discovery.k8s.io:v1', 'metrics.k8s.io:v1beta1',
    ]);
  });

  it('gives every printed resource an AGE-like column and every column a description', () => {
    for (const d of resources) {
      for (const c of d.columns ?? []) {
        expect(c.description.length, `${d.plural} ${c.name}`).toBeGreaterThan(0);
        expect([0, 1]).toContain(c.priority);
      }
    }
  });
});
