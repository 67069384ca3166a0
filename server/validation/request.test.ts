// validateBody on raw JSON bodies: the exact Go-grammar parse is skipped only when it could add nothing.
import { describe, expect, it } from 'vitest';
import type { KubeObject, ResourceDef } from '../registry/types.ts';
import { validateBody } from './request.ts';

const deployments = { group: 'apps', version: 'v1', kind: 'Deployment', plural: 'deployments', singular: 'deployment', namespaced: true } as ResourceDef;

/** What readObject hands over: JSON.parse of the body, with metadata defaulted to {}. */
function check(text: string): { findings: string[]; obj: KubeObject } {
  const obj = JSON.parse(text) as KubeObject;
  obj.metadata ??= {};
  return { findings: validateBody(deployments, obj, 'Warn', Buffer.from(text)), obj };
}

describe('validateBody with the raw body', () => {
  it.each([
    ['a clean body', '{"metadata":{"name":"x","labels":{"a":"b"}},"spec":{"replicas":1}}', []],
    ['a duplicate member', '{"metadata":{"name":"x"},"spec":{"replicas":1,"replicas":2}}', ['duplicate field "replicas"']],
    ['a duplicate in a body without metadata', '{"spec":{"paused":true,"paused":false}}', ['duplicate field "paused"']],
    ['a duplicate inside a string-valued map', '{"metadata":{"name":"x","labels":{"a":"1","a":"2"}}}', ['duplicate field "a"']],
    ['quotes and colons inside values', '{"metadata":{"name":"x","annotations":{"k":"\\"a\\":1,\\"a\\":2"}}}', []],
    ['unknown fields in document order, digits-only names too', '{"metadata":{"name":"x"},"spec":{"zz":1,"7":2}}', ['unknown field "spec.zz"', 'unknown field "spec.7"']],
    ['an escaped lone surrogate in an unknown name', '{"metadata":{"name":"x"},"spec":{"a\\ud800":1}}', ['unknown field "spec.a\ufffd"']],
  ])('reports what the exact parse reports for %s', (_what, text, want) => {
    expect(check(text).findings).toEqual(want);
  });

  it('strips unknown fields from the object whichever path found them', () => {
    expect(check('{"metadata":{"name":"x"},"spec":{"foo":1,"replicas":2}}').obj.spec).toEqual({ replicas: 2 });
    expect(check('{"metadata":{"name":"x"},"spec":{"foo":1,"foo":3,"replicas":2}}').obj.spec).toEqual({ replicas: 2 });
  });
});
