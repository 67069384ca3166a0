import { describe, expect, it } from 'vitest';
import { definitionPackage, loadModels, parseDts } from './openapi-models.ts';

describe('client-node models under upstream definition names', () => {
  const models = loadModels();

  it.each([
    ['V1Deployment', 'io.k8s.api.apps.v1.Deployment'],
    ['V1PodSpec', 'io.k8s.api.core.v1.PodSpec'],
    ['V1PodTemplateSpec', 'io.k8s.api.core.v1.PodTemplateSpec'],
    ['V1ObjectMeta', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta'],
    ['V1LabelSelector', 'io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector'],
    ['V1Condition', 'io.k8s.apimachinery.pkg.apis.meta.v1.Condition'],
    ['V1Scale', 'io.k8s.api.autoscaling.v1.Scale'],
    ['V1ScaleSpec', 'io.k8s.api.autoscaling.v1.ScaleSpec'],
    ['V1Eviction', 'io.k8s.api.policy.v1.Eviction'],
    ['AuthenticationV1TokenRequest', 'io.k8s.api.authentication.v1.TokenRequest'],
    ['V1TokenRequestSpec', 'io.k8s.api.authentication.v1.TokenRequestSpec'],
    ['CoreV1Event', 'io.k8s.api.core.v1.Event'],
    ['V1EventSource', 'io.k8s.api.core.v1.EventSource'],
    ['EventsV1Event', 'io.k8s.api.events.v1.Event'],
    ['RbacV1Subject', 'io.k8s.api.rbac.v1.Subject'],
    ['V1ClusterRole', 'io.k8s.api.rbac.v1.ClusterRole'],
    ['V2HorizontalPodAutoscaler', 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler'],
    ['V1JobTemplateSpec', 'io.k8s.api.batch.v1.JobTemplateSpec'],
    ['V1FlowSchema', 'io.k8s.api.flowcontrol.v1.FlowSchema'],
    ['V1CustomResourceDefinition', 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition'],
    ['V1APIService', 'io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService'],
    ['V1alpha1StorageVersion', 'io.k8s.api.apiserverinternal.v1alpha1.StorageVersion'],
    ['VersionInfo', 'io.k8s.apimachinery.pkg.version.Info'],
  ])('maps %s to %s', (cls, definition) => {
    expect(models.byClass.get(cls)?.definition).toBe(definition);
    expect(models.byDefinition.get(definition)?.className).toBe(cls);
  });

  it('gives each definition name to one class only', () => {
    expect(models.byDefinition.size).toBe(models.byClass.size);
  });

  it('reads field types from the .js and docs and required-ness from the .d.ts', () => {
    const spec = models.byDefinition.get('io.k8s.api.apps.v1.DeploymentSpec')!;
    const replicas = spec.props.find((p) => p.json === 'replicas')!;
    expect(replicas).toMatchObject({ type: 'number', format: 'int32', required: false });
    expect(replicas.description).toMatch(/^Number of desired pods\. This is a pointer/);
    expect(spec.props.find((p) => p.json === 'selector')).toMatchObject({ type: 'V1LabelSelector', required: true });
  });

  it.each([
    ['', 'io.k8s.api.core'],
    ['apps', 'io.k8s.api.apps'],
    ['rbac.authorization.k8s.io', 'io.k8s.api.rbac'],
    ['flowcontrol.apiserver.k8s.io', 'io.k8s.api.flowcontrol'],
    ['internal.apiserver.k8s.io', 'io.k8s.api.apiserverinternal'],
    ['stable.example.com', 'com.example.stable'],
  ])('puts group %j in package %s', (group, pkg) => {
    expect(definitionPackage(group)).toBe(pkg);
  });
});

describe('.d.ts doc parsing', () => {
  it('takes the class comment, property comments, escapes and required-ness', () => {
    const docs = parseDts(`/**
 * Kubernetes
 */
import { X } from './X.js';
/**
* Thing does \\"things\\".
* Second line.
*/
export declare class V1Thing {
    /**
    * The pod\\'s name.
    */
    'name': string;
    'spec'?: V1ThingSpec;
    'labels'?: {
        [key: string]: string;
    };
}
`);
    expect(docs.classDoc).toBe('Thing does "things".\nSecond line.');
    expect(docs.props.get('name')).toEqual({ description: "The pod's name.", required: true });
    expect(docs.props.get('spec')).toEqual({ description: undefined, required: false });
    expect(docs.props.get('labels')).toEqual({ description: undefined, required: false });
  });
});
