// Pure decisions of the PersistentVolume binder: which volume fits a claim, and the objects a binding writes (upstream's pv_controller + index).
import type { KubeObject } from '../runtime/index.ts';
import { arr, rec, spec, status } from '../podutil/index.ts';
import { parseQuantity } from '../../server/registry/quantity.ts';
import { selectorMatches } from '../../server/registry/selector.ts';

/** Set on a claim once the binder has bound it at least once (upstream's AnnBindCompleted). */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** Set on the side of a binding the controller created, rather than the user (AnnBoundByController). */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** Marks a volume created by a provisioner (AnnDynamicallyProvisioned). */
export const ANN_DYNAMICALLY_PROVISIONED = 'pv.kubernetes.io/provisioned-by';
/** The beta storage-class annotation, which wins over spec.storageClassName. */
export const ANN_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

/** The event texts upstream's binder emits. */
export const Messages = {
  noVolumes: 'no persistent volumes available for this claim and no storage class is set',
  waitForFirstConsumer: 'waiting for first consumer to be created before binding',
  lostReference: 'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!',
  lostVolume: 'Bound claim has lost its PersistentVolume. Data on the volume is lost!',
  misbound: 'Two claims are bound to the same volume, this one is bound incorrectly',
  classNotFound: (name: string) => `storageclass.storage.k8s.io "${name}" not found`,
  alreadyBound: (volume: string) => `volume "${volume}" already bound to a different claim.`,
  mismatch: (volume: string, why: string) => `Cannot bind to requested volume "${volume}": ${why}`,
} as const;

/** GetPersistentVolumeClaimClass / GetPersistentVolumeClass: the beta annotation, else spec.storageClassName, else "". */
export function storageClassOf(o: KubeObject): string {
  const ann = o.metadata.annotations?.[ANN_STORAGE_CLASS];
  if (ann !== undefined) return ann;
  const c = spec(o).storageClassName;
  return typeof c === 'string' ? c : '';
}

const storageOf = (v: unknown): bigint => parseQuantity(v) ?? 0n;
/** The claim's requested storage (nano-units; 0 when absent). */
export const requestedStorage = (claim: KubeObject): bigint => storageOf(rec(rec(spec(claim).resources).requests).storage);
/** The volume's storage capacity (nano-units; 0 when absent). */
export const volumeCapacity = (pv: KubeObject): bigint => storageOf(rec(spec(pv).capacity).storage);
const volumeModeOf = (o: KubeObject): string => (typeof spec(o).volumeMode === 'string' ? (spec(o).volumeMode as string) : 'Filesystem');
const accessModesOf = (o: KubeObject): string[] => arr<string>(spec(o).accessModes).map(String);

/** CheckAccessModes: every mode the claim asks for is one the volume offers. */
export function accessModesFit(claim: KubeObject, pv: KubeObject): boolean {
  const offered = new Set(accessModesOf(pv));
  return accessModesOf(claim).every((m) => offered.has(m));
}

