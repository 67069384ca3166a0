import { describe, expect, it } from 'vitest';
import type { ResourceDef } from '../registry/types.ts';
import { aggregatedDiscovery } from './aggregated.ts';
import { FIXTURE } from './fixture-catalogue.ts';

const deployments: ResourceDef = {
  group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true,
  shortNames: ['deploy'], categories: ['all'],
  subresources: { status: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas' } },
};

describe('aggregated discovery', () => {
  it('renders a group exactly as apidiscovery.k8s.io/v2 does on the wire', () => {
    expect(JSON.stringify(aggregatedDiscovery([deployments], 'apis', 'v2'))).toBe(
      '{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[' +
        '{"metadata":{"name":"apps","creationTimestamp":null},"versions":[{"version":"v1","resources":[' +
        '{"resource":"deployments","responseKind":{"group":"apps","version":"v1","kind":"Deployment"},"scope":"Namespaced",' +
        '"singularResource":"deployment","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],' +
        '"shortNames":["deploy"],"categories":["all"],"subresources":[' +
        '{"subresource":"scale","responseKind":{"group":"autoscaling","version":"v1","kind":"Scale"},"verbs":["get","patch","update"]},' +
        '{"subresource":"status","responseKind":{"group":"apps","version":"v1","kind":"Deployment"},"verbs":["get","patch","update"]}' +
        ']}],"freshness":"Current"}]}]}',
    );
  });

  it('differs between v2 and v2beta1 only in apiVersion', () => {
    const v2 = aggregatedDiscovery(FIXTURE, 'apis', 'v2');
    const beta = aggregatedDiscovery(FIXTURE, 'apis', 'v2beta1');
    expect(beta.apiVersion).toBe('apidiscovery.k8s.io/v2beta1');
    expect({ ...beta, apiVersion: v2.apiVersion }).toEqual(v2);
  });

  it('serves only the core group at /api, with no name in its metadata', () => {
    const list = aggregatedDiscovery(FIXTURE, 'api', 'v2');
    expect(list.items).toHaveLength(1);
    expect(list.items[0]!.metadata).toEqual({ creationTimestamp: null });
    const pods = list.items[0]!.versions[0]!.resources!.find((r) => r.resource === 'pods')!;
    expect(pods).toMatchObject({ responseKind: { group: '', version: 'v1', kind: 'Pod' }, scope: 'Namespaced', singularResource: 'pod', shortNames: ['po'] });
    expect(pods.subresources!.map((s) => s.subresource)).toEqual(['binding', 'status']);
    const nodes = list.items[0]!.versions[0]!.resources!.find((r) => r.resource === 'nodes')!;
    expect(nodes.scope).toBe('Cluster');
  });

  it('serves every other group at /apis, preferred version first, each version Current', () => {
    const list = aggregatedDiscovery(FIXTURE, 'apis', 'v2');
    expect(list.items.map((g) => g.metadata.name)).not.toContain(undefined);
    const autoscaling = list.items.find((g) => g.metadata.name === 'autoscaling')!;
    expect(autoscaling.versions.map((v) => v.version)).toEqual(['v2', 'v1']);
    for (const g of list.items) for (const v of g.versions) expect(v.freshness).toBe('Current');
  });

  it('includes extra subresources with their own response kinds', () => {
    const list = aggregatedDiscovery(FIXTURE, 'api', 'v2', { extraSubresources: ['pods/eviction', 'serviceaccounts/token'] });
    const resources = list.items[0]!.versions[0]!.resources!;
    expect(resources.find((r) => r.resource === 'pods')!.subresources).toContainEqual({
      subresource: 'eviction', responseKind: { group: 'policy', version: 'v1', kind: 'Eviction' }, verbs: ['create'],
    });
    expect(resources.find((r) => r.resource === 'serviceaccounts')!.subresources).toEqual([
      { subresource: 'token', responseKind: { group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest' }, verbs: ['create'] },
    ]);
  });
});
