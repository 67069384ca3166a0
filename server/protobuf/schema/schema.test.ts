import { describe, expect, it } from 'vitest';
import { resources } from '../../registry/index.ts';
import { groupVersion } from '../../registry/types.ts';
import { messageNameForKind, messageNames, messageSpec } from './index.ts';
import { isMessageElem } from './notation.ts';
import { ROOT_KINDS } from './roots.ts';

describe('protobuf schema table', () => {
  it('parses every message and every referenced message exists', () => {
    const missing: string[] = [];
    for (const name of messageNames()) {
      for (const f of messageSpec(name)!.fields) if (isMessageElem(f.elem) && !messageSpec(f.elem)) missing.push(`${name}.${f.json} → ${f.elem}`);
    }
    expect(missing).toEqual([]);
  });

  it('has a message for every served resource kind', () => {
    // Only request bodies are decoded from protobuf: read-only kinds (metrics.k8s.io) never send one.
    const writable = resources.filter((d) => !d.verbs || d.verbs.some((v) => v !== 'get' && v !== 'list' && v !== 'watch'));
    const missing = writable.map((d) => `${groupVersion(d)} ${d.kind}`).filter((k) => {
      const [apiVersion, kind] = k.split(' ');
      const name = messageNameForKind(apiVersion, kind);
      return !name || !messageSpec(name);
    });
    expect(missing).toEqual([]);
  });

  it.each([
    ['v1', 'Binding', 'core.v1.Binding'],
    ['autoscaling/v1', 'Scale', 'autoscaling.v1.Scale'],
    ['policy/v1', 'Eviction', 'policy.v1.Eviction'],
    ['authentication.k8s.io/v1', 'TokenRequest', 'authentication.v1.TokenRequest'],
    ['authentication.k8s.io/v1', 'TokenReview', 'authentication.v1.TokenReview'],
    ['authentication.k8s.io/v1', 'SelfSubjectReview', 'authentication.v1.SelfSubjectReview'],
    ['authorization.k8s.io/v1', 'SubjectAccessReview', 'authorization.v1.SubjectAccessReview'],
    ['authorization.k8s.io/v1', 'SelfSubjectAccessReview', 'authorization.v1.SelfSubjectAccessReview'],
    ['authorization.k8s.io/v1', 'SelfSubjectRulesReview', 'authorization.v1.SelfSubjectRulesReview'],
    ['v1', 'DeleteOptions', 'meta.v1.DeleteOptions'],
    ['meta.k8s.io/v1', 'DeleteOptions', 'meta.v1.DeleteOptions'],
  ])('resolves %s %s to %s', (apiVersion, kind, name) => {
    expect(messageNameForKind(apiVersion, kind)).toBe(name);
    expect(messageSpec(name)).toBeDefined();
  });

  it('has every root kind the extractor started from', () => {
    for (const root of ROOT_KINDS) expect(messageSpec(root.replaceAll('/', '.')), root).toBeDefined();
  });

  it('knows no group for unknown apiVersions', () => {
    expect(messageNameForKind('example.com/v1', 'Widget')).toBeUndefined();
    expect(messageNameForKind('v2', 'Pod')).toBeUndefined();
  });
});
