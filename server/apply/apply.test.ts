import { describe, expect, it } from 'vitest';
import type { KubeObject, ResourceDef } from '../registry/types.ts';
import { applyObject, type ApplyRequest } from './apply.ts';
import { FieldSet, pathString } from './fieldpath.ts';
import { recordUpdate } from './managed.ts';

const def = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true, subresources: { status: true } } as ResourceDef;
const req = (manager: string, force = false): ApplyRequest => ({ def, namespace: 'ns', name: 'd', manager, force, subresource: '' });

function config(replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { app: 'd', ...extra } },
    spec: { replicas, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [{ name: 'c', image: 'i' }] } } },
  };
}

describe('server-side apply', () => {
  it('creates, records an Apply entry and prunes what the manager stops applying', () => {
    const first = applyObject(req('a'), undefined, config(1, { tier: 'fe' }));
    expect(first.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'a', operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' })]);
    const second = applyObject(req('a'), first, config(2));
    expect(second.metadata.labels).toEqual({ app: 'd' });
    expect((second.spec as { replicas: number }).replicas).toBe(2);
  });

  it('refuses to change a field another manager owns with upstream\'s conflict text, and force takes it over', () => {
    const live = applyObject(req('a'), undefined, config(1));
    expect(() => applyObject(req('b'), live, config(3))).toThrow('Apply failed with 1 conflict: conflict with "a": .spec.replicas');
    const forced = applyObject(req('b', true), live, config(3));
    const managers = forced.metadata.managedFields as { manager: string; fieldsV1: Record<string, unknown> }[];
    expect(FieldSet.fromFieldsV1(managers.find((m) => m.manager === 'a')!.fieldsV1).has(['f:spec', 'f:replicas'])).toBe(false);
    expect(FieldSet.fromFieldsV1(managers.find((m) => m.manager === 'b')!.fieldsV1).has(['f:spec', 'f:replicas'])).toBe(true);
  });

  it('names an Update manager with its apiVersion in conflicts', () => {
    const live = config(1);
    recordUpdate(def, undefined, live, 'kubectl-client-side-apply');
    expect(() => applyObject(req('kubectl'), live, config(2))).toThrow('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  });

  it('prints keyed list paths as fieldpath does', () => {
    expect(pathString(['f:spec', 'f:containers', 'k:{"name":"c"}', 'f:image'])).toBe('.spec.containers[name="c"].image');
    expect(pathString(['f:metadata', 'f:finalizers', 'v:"x"'])).toBe('.metadata.finalizers[="x"]');
  });

  it('records an Update manager\'s fields like upstream (maps and list items carry ".")', () => {
    const obj: KubeObject = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    recordUpdate({ group: '', version: 'v1', kind: 'ConfigMap', plural: 'configmaps', singular: 'configmap', namespaced: true } as ResourceDef, undefined, obj, 'kubectl-create');
    expect((obj.metadata.managedFields as { fieldsV1: unknown }[])[0]!.fieldsV1).toEqual({ 'f:data': { '.': {}, 'f:a': {} } });
  });
});
