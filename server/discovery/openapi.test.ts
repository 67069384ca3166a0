import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FIXTURE } from './fixture-catalogue.ts';
import { OpenAPIDocuments, v3PathKey } from './openapi.ts';

type Json = { [key: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking arbitrary parsed JSON in assertions

const docs = new OpenAPIDocuments(FIXTURE, { extraSubresources: ['pods/log', 'pods/exec', 'pods/eviction', 'serviceaccounts/token'] });
const v3 = (key: string): Json => JSON.parse(docs.v3(key)!.body) as Json;
const apps = v3('apis/apps/v1');
const core = v3('api/v1');
const swagger = JSON.parse(docs.v2().body) as Json;

/** Follows `$ref` or a single-entry `allOf` to the named schema, as kubectl does. */
function deref(doc: Json, s: Json): Json {
  const target = (s.$ref ?? s.allOf?.[0]?.$ref) as string | undefined;
  const schemas = (doc.components?.schemas ?? doc.definitions) as Json;
  return target ? schemas[target.slice(target.lastIndexOf('/') + 1)] : s;
}

function collectRefs(node: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(node)) for (const x of node) collectRefs(x, out);
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') out.add(v);
      else collectRefs(v, out);
    }
  }
  return out;
}

/** kubectl's queryParamVerifierV3: the first PATCH operation with the GVK must list the parameter. */
function supportsFieldValidation(doc: Json, gvk: { group: string; version: string; kind: string }): boolean {
  for (const item of Object.values(doc.paths) as Json[]) {
    const op = item.patch;
    const ext = op?.['x-kubernetes-group-version-kind'];
    if (!op || ext?.group !== gvk.group || ext?.version !== gvk.version || ext?.kind !== gvk.kind) continue;
    return (op.parameters ?? []).some((p: Json) => p.name === 'fieldValidation' && p.in === 'query');
  }
  return false;
}

