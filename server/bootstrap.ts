// Objects every cluster has from its first start: the four system namespaces (upstream's "system namespaces" controller).
import type { GenericStore } from './registry/store.ts';
import type { Catalogue } from './registry/catalogue.ts';
import { ApiError } from './http/errors.ts';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

/** Idempotent: creates what is missing, leaves what exists. */
export async function bootstrapCluster(store: GenericStore, catalogue: Catalogue): Promise<void> {
  const namespaces = catalogue.find('', 'v1', 'namespaces');
  if (!namespaces) throw new Error('catalogue has no namespaces');
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await store.create(namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (e: unknown) {
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
    }
  }
}