/** IsVolumeBoundToClaim: the volume's claimRef names the claim (and its UID, once set). */
export function isVolumeBoundToClaim(pv: KubeObject, claim: KubeObject): boolean {
  const ref = rec(spec(pv).claimRef);
  if (!spec(pv).claimRef) return false;
  if (ref.name !== claim.metadata.name || (ref.namespace ?? '') !== (claim.metadata.namespace ?? '')) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

/** checkVolumeSatisfyClaim: why a named volume cannot serve the claim, or undefined when it can. */
export function volumeMismatch(pv: KubeObject, claim: KubeObject): string | undefined {
  if (pv.metadata.deletionTimestamp) return `the volume is marked for deletion "${pv.metadata.name}"`;
  if (volumeCapacity(pv) < requestedStorage(claim)) return 'requested PV is too small';
  if (storageClassOf(pv) !== storageClassOf(claim)) return 'storageClassName does not match';
  if (volumeModeOf(pv) !== volumeModeOf(claim)) return 'incompatible volumeMode';
  if (!accessModesFit(claim, pv)) return 'incompatible accessMode';
  return undefined;
}

/** One pass of findMatchingVolume over volumes of one access-mode set: a volume pre-bound to the claim wins, else the smallest available fit. */
function matchAmong(claim: KubeObject, volumes: readonly KubeObject[], delayBinding: boolean): KubeObject | undefined {
  const wanted = requestedStorage(claim);
  const cls = storageClassOf(claim);
  const selector = spec(claim).selector;
  let best: KubeObject | undefined;
  for (const pv of volumes) {
    if (spec(pv).claimRef && !isVolumeBoundToClaim(pv, claim)) continue;
    const cap = volumeCapacity(pv);
    if (cap < wanted) continue;
    if (volumeModeOf(pv) !== volumeModeOf(claim)) continue;
    if (pv.metadata.deletionTimestamp) continue;
    if (isVolumeBoundToClaim(pv, claim)) return pv;
    // WaitForFirstConsumer: only the scheduler binds volumes that are not pre-bound.
    if (delayBinding) continue;
    // Volumes that will become Available are skipped until they are: binding them now mostly meets conflicts.
    if (status(pv).phase !== 'Available') continue;
    if (selector && !selectorMatches(selector, pv.metadata.labels ?? {})) continue;
    if (storageClassOf(pv) !== cls) continue;
    if (!best || volumeCapacity(best) > cap) best = pv;
  }
  return best;
}

/**
 * findBestMatchForClaim: the volume the claim should bind to, or undefined. Guarantees: only volumes whose
 * access modes include all the claim's are considered, those with the fewest modes first (upstream's index);
 * a volume whose claimRef names the claim wins over any other in its group; otherwise the smallest Available
 * volume of the claim's class whose capacity covers the request, whose labels match the claim's selector and
 * whose volumeMode equals the claim's. Ties keep the first volume in `volumes` order.
 */
export function findBestMatch(claim: KubeObject, volumes: readonly KubeObject[], delayBinding = false): KubeObject | undefined {
  const groups = new Map<string, KubeObject[]>();
  for (const pv of volumes) {
    if (!accessModesFit(claim, pv)) continue;
    const key = [...new Set(accessModesOf(pv))].sort().join(',');
    groups.set(key, [...(groups.get(key) ?? []), pv]);
  }
  const ordered = [...groups.entries()].sort(([a], [b]) => a.split(',').length - b.split(',').length || a.localeCompare(b));
  for (const [, group] of ordered) {
    const found = matchAmong(claim, group, delayBinding);
    if (found) return found;
  }
  return undefined;
}

/** GetReference(claim): the claimRef a binding writes into the volume. */
export function claimReference(claim: KubeObject): Record<string, string> {
  return {
    kind: 'PersistentVolumeClaim',
    namespace: claim.metadata.namespace ?? '',
    name: claim.metadata.name ?? '',
    uid: claim.metadata.uid ?? '',
    apiVersion: 'v1',
    resourceVersion: claim.metadata.resourceVersion ?? '',
  };
}

/**
 * getBindVolumeToClaim: the volume as a binding leaves it, or undefined when it already is. The claimRef is
 * (re)written unless it already names the claim with its UID; bound-by-controller is set only when the
 * controller chose the volume (it had no claimRef).
 */
export function volumeBoundTo(pv: KubeObject, claim: KubeObject): KubeObject | undefined {
  const ref = rec(spec(pv).claimRef);
  const refOk = !!spec(pv).claimRef && ref.name === claim.metadata.name && ref.namespace === claim.metadata.namespace && ref.uid === claim.metadata.uid;
  const byController = !spec(pv).claimRef;
  if (refOk && !byController) return undefined;
  const next = structuredClone(pv);
  next.spec = { ...spec(next), claimRef: claimReference(claim) };
  if (byController) next.metadata.annotations = { ...next.metadata.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' };
  return next;
}

/**
 * bindClaimToVolume: the claim as a binding leaves it (spec.volumeName, bind-completed, and bound-by-controller
 * when the controller chose the volume), or undefined when nothing changes.
 */
export function claimBoundTo(claim: KubeObject, pv: KubeObject): KubeObject | undefined {
  const name = pv.metadata.name ?? '';
  const ann = { ...claim.metadata.annotations };
  let dirty = false;
  const next = structuredClone(claim);
  if (spec(claim).volumeName !== name) {
    next.spec = { ...spec(next), volumeName: name };
    if (!(ANN_BOUND_BY_CONTROLLER in ann)) ann[ANN_BOUND_BY_CONTROLLER] = 'yes';
    dirty = true;
  }
  if (!(ANN_BIND_COMPLETED in ann)) {
    ann[ANN_BIND_COMPLETED] = 'yes';
    dirty = true;
  }
  if (!dirty) return undefined;
  next.metadata.annotations = ann;
  return next;
}

/**
 * updateClaimStatus: the claim's status for `phase` — with a volume, its access modes and capacity; without
 * one, neither. Undefined when the status already says so.
 */
export function claimStatusFor(claim: KubeObject, phase: string, pv?: KubeObject): Record<string, unknown> | undefined {
  const cur = status(claim);
  const next: Record<string, unknown> = { ...cur, phase };
  let dirty = cur.phase !== phase;
  if (!pv) {
    if (cur.accessModes !== undefined) (delete next.accessModes, (dirty = true));
    if (cur.capacity !== undefined) (delete next.capacity, (dirty = true));
  } else {
    const modes = arr(spec(pv).accessModes);
    if (JSON.stringify(cur.accessModes ?? null) !== JSON.stringify(modes)) (next.accessModes = modes), (dirty = true);
    const cap = rec(spec(pv).capacity).storage;
    const curCap = rec(cur.capacity).storage;
    if (curCap === undefined || parseQuantity(curCap) !== parseQuantity(cap)) (next.capacity = { ...rec(spec(pv).capacity) }), (dirty = true);
  }
  return dirty ? next : undefined;
}

/** What the volume sync does with a volume, decided from the volume and its claim as cached. */
export type VolumeAction =
  | { kind: 'phase'; phase: 'Available' | 'Bound' }
  | { kind: 'released' }
  | { kind: 'enqueueClaim'; key: string }
  | { kind: 'unbind' }
  | { kind: 'none' };

/**
 * syncVolume's decision. `claim` is the claim the claimRef names (by namespace/name), if it exists. A claim
 * with another UID counts as deleted. Released covers "claim gone" (the caller then applies the reclaim
 * policy) and a dynamically provisioned Delete volume whose claim bound elsewhere.
 */
export function volumeAction(pv: KubeObject, claim: KubeObject | undefined): VolumeAction {
  if (!spec(pv).claimRef) return { kind: 'phase', phase: 'Available' };
  const ref = rec(spec(pv).claimRef);
  if (!ref.uid) return { kind: 'phase', phase: 'Available' };
  const live = claim && claim.metadata.uid === ref.uid ? claim : undefined;
  if (!live) return { kind: 'released' };
  const volumeName = spec(live).volumeName;
  if (!volumeName) return { kind: 'enqueueClaim', key: `${live.metadata.namespace}/${live.metadata.name}` };
  if (volumeName === pv.metadata.name) return { kind: 'phase', phase: 'Bound' };
  if (pv.metadata.annotations?.[ANN_DYNAMICALLY_PROVISIONED] !== undefined && spec(pv).persistentVolumeReclaimPolicy === 'Delete') return { kind: 'released' };
  return { kind: 'unbind' };
}

/**
 * unbindVolume: a volume the controller bound loses its claimRef and bound-by-controller; a volume the user
 * pre-bound keeps its claimRef without the UID, so it stays reserved for that claim name.
 */
export function volumeUnbound(pv: KubeObject): KubeObject {
  const next = structuredClone(pv);
  const s = { ...spec(next) };
  if (next.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] !== undefined) {
    delete s.claimRef;
    const ann = { ...next.metadata.annotations };
    delete ann[ANN_BOUND_BY_CONTROLLER];
    next.metadata.annotations = ann;
  } else {
    const ref = { ...rec(s.claimRef) };
    delete ref.uid;
    s.claimRef = ref;
  }
  next.spec = s;
  return next;
}
