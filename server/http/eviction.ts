// pods/eviction: a delete that respects PodDisruptionBudgets (what `kubectl drain` uses), as upstream's EvictionREST.
import * as errors from './errors.ts';
import type { DeleteOptions, GenericStore } from '../registry/store.ts';
import { poddisruptionbudgets } from '../registry/small-groups.ts';
import { selectorMatches } from '../registry/selector.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';

interface Eviction {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  deleteOptions?: DeleteOptions | null;
}

interface PDBStatus {
  observedGeneration?: number;
  disruptionsAllowed?: number;
  currentHealthy?: number;
  desiredHealthy?: number;
  disruptedPods?: Record<string, string>;
  [k: string]: unknown;
}

const VIOLATION = "Cannot evict pod as it would violate the pod's disruption budget.";
/** Upstream's MaxDisruptedPodSize: beyond this many unconfirmed evictions the budget refuses more. */
const MAX_DISRUPTED_PODS = 2000;

function tooManyRequests(cause: string): errors.ApiError {
  return new errors.ApiError(429, 'TooManyRequests', VIOLATION, { causes: [{ reason: 'DisruptionBudget', message: cause }] });
}

function podStatus(pod: KubeObject): { phase?: string; conditions?: Array<{ type: string; status: string }> } {
  return (pod.status ?? {}) as { phase?: string; conditions?: Array<{ type: string; status: string }> };
}

/** Terminal, pending or already terminating pods are evicted without consulting budgets (upstream's canIgnorePDB). */
function canIgnorePDB(pod: KubeObject): boolean {
  const phase = podStatus(pod).phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata.deletionTimestamp;
}

function isReady(pod: KubeObject): boolean {
  return (podStatus(pod).conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Evicts a pod. Guarantees, as upstream: 404 when the pod is missing; a pod covered by more than one budget
 * is refused (500); a budget with no disruptions left (or not yet processed by its controller) answers 429
 * TooManyRequests with a DisruptionBudget cause; otherwise the budget's disruptionsAllowed is decremented
 * and the pod recorded in disruptedPods before the pod is deleted with the Eviction's deleteOptions.
 */
export async function evictPod(store: GenericStore, podDef: ResourceDef, namespace: string, name: string, body: unknown, dryRun: boolean): Promise<unknown> {
  const eviction = (body ?? {}) as Eviction;
  if (eviction.kind !== undefined && eviction.kind !== 'Eviction') {
    throw errors.badRequest(`${eviction.kind} in version "v1" cannot be handled as a Eviction: no kind "${eviction.kind}" is registered for version "${eviction.apiVersion ?? ''}"`);
  }
  if (eviction.metadata?.name && eviction.metadata.name !== name) throw errors.badRequest('name in URL does not match name in Eviction object');
  const options: DeleteOptions = { ...(eviction.deleteOptions ?? {}) };
  if (dryRun) options.dryRun = ['All'];
  const pod = await store.get(podDef, namespace, name);
  // Admission sees the Eviction as the object created and the pod it evicts as the old object (NodeRestriction).
  await store.admission?.validate('CREATE', podDef, namespace, { ...eviction, metadata: { ...eviction.metadata, name } } as KubeObject, pod, 'eviction', dryRun);
  const success = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
  const remove = async (): Promise<unknown> => {
    await store.delete(podDef, namespace, name, options);
    return success;
  };
  if (canIgnorePDB(pod)) return remove();

  const page = await store.list(poddisruptionbudgets, namespace, {});
  const pdbs = page.items.filter((pdb) => {
    const sel = (pdb.spec as { selector?: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } } | undefined)?.selector;
    // A nil or empty selector matches nothing here (not everything).
    if (!sel || Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) return false;
    return selectorMatches(sel, pod.metadata.labels);
  });
  if (pdbs.length > 1) throw errors.internalError('This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.');
  if (pdbs.length === 0) return remove();
  const pdb = pdbs[0];
  const policy = (pdb.spec as { unhealthyPodEvictionPolicy?: string } | undefined)?.unhealthyPodEvictionPolicy ?? 'IfHealthyBudget';
  const st = (pdb.status ?? {}) as PDBStatus;
  if (!isReady(pod)) {
    if (policy === 'AlwaysAllow') return remove();
    if ((st.currentHealthy ?? 0) >= (st.desiredHealthy ?? 0) && (st.desiredHealthy ?? 0) > 0) return remove();
  }

  const pdbName = pdb.metadata.name!;
  await store.update(
    poddisruptionbudgets,
    namespace,
    pdbName,
    (current) => {
      if (!current) throw errors.notFound(poddisruptionbudgets, pdbName);
      const s = (current.status ??= {}) as PDBStatus;
      if ((s.observedGeneration ?? 0) < (current.metadata.generation ?? 0)) throw tooManyRequests(`The disruption budget ${pdbName} is still being processed by the server.`);
      const allowed = s.disruptionsAllowed ?? 0;
      if (allowed < 0) throw errors.forbidden(`poddisruptionbudgets.policy "${pdbName}" is forbidden: pdb disruptions allowed is negative`);
      if (Object.keys(s.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
        throw errors.forbidden(`poddisruptionbudgets.policy "${pdbName}" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller`);
      }
      if (allowed === 0) throw tooManyRequests(`The disruption budget ${pdbName} needs ${s.desiredHealthy ?? 0} healthy pods and has ${s.currentHealthy ?? 0} currently`);
      s.disruptionsAllowed = allowed - 1;
      s.disruptedPods = { ...(s.disruptedPods ?? {}), [name]: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') };
      if (s.disruptionsAllowed === 0) setInsufficientPodsCondition(s, current.metadata.generation ?? 0);
      return current;
    },
    { dryRun, subresource: 'status' },
  );
  return remove();
}

/** The DisruptionAllowed=False condition upstream sets when the last allowed disruption is used. */
function setInsufficientPodsCondition(s: PDBStatus, generation: number): void {
  const conditions = ((s.conditions as Array<Record<string, unknown>> | undefined) ?? []).filter((c) => c.type !== 'DisruptionAllowed');
  conditions.push({
    type: 'DisruptionAllowed',
    status: 'False',
    reason: 'InsufficientPods',
    message: '',
    observedGeneration: generation,
    lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
  });
  s.conditions = conditions;
}