describe('OpenAPI v3', () => {
  it('documents Deployment.spec.strategy down to RollingUpdateDeployment with descriptions', () => {
    const schemas = apps.components.schemas;
    const deployment = schemas['io.k8s.api.apps.v1.Deployment'];
    expect(deployment['x-kubernetes-group-version-kind']).toEqual([{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
    expect(deployment.properties.metadata.description).toMatch(/^Standard object's metadata/);
    const spec = deref(apps, deployment.properties.spec);
    expect(spec.required).toEqual(['selector', 'template']);
    expect(spec.properties.replicas).toMatchObject({ type: 'integer', format: 'int32', description: expect.stringMatching(/Number of desired pods/) });
    const strategy = deref(apps, spec.properties.strategy);
    expect(strategy.description).toBe('DeploymentStrategy describes how to replace existing pods with new ones.');
    const rolling = deref(apps, strategy.properties.rollingUpdate);
    expect(Object.keys(rolling.properties)).toEqual(['maxSurge', 'maxUnavailable']);
    expect(rolling.properties.maxSurge.description).toMatch(/^The maximum number of pods that can be scheduled above the desired number/);
    expect(rolling.properties.maxUnavailable.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString' }]);
    expect(schemas['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({ format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] });
  });

  it('names every definition as upstream does and resolves every $ref inside the document', () => {
    for (const key of ['api/v1', 'apis/apps/v1', 'apis/batch/v1', 'apis/events.k8s.io/v1']) {
      const doc = v3(key);
      for (const ref of collectRefs(doc, new Set())) {
        expect(ref.startsWith('#/components/schemas/')).toBe(true);
        expect(doc.components.schemas, `${key}: ${ref}`).toHaveProperty([ref.slice('#/components/schemas/'.length)]);
      }
    }
    expect(Object.keys(core.components.schemas)).toEqual(expect.arrayContaining([
      'io.k8s.api.core.v1.PodSpec', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', 'io.k8s.apimachinery.pkg.apis.meta.v1.Time',
      'io.k8s.api.policy.v1.Eviction', 'io.k8s.api.authentication.v1.TokenRequest', 'io.k8s.api.autoscaling.v1.Scale',
    ]));
  });

  it('carries the strategic-merge metadata of well-known lists', () => {
    const s = core.components.schemas;
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.containers).toMatchObject({
      'x-kubernetes-list-map-keys': ['name'], 'x-kubernetes-list-type': 'map', 'x-kubernetes-patch-merge-key': 'name', 'x-kubernetes-patch-strategy': 'merge',
    });
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.volumes['x-kubernetes-patch-strategy']).toBe('merge,retainKeys');
    expect(s['io.k8s.api.core.v1.Container'].properties.ports).toMatchObject({
      'x-kubernetes-list-map-keys': ['containerPort', 'protocol'], 'x-kubernetes-patch-merge-key': 'containerPort',
    });
    expect(s['io.k8s.api.core.v1.ServiceSpec'].properties.ports['x-kubernetes-list-map-keys']).toEqual(['port', 'protocol']);
    expect(s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.finalizers).toMatchObject({ 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' });
    expect(s['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'].properties.ownerReferences['x-kubernetes-patch-merge-key']).toBe('uid');
    expect(s['io.k8s.api.core.v1.PodSpec'].properties.containers.items).toEqual({ default: {}, allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.Container' }] });
  });

  it.each(FIXTURE.filter((d) => d.verbs === undefined || d.verbs.includes('patch')).map((d) => [`${d.group || 'core'}/${d.version} ${d.kind}`, d] as const))(
    'advertises fieldValidation on PATCH for %s, as kubectl checks',
    (_name, def) => {
      expect(supportsFieldValidation(v3(v3PathKey(def.group, def.version)), def)).toBe(true);
    },
  );

  it('gives every PATCH operation of a kind the parameter (kubectl takes the first it finds)', () => {
    for (const item of Object.values(apps.paths) as Json[]) {
      if (item.patch) expect(item.patch.parameters.map((p: Json) => p.name)).toEqual(['dryRun', 'fieldManager', 'fieldValidation', 'force']);
    }
    expect(apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'].patch['x-kubernetes-group-version-kind']).toEqual({ group: 'autoscaling', kind: 'Scale', version: 'v1' });
  });

  it('names operations as upstream does', () => {
    const ids = (doc: Json): string[] => (Object.values(doc.paths) as Json[]).flatMap((item) => Object.values(item).filter((o: Json) => o.operationId).map((o: Json) => o.operationId as string));
    expect(ids(apps)).toEqual(expect.arrayContaining([
      'getAppsV1APIResources', 'listAppsV1NamespacedDeployment', 'createAppsV1NamespacedDeployment', 'deleteAppsV1CollectionNamespacedDeployment',
      'readAppsV1NamespacedDeployment', 'replaceAppsV1NamespacedDeployment', 'patchAppsV1NamespacedDeployment', 'deleteAppsV1NamespacedDeployment',
      'listAppsV1DeploymentForAllNamespaces', 'readAppsV1NamespacedDeploymentScale', 'patchAppsV1NamespacedDeploymentStatus',
    ]));
    expect(ids(core)).toEqual(expect.arrayContaining([
      'listCoreV1Node', 'deleteCoreV1CollectionNode', 'createCoreV1NamespacedPodBinding', 'createCoreV1NamespacedBinding',
      'createCoreV1NamespacedPodEviction', 'readCoreV1NamespacedPodLog', 'connectCoreV1GetNamespacedPodExec', 'connectCoreV1PostNamespacedPodExec',
      'createCoreV1NamespacedServiceAccountToken',
    ]));
    expect(new Set(ids(core)).size).toBe(ids(core).length);
    expect(v3('apis/rbac.authorization.k8s.io/v1').paths['/apis/rbac.authorization.k8s.io/v1/clusterroles'].get.tags).toEqual(['rbacAuthorization_v1']);
  });

  it('lists every group-version in the index with the sha512 hash of its document', () => {
    const index = JSON.parse(docs.v3Index().body) as { paths: Record<string, { serverRelativeURL: string }> };
    expect(Object.keys(index.paths)).toEqual([
      'api/v1', 'apis/apps/v1', 'apis/authentication.k8s.io/v1', 'apis/autoscaling/v1', 'apis/autoscaling/v2', 'apis/batch/v1',
      'apis/coordination.k8s.io/v1', 'apis/events.k8s.io/v1', 'apis/rbac.authorization.k8s.io/v1',
    ]);
    for (const [key, { serverRelativeURL }] of Object.entries(index.paths)) {
      const hash = createHash('sha512').update(docs.v3(key)!.body).digest('hex').toUpperCase();
      expect(serverRelativeURL).toBe(`/openapi/v3/${key}?hash=${hash}`);
    }
  });

  it('builds each document once and serves the same bytes again', () => {
    expect(docs.v3('apis/apps/v1')).toBe(docs.v3('apis/apps/v1'));
    expect(new OpenAPIDocuments(FIXTURE, { extraSubresources: ['pods/log', 'pods/exec', 'pods/eviction', 'serviceaccounts/token'] }).v3('apis/apps/v1')!.hash).toBe(docs.v3('apis/apps/v1')!.hash);
    expect(docs.v3('apis/apps/v2')).toBeUndefined();
    expect(docs.v3('nonsense')).toBeUndefined();
  });
});

describe('OpenAPI v2', () => {
  it('is one Swagger 2.0 document with bare $refs that all resolve', () => {
    expect(swagger.swagger).toBe('2.0');
    expect(swagger.info).toEqual({ title: 'Kubernetes', version: 'v1.33.0' });
    for (const ref of collectRefs(swagger, new Set())) {
      expect(ref.startsWith('#/definitions/')).toBe(true);
      expect(swagger.definitions).toHaveProperty([ref.slice('#/definitions/'.length)]);
    }
    const rolling = swagger.definitions['io.k8s.api.apps.v1.DeploymentStrategy'].properties.rollingUpdate;
    expect(rolling).toEqual({ $ref: '#/definitions/io.k8s.api.apps.v1.RollingUpdateDeployment', description: expect.stringMatching(/^Rolling update config params/) });
    expect(swagger.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({ type: 'string', format: 'int-or-string' });
  });

  it('carries every group-version and inline fieldValidation on writes', () => {
    expect(Object.keys(swagger.paths)).toEqual(expect.arrayContaining(['/api/v1/namespaces/{namespace}/pods', '/apis/apps/v1/namespaces/{namespace}/deployments/{name}', '/apis/autoscaling/v2/horizontalpodautoscalers']));
    const patch = swagger.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'].patch;
    expect(patch.consumes).toContain('application/strategic-merge-patch+json');
    expect(patch.parameters.map((p: Json) => p.name)).toEqual(['body', 'dryRun', 'fieldManager', 'fieldValidation', 'force']);
    expect(swagger.definitions['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']['x-kubernetes-group-version-kind']).toContainEqual({ group: 'apps', kind: 'DeleteOptions', version: 'v1' });
  });
});
