import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../runtime/index.ts';
import { claimInUse, claimsOf, volumeInUse } from './index.ts';
import { storageObjectInUseProtection } from '../../server/auth/admission/plugins.ts';
import type { AdmissionAttributes } from '../../server/auth/admission/types.ts';
import type { ResourceDef } from '../../server/registry/types.ts';

const pod = (name: string, claims: string[], phase = 'Running', ns = 'a'): KubeObject => ({
  metadata: { name, namespace: ns },
  spec: { volumes: [...claims.map((c) => ({ name: c, persistentVolumeClaim: { claimName: c } })), { name: 'scratch', emptyDir: {} }] },
  status: { phase },
});
const claim: KubeObject = { metadata: { name: 'data', namespace: 'a' } };

describe('volume protection', () => {
  it('finds the claims a pod mounts', () => {
    expect(claimsOf(pod('p', ['data', 'logs']))).toEqual(['data', 'logs']);
  });

  it.each([
    ['a running pod mounting it', [pod('p', ['data'])], true],
    ['a pending pod mounting it', [pod('p', ['data'], 'Pending')], true],
    ['only finished pods', [pod('p', ['data'], 'Succeeded'), pod('q', ['data'], 'Failed')], false],
    ['a pod of another namespace', [pod('p', ['data'], 'Running', 'b')], false],
    ['pods mounting other claims', [pod('p', ['logs'])], false],
  ])('keeps a claim in use with %s: %s', (_what, pods, want) => {
    expect(claimInUse(claim, pods)).toBe(want);
  });

  it('keeps a volume while it is Bound', () => {
    expect(volumeInUse({ metadata: { name: 'v' }, status: { phase: 'Bound' } })).toBe(true);
    expect(volumeInUse({ metadata: { name: 'v' }, status: { phase: 'Released' } })).toBe(false);
  });

  it('puts the protection finalizers on new claims and volumes (StorageObjectInUseProtection)', () => {
    const plugin = storageObjectInUseProtection();
    const admit = (plural: string, finalizers?: string[]): string[] | undefined => {
      const a = { operation: 'CREATE', def: { group: '', plural } as ResourceDef, subresource: '', object: { metadata: { name: 'x', finalizers } } } as AdmissionAttributes;
      void plugin.mutate!(a);
      return a.object.metadata.finalizers;
    };
    expect(admit('persistentvolumeclaims')).toEqual(['kubernetes.io/pvc-protection']);
    expect(admit('persistentvolumes', ['kubernetes.io/pv-protection'])).toEqual(['kubernetes.io/pv-protection']);
    expect(admit('configmaps')).toBeUndefined();
  });
});
