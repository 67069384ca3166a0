// The namespace controller: empties a namespace being deleted, reports conditions, then removes the `kubernetes` finalizer.
import { controller, isConflict, isNotFound, objectPath, Resources, type ApiClient, type KubeObject, type ResourceType } from '../runtime/index.ts';
import type { ControllerContext } from '../manager.ts';

interface NamespaceCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

interface Namespace extends KubeObject {
  spec?: { finalizers?: string[] };
  status?: { phase?: string; conditions?: NamespaceCondition[] };
}

interface ApiResource {
  name: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
}

/** A namespaced resource that can be listed and deleted, with its collection path prefix. */
interface Deletable {
  groupResource: string;
  root: string;
  name: string;
  verbs: string[];
}

/** Upstream's condition types, in the order upstream sets them. */
const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;

/** The "all good" form of each condition (status False), upstream's reasons and messages. */
const OK: Record<(typeof CONDITION_TYPES)[number], { reason: string; message: string }> = {
  NamespaceDeletionDiscoveryFailure: { reason: 'ResourcesDiscovered', message: 'All resources successfully discovered' },
  NamespaceDeletionGroupVersionParsingFailure: { reason: 'ParsedGroupVersions', message: 'All legacy kube types successfully parsed' },
  NamespaceDeletionContentFailure: { reason: 'ContentDeleted', message: 'All content successfully deleted, may be waiting on finalization' },
  NamespaceContentRemaining: { reason: 'ContentRemoved', message: 'All content successfully removed' },
  NamespaceFinalizersRemaining: { reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' },
};

/**
 * Registers the "namespace" controller. Guarantees, as upstream's namespaced-resources deleter: a
 * namespace with deletionTimestamp gets phase Terminating; everything namespaced in it is deleted
 * (deletecollection, else one by one); while content remains the conditions say what and it retries;
 * once empty it PUTs /finalize without `kubernetes`, which lets the API server remove the namespace.
 */
export function registerNamespace(ctx: ControllerContext): void {
  const nsInf = ctx.informers.informerOf(Resources.Namespace as ResourceType<Namespace>);
  const c = controller('namespace', nsInf);
  ctx.run('namespace', c.run((key) => syncNamespace(ctx.client, nsInf.lister.get(key)), { workers: 2, signal: ctx.signal, log: ctx.log }));
}

async function syncNamespace(client: ApiClient, cached: Namespace | undefined): Promise<'done' | { requeueAfter: number }> {
  if (!cached?.metadata.deletionTimestamp) return 'done';
  const name = cached.metadata.name!;
  let ns: Namespace;
  try {
    ns = await client.request<Namespace>('GET', objectPath(Resources.Namespace, undefined, name));
  } catch (e: unknown) {
    if (isNotFound(e)) return 'done';
    throw e;
  }
  if (ns.metadata.uid !== cached.metadata.uid || !ns.metadata.deletionTimestamp) return 'done';
  if (ns.status?.phase !== 'Terminating') ns = await writeStatus(client, ns, { ...ns.status, phase: 'Terminating' });
  if (!(ns.spec?.finalizers ?? []).includes('kubernetes')) return 'done';

  const { remaining, finalizers, failures, discoveryError } = await deleteAllContent(client, name);
  const conditions = conditionsFor(remaining, finalizers, failures, discoveryError);
  ns = await updateConditions(client, ns, conditions);
  if (discoveryError || failures.length || remaining.size > 0) return { requeueAfter: remaining.size > 0 && !failures.length ? 2000 : 5000 };

  const finalized = structuredClone(ns);
  finalized.spec = { ...finalized.spec, finalizers: (ns.spec?.finalizers ?? []).filter((f) => f !== 'kubernetes') };
  try {
    await client.request('PUT', objectPath(Resources.Namespace, undefined, name, 'finalize'), { body: finalized });
  } catch (e: unknown) {
    if (isNotFound(e)) return 'done';
    if (isConflict(e)) return { requeueAfter: 100 };
    throw e;
  }
  return 'done';
}

async function writeStatus(client: ApiClient, ns: Namespace, status: Namespace['status']): Promise<Namespace> {
  return client.request<Namespace>('PUT', objectPath(Resources.Namespace, undefined, ns.metadata.name!, 'status'), { body: { ...ns, status } });
}

function conditionsFor(remaining: Map<string, number>, finalizers: Map<string, number>, failures: string[], discoveryError: string | undefined): NamespaceCondition[] {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const out: NamespaceCondition[] = [];
  for (const type of CONDITION_TYPES) {
    let bad: { reason: string; message: string } | undefined;
    if (type === 'NamespaceDeletionDiscoveryFailure' && discoveryError) bad = { reason: 'DiscoveryFailed', message: `Discovery failed for some groups, ${discoveryError}` };
    if (type === 'NamespaceDeletionContentFailure' && failures.length) bad = { reason: 'ContentDeletionFailed', message: `Failed to delete all resource types, ${failures.length} remaining: ${failures.join(', ')}` };
    if (type === 'NamespaceContentRemaining' && remaining.size) {
      const parts = [...remaining].map(([gr, n]) => `${gr} has ${n} resource instances`).sort();
      bad = { reason: 'SomeResourcesRemain', message: `Some resources are remaining: ${parts.join(', ')}` };
    }
    if (type === 'NamespaceFinalizersRemaining' && finalizers.size) {
      const parts = [...finalizers].map(([f, n]) => `${f} in ${n} resource instances`).sort();
      bad = { reason: 'SomeFinalizersRemain', message: `Some content in the namespace has finalizers remaining: ${parts.join(', ')}` };
    }
    const good = OK[type];
    out.push({ type, status: bad ? 'True' : 'False', lastTransitionTime: now, reason: (bad ?? good).reason, message: (bad ?? good).message });
  }
  return out;
}

/** Writes the conditions, keeping lastTransitionTime where the status did not change; skips the write when nothing changed. */
async function updateConditions(client: ApiClient, ns: Namespace, wanted: NamespaceCondition[]): Promise<Namespace> {
  const current = ns.status?.conditions ?? [];
  const merged = wanted.map((c) => {
    const old = current.find((o) => o.type === c.type);
    return old && old.status === c.status ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
  });
  const others = current.filter((c) => !CONDITION_TYPES.includes(c.type as (typeof CONDITION_TYPES)[number]));
  const conditions = [...others, ...merged];
  if (JSON.stringify(conditions) === JSON.stringify(current)) return ns;
  try {
    return await writeStatus(client, ns, { ...ns.status, phase: 'Terminating', conditions });
  } catch (e: unknown) {
    if (isConflict(e)) return ns;
    throw e;
  }
}

/** Every namespaced resource that supports list and delete, from discovery of all served group versions. */
async function discoverDeletable(client: ApiClient): Promise<{ resources: Deletable[]; error?: string }> {
  const roots: Array<{ root: string; group: string }> = [{ root: '/api/v1', group: '' }];
  const groups = await client.request<{ groups?: Array<{ name: string; preferredVersion?: { groupVersion: string } }> }>('GET', '/apis');
  for (const g of groups.groups ?? []) if (g.preferredVersion) roots.push({ root: `/apis/${g.preferredVersion.groupVersion}`, group: g.name });
  const resources: Deletable[] = [];
  const failed: string[] = [];
  await Promise.all(
    roots.map(async ({ root, group }) => {
      try {
        const list = await client.request<{ resources?: ApiResource[] }>('GET', root);
        for (const r of list.resources ?? []) {
          if (r.name.includes('/') || !r.namespaced || !r.verbs.includes('list') || !r.verbs.includes('delete')) continue;
          resources.push({ groupResource: group ? `${r.name}.${group}` : r.name, root, name: r.name, verbs: r.verbs });
        }
      } catch (e: unknown) {
        failed.push(`${root.replace(/^\/apis?\//, '')}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );
  return { resources, error: failed.length ? failed.join(', ') : undefined };
}

/** deleteAllContent: one pass of deletes, then what is left (by group-resource) and the finalizers holding it. */
async function deleteAllContent(client: ApiClient, ns: string): Promise<{ remaining: Map<string, number>; finalizers: Map<string, number>; failures: string[]; discoveryError?: string }> {
  const { resources, error } = await discoverDeletable(client);
  const remaining = new Map<string, number>();
  const finalizers = new Map<string, number>();
  const failures: string[] = [];
  const body = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' };
  for (const r of resources) {
    const path = `${r.root}/namespaces/${encodeURIComponent(ns)}/${r.name}`;
    try {
      if (r.verbs.includes('deletecollection')) {
        await client.request('DELETE', path, { body });
      } else {
        const list = await client.request<{ items?: KubeObject[] }>('GET', path);
        for (const item of list.items ?? []) {
          if (item.metadata.deletionTimestamp) continue;
          await client.request('DELETE', `${path}/${encodeURIComponent(item.metadata.name!)}`, { body }).catch((e: unknown) => {
            if (!isNotFound(e)) throw e;
          });
        }
      }
      const left = await client.request<{ items?: KubeObject[] }>('GET', path);
      const items = left.items ?? [];
      if (items.length) remaining.set(r.groupResource, items.length);
      for (const item of items) for (const f of item.metadata.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
    } catch (e: unknown) {
      if (isNotFound(e)) continue;
      failures.push(`${r.groupResource}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { remaining, finalizers, failures, discoveryError: error };
}
