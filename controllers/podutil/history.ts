// ControllerRevisions for DaemonSets and StatefulSets: find or create the revision of the current template, numbered after the newest.
import { ApiError, Resources, collectionPath, objectPath, type ApiClient, type KubeObject, type Lister } from '../runtime/index.ts';
import { canonicalJson, computeHash } from './hash.ts';
import { num, ownedBy, rec, spec } from './index.ts';

export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** The hash label history.NewControllerRevision puts on StatefulSet revisions. */
export const HISTORY_HASH_LABEL = 'controller.kubernetes.io/hash';

/** The patch a revision stores, as upstream's getPatch: the pod template, marked to replace wholesale. */
export function templatePatch(owner: KubeObject): Record<string, unknown> {
  return { spec: { template: { ...structuredClone(rec(spec(owner).template)), $patch: 'replace' } } };
}

export interface RevisionState {
  current: KubeObject;
  /** Every revision of the owner, including `current`, oldest revision number first. */
  all: KubeObject[];
  hash: string;
}

/**
 * Finds the revision whose data equals the owner's template (creating it when missing) and makes
 * sure it carries the highest revision number. Name `<owner>-<hash>`; on a name clash with different
 * data, bumps `status.collisionCount` through `onCollision` and throws so the caller retries.
 */
export async function syncRevision(client: ApiClient, revisions: Lister<KubeObject>, owner: KubeObject, kind: string, onCollision: (count: number) => Promise<void>, hashLabel = REVISION_HASH_LABEL): Promise<RevisionState> {
  const ns = owner.metadata.namespace!;
  const mine = ownedBy(revisions.listNamespace(ns), owner).sort((a, b) => num(a.revision, 0) - num(b.revision, 0));
  const data = templatePatch(owner);
  const collisionCount = num(rec(owner.status).collisionCount, 0);
  const hash = computeHash(rec(spec(owner).template), collisionCount || undefined);
  const dataText = canonicalJson(data);
  const matching = mine.filter((r) => canonicalJson(r.data) === dataText);
  const others = mine.filter((r) => !matching.includes(r));
  const next = Math.max(0, ...others.map((r) => num(r.revision, 0))) + 1;
  let current = matching[matching.length - 1];
  if (!current) {
    const templateLabels = (rec(rec(spec(owner).template).metadata).labels ?? {}) as Record<string, string>;
    const body: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${owner.metadata.name!.slice(0, 223)}-${hash}`,
        namespace: ns,
        labels: { ...templateLabels, [hashLabel]: hash },
        ownerReferences: [{ apiVersion: 'apps/v1', kind, name: owner.metadata.name!, uid: owner.metadata.uid!, controller: true, blockOwnerDeletion: true }],
      },
      data,
      revision: next,
    };
    try {
      current = await client.request<KubeObject>('POST', collectionPath(Resources.ControllerRevision, ns), { body });
    } catch (e: unknown) {
      if (!(e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists')) throw e;
      const existing = await client.request<KubeObject>('GET', objectPath(Resources.ControllerRevision, ns, body.metadata.name!));
      if (canonicalJson(existing.data) !== dataText || !existing.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid)) {
        await onCollision(collisionCount + 1);
        throw new Error(`controller revision ${body.metadata.name} collides; collisionCount raised to ${collisionCount + 1}`);
      }
      current = existing;
    }
    return { current, all: [...mine, current], hash: current.metadata.labels?.[hashLabel] ?? hash };
  }
  if (num(current.revision, 0) < next) {
    current = await client.request<KubeObject>('PUT', objectPath(Resources.ControllerRevision, ns, current.metadata.name!), { body: { ...structuredClone(current), revision: next } });
  }
  return { current, all: [...others, current], hash: current.metadata.labels?.[hashLabel] ?? hash };
}

/** Deletes the oldest revisions beyond `limit` that are not current and not `live` (still used by pods or status). */
export async function cleanupRevisions(client: ApiClient, all: readonly KubeObject[], current: KubeObject, live: (revision: KubeObject) => boolean, limit: number): Promise<void> {
  const removable = all.filter((r) => r !== current && r.metadata.name !== current.metadata.name && !live(r));
  const excess = removable.length - limit;
  for (const r of removable.sort((a, b) => num(a.revision, 0) - num(b.revision, 0)).slice(0, Math.max(0, excess))) {
    try {
      await client.request('DELETE', objectPath(Resources.ControllerRevision, r.metadata.namespace, r.metadata.name!));
    } catch (e: unknown) {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
}
