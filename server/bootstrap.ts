// Objects every cluster has from its first start: the four system namespaces (upstream's "system namespaces" controller).
import type { GenericStore } from './registry/store.ts';
import type { Catalogue } from './registry/catalogue.ts';
import { ApiError } from './http/errors.ts';
import { reconcileBootstrapPolicy } from './auth/rbac/reconcile.ts';
import { ensureKubernetesService, type KubernetesServiceOptions } from './registry/kubernetes-service.ts';

export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'] as const;

/** Idempotent: creates what is missing, leaves what exists. */
export async function bootstrapCluster(store: GenericStore, catalogue: Catalogue, services?: KubernetesServiceOptions): Promise<void> {
  const namespaces = catalogue.find('', 'v1', 'namespaces');
  if (!namespaces) throw new Error('catalogue has no namespaces');
  for (const name of SYSTEM_NAMESPACES) {
    try {
      await store.create(namespaces, '', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    } catch (e: unknown) {
      if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
    }
  }
  // Upstream's bootstrap RBAC policy and built-in priority classes
  await reconcileBootstrapPolicy(store, catalogue);
  const priorityclasses = catalogue.find('scheduling.k8s.io', 'v1', 'priorityclasses');
  if (priorityclasses) {
    for (const [name, value, description] of SYSTEM_PRIORITY_CLASSES) {
      try {
        await store.create(priorityclasses, '', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, description, preemptionPolicy: 'PreemptLowerPriority' });
      } catch (e: unknown) {
        if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
      }
    }
  }
  // services (issue 8): the `kubernetes` Service in default, pointing at this API server.
  if (services) await ensureKubernetesService(store, catalogue, services);
}

/** Upstream's built-in classes (scheduling post-start hook). */
const SYSTEM_PRIORITY_CLASSES = [
  ['system-node-critical', 2000001000, 'Used for system critical pods that must not be moved from their current node.'],
  ['system-cluster-critical', 2000000000, 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.'],
] as const;
