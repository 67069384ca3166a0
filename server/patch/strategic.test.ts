import { describe, expect, it } from 'vitest';
import { applyStrategicPatch, decodeStrategicPatch, goFormat } from './strategic.ts';
import { schemaOf } from '../validation/schema.ts';
import { PatchError } from './errors.ts';

const deployment = schemaOf({ group: 'apps', version: 'v1', kind: 'Deployment' });
const pod = schemaOf({ group: '', version: 'v1', kind: 'Pod' });

function base(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'd', labels: { a: '1', b: '2' }, finalizers: ['x', 'y', 'z'] },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            { name: 'a', image: 'a:1', env: [{ name: 'E1', value: '1' }, { name: 'E2', value: '2' }] },
            { name: 'b', image: 'b:1' },
          ],
          volumes: [{ name: 'v', emptyDir: {} }],
        },
      },
    },
  };
}

const patch = (body: unknown) => decodeStrategicPatch(JSON.stringify(body)).patch;
const spec = (o: Record<string, unknown>) => (o.spec as { template: { spec: Record<string, unknown> } }).template.spec;

describe('strategic merge patch', () => {
  it('merges list items by their merge key and keeps the others', () => {
    const out = applyStrategicPatch(base(), patch({ spec: { template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } }), deployment);
    expect(spec(out).containers).toEqual([
      { name: 'a', image: 'a:1', env: [{ name: 'E1', value: '1' }, { name: 'E2', value: '2' }] },
      { name: 'b', image: 'b:2' },
    ]);
  });

  it('orders a merged list by $setElementOrder and appends new items where the order says', () => {
    const out = applyStrategicPatch(
      base(),
      patch({ spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }, { name: 'b' }], containers: [{ name: 'c', image: 'c:1' }] } } } }),
      deployment,
    );
    expect((spec(out).containers as { name: string }[]).map((c) => c.name)).toEqual(['c', 'a', 'b']);
  });

  it('deletes list items with $patch: delete and map fields with null', () => {
    const out = applyStrategicPatch(
      base(),
      patch({ metadata: { labels: { b: null } }, spec: { template: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } } } }),
      deployment,
    );
    expect((spec(out).containers as { name: string }[]).map((c) => c.name)).toEqual(['b']);
    expect((out.metadata as { labels: unknown }).labels).toEqual({ a: '1' });
  });

  it('removes primitives named by $deleteFromPrimitiveList', () => {
    const out = applyStrategicPatch(base(), patch({ metadata: { '$deleteFromPrimitiveList/finalizers': ['y'] } }), deployment);
    expect((out.metadata as { finalizers: string[] }).finalizers).toEqual(['x', 'z']);
  });

  it('merges primitive lists with the merge strategy without duplicates', () => {
    const out = applyStrategicPatch(base(), patch({ metadata: { finalizers: ['z', 'w'] } }), deployment);
    expect((out.metadata as { finalizers: string[] }).finalizers).toEqual(['x', 'y', 'z', 'w']);
  });

  it('replaces a map with $patch: replace and a list with a $patch: replace item', () => {
    const out = applyStrategicPatch(base(), patch({ metadata: { labels: { c: '3', $patch: 'replace' } } }), deployment);
    expect((out.metadata as { labels: unknown }).labels).toEqual({ c: '3' });
    const out2 = applyStrategicPatch(base(), patch({ spec: { template: { spec: { containers: [{ name: 'z', image: 'z' }, { $patch: 'replace' }] } } } }), deployment);
    expect(spec(out2).containers).toEqual([{ name: 'z', image: 'z' }]);
  });

  it('clears the keys $retainKeys does not name', () => {
    const out = applyStrategicPatch(base(), patch({ spec: { template: { spec: { volumes: [{ name: 'v', hostPath: { path: '/x' }, $retainKeys: ['hostPath', 'name'] }] } } } }), deployment);
    expect(spec(out).volumes).toEqual([{ name: 'v', hostPath: { path: '/x' } }]);
  });

  it('refuses a patch field that $retainKeys does not list', () => {
    expect(() => applyStrategicPatch(base(), patch({ spec: { $retainKeys: ['x'], replicas: 2 } }), deployment)).toThrow('invalid patch format of retainKeys');
  });

  it('replaces lists without a merge strategy (tolerations, args)', () => {
    const p = { spec: { tolerations: [{ key: 'a' }], containers: [{ name: 'c', args: ['2'] }] } };
    const cur = { spec: { tolerations: [{ key: 'b' }], containers: [{ name: 'c', args: ['1', '3'] }] }, metadata: {} };
    const out = applyStrategicPatch(cur, patch(p), pod);
    expect(out.spec).toEqual({ tolerations: [{ key: 'a' }], containers: [{ name: 'c', args: ['2'] }] });
  });

  it('answers a patch list item without its merge key with upstream text', () => {
    expect(() => applyStrategicPatch(base(), patch({ spec: { template: { spec: { containers: [{ image: 'x' }] } } } }), deployment)).toThrow(
      'map: map[image:x] does not contain declared merge key: name',
    );
  });

  it('decodes non-object bodies as Go does', () => {
    expect(() => decodeStrategicPatch('[1]')).toThrow(PatchError);
    expect(() => decodeStrategicPatch('[1]')).toThrow('json: cannot unmarshal array into Go value of type map[string]interface {}');
    expect(decodeStrategicPatch('{"a":1,"a":2}').strictErrors).toEqual(['duplicate field "a"']);
  });

  it.each([
    [{ b: [1, 'x'], a: null }, 'map[a:<nil> b:[1 x]]'],
    [1.5, '1.5'],
  ])('formats %j as Go %%v', (v, want) => {
    expect(goFormat(v)).toBe(want);
  });
});
