import { describe, expect, it } from 'vitest';
import { parseGoJson } from '../patch/go-json.ts';
import { checkFields, typeError } from './fields.ts';
import { schemaOf } from './schema.ts';
import { validateBody } from './request.ts';
import type { ResourceDef } from '../registry/types.ts';

const deployments = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true } as ResourceDef;
const schema = schemaOf(deployments)!;

describe('field validation', () => {
  it('reports unknown fields with their full path and drops them', () => {
    const obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', bogus: 1, labels: { any: 'key' } }, spec: { foo: 1, template: { spec: { containers: [{ name: 'c', nope: true }] } } }, extra: 2 };
    expect(checkFields(schema, obj)).toEqual(['unknown field "metadata.bogus"', 'unknown field "spec.foo"', 'unknown field "spec.template.spec.containers[0].nope"', 'unknown field "extra"']);
    expect(obj).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', labels: { any: 'key' } }, spec: { template: { spec: { containers: [{ name: 'c' }] } } } });
  });

  it('reports duplicate members by their own name, in document order', () => {
    const doc = parseGoJson('{"spec":{"replicas":1,"replicas":2,"paused":true,"paused":false}}');
    expect(checkFields(schema, doc.value, doc)).toEqual(['duplicate field "replicas"', 'duplicate field "paused"']);
  });

  it('answers Strict with upstream\'s 400 text and Warn with warnings', () => {
    const body = Buffer.from('{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"},"spec":{"foo":1}}');
    const make = () => JSON.parse(body.toString()) as never;
    expect(() => validateBody(deployments, make(), 'Strict', body)).toThrow('Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"');
    expect(validateBody(deployments, make(), 'Warn', body)).toEqual(['unknown field "spec.foo"']);
    expect(validateBody(deployments, make(), 'Ignore', body)).toEqual([]);
  });

  it.each([
    [{ spec: { replicas: '3' } }, 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'],
    [{ spec: { replicas: 1.5 } }, 'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32'],
    [{ metadata: { labels: { a: 1 } } }, 'json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string'],
    [{ spec: { template: { spec: { containers: [{ name: 'c', image: 7 }] } } } }, 'json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string'],
    [{ spec: { template: 'x' } }, 'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.template of type v1.PodTemplateSpec'],
    [{ spec: { strategy: { rollingUpdate: { maxSurge: '25%' } }, paused: false } }, undefined],
  ])('reports Go\'s type error for %j', (obj, want) => {
    expect(typeError(schema, obj)).toBe(want);
  });
});
