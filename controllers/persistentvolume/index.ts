// The PersistentVolume binder (kube-controller-manager's persistentvolume-binder): binds Pending claims to fitting volumes, keeps phases, releases and reclaims.
import type { ControllerContext } from '../manager.ts';
import { ApiError, Resources, controller, objectPath, resourceType, type Action, type KubeObject } from '../runtime/index.ts';
import { isoNow, rec, spec, status } from '../podutil/index.ts';
import {
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  Messages,
  claimBoundTo,
  claimStatusFor,
  findBestMatch,
  isVolumeBoundToClaim,
  storageClassOf,
  volumeAction,
  volumeBoundTo,
  volumeMismatch,
  volumeUnbound,
} from './logic.ts';

const PersistentVolume = resourceType('v1', 'PersistentVolume', 'persistentvolumes', false);
const StorageClass = resourceType('storage.k8s.io/v1', 'StorageClass', 'storageclasses', false);
const COMPONENT = 'persistentvolume-controller';
/** Upstream's --pvclaimbinder-sync-period: how often a Pending claim is looked at again. */
const SYNC_PERIOD_MS = 15_000;

const claimKey = (c: KubeObject): string => `${c.metadata.namespace}/${c.metadata.name}`;
const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409;

export function registerPersistentVolumeBinder(ctx: ControllerContext): void {
  const claims = ctx.informers.informerOf(Resources.PersistentVolumeClaim);
  const volumes = ctx.informers.informerOf(PersistentVolume);
  const recorder = ctx.recorder(COMPONENT);
  const request = <T = KubeObject>(method: string, path: string, body?: unknown): Promise<T> => ctx.client.request<T>(method, path, body === undefined ? {} : { body });

  /** The StorageClass, or undefined when absent (or when this server serves no storage.k8s.io). */
  const storageClass = async (name: string): Promise<KubeObject | undefined> => {
    try {
      return await request('GET', objectPath(StorageClass, undefined, name));
    } catch (e: unknown) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };

  /** updateVolumePhase: writes status.phase (and clears the message) through /status when it differs. */
  const setVolumePhase = async (pv: KubeObject, phase: string, message = ''): Promise<KubeObject> => {
    const cur = status(pv);
    if (cur.phase === phase && (cur.message ?? '') === message) return pv;
    const next: Record<string, unknown> = { ...cur, phase };
    if (message) next.message = message;
    else delete next.message;
    if (cur.phase !== phase) next.lastPhaseTransitionTime = isoNow();
    return request('PUT', objectPath(PersistentVolume, undefined, pv.metadata.name!, 'status'), { ...pv, status: next });
  };

  const setClaimStatus = async (claim: KubeObject, phase: string, pv?: KubeObject): Promise<KubeObject> => {
    const next = claimStatusFor(claim, phase, pv);
    if (!next) return claim;
    return request('PUT', objectPath(Resources.PersistentVolumeClaim, claim.metadata.namespace, claim.metadata.name!, 'status'), { ...claim, status: next });
  };

  /** updateClaimStatusWithEvent: the event is recorded only when the phase actually changes. */
  const setClaimPhaseWithEvent = async (claim: KubeObject, phase: string, reason: string, message: string): Promise<void> => {
    if (status(claim).phase === phase) return;
    const updated = await setClaimStatus(claim, phase);
    recorder.event(updated, 'Warning', reason, message);
  };

  /** bind: volume claimRef, volume phase Bound, claim volumeName and annotations, claim status Bound, in upstream's order. */
  const bind = async (pv: KubeObject, claim: KubeObject): Promise<void> => {
    const bound = volumeBoundTo(pv, claim);
    let volume = bound ? await request('PUT', objectPath(PersistentVolume, undefined, pv.metadata.name!), bound) : pv;
    volume = await setVolumePhase(volume, 'Bound');
    const boundClaim = claimBoundTo(claim, volume);
    const updated = boundClaim ? await request('PUT', objectPath(Resources.PersistentVolumeClaim, claim.metadata.namespace, claim.metadata.name!), boundClaim) : claim;
    await setClaimStatus(updated, 'Bound', volume);
  };

  const syncUnboundClaim = async (claim: KubeObject): Promise<Action> => {
    const volumeName = spec(claim).volumeName;
    if (typeof volumeName !== 'string' || volumeName === '') {
      const className = storageClassOf(claim);
      const cls = className ? await storageClass(className) : undefined;
      const delayBinding = cls?.volumeBindingMode === 'WaitForFirstConsumer';
      const match = findBestMatch(claim, volumes.lister.list(), delayBinding);
      if (match) {
        await bind(match, claim);
        return 'done';
      }
      if (delayBinding) recorder.event(claim, 'Normal', 'WaitForFirstConsumer', Messages.waitForFirstConsumer);
      // A class with no StorageClass object: upstream tries to provision and reports the missing class.
      else if (className && !cls) recorder.event(claim, 'Warning', 'ProvisioningFailed', Messages.classNotFound(className));
      // Dynamic provisioning for an existing class is out of scope: the claim waits for a volume.
      else if (!className) recorder.event(claim, 'Normal', 'FailedBinding', Messages.noVolumes);
      await setClaimStatus(claim, 'Pending');
      return { requeueAfter: SYNC_PERIOD_MS };
    }
    const pv = volumes.lister.get(volumeName);
    if (!pv) {
      await setClaimStatus(claim, 'Pending');
      return { requeueAfter: SYNC_PERIOD_MS };
    }
    if (!spec(pv).claimRef) {
      const why = volumeMismatch(pv, claim);
      if (why) {
        recorder.event(claim, 'Warning', 'VolumeMismatch', Messages.mismatch(volumeName, why));
        await setClaimStatus(claim, 'Pending');
        return { requeueAfter: SYNC_PERIOD_MS };
      }
      await bind(pv, claim);
      return 'done';
    }
    if (isVolumeBoundToClaim(pv, claim)) {
      await bind(pv, claim);
      return 'done';
    }
    if (claim.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] === undefined) {
      recorder.event(claim, 'Warning', 'FailedBinding', Messages.alreadyBound(volumeName));
      await setClaimStatus(claim, 'Pending');
      return { requeueAfter: SYNC_PERIOD_MS };
    }
    throw new Error(`Invalid binding of claim "${claimKey(claim)}" to volume "${volumeName}": volume already claimed by "${rec(spec(pv).claimRef).namespace}/${rec(spec(pv).claimRef).name}"`);
  };

  const syncBoundClaim = async (claim: KubeObject): Promise<Action> => {
    const volumeName = spec(claim).volumeName;
    if (typeof volumeName !== 'string' || volumeName === '') {
      await setClaimPhaseWithEvent(claim, 'Lost', 'ClaimLost', Messages.lostReference);
      return 'done';
    }
    const pv = volumes.lister.get(volumeName);
    if (!pv) {
      await setClaimPhaseWithEvent(claim, 'Lost', 'ClaimLost', Messages.lostVolume);
      return 'done';
    }
    // A volume without claimRef may be one the cache has not seen bound yet: binding again is idempotent.
    if (!spec(pv).claimRef || rec(spec(pv).claimRef).uid === claim.metadata.uid) {
      await bind(pv, claim);
      return 'done';
    }
    await setClaimPhaseWithEvent(claim, 'Lost', 'ClaimMisbound', Messages.misbound);
    return 'done';
  };

  const reconcileClaim = async (key: string): Promise<Action> => {
    const claim = claims.lister.get(key);
    if (!claim) return 'done';
    try {
      return claim.metadata.annotations?.[ANN_BIND_COMPLETED] === undefined ? await syncUnboundClaim(claim) : await syncBoundClaim(claim);
    } catch (e: unknown) {
      // A stale cache lost a race (another write moved the object on): look again once the informer catches up.
      if (isConflict(e)) return { requeueAfter: 200 };
      throw e;
    }
  };

  /** The claim a volume's claimRef names, from the cache, confirmed with the server when the cache disagrees. */
  const claimOf = async (pv: KubeObject): Promise<KubeObject | undefined> => {
    const ref = rec(spec(pv).claimRef);
    const key = `${ref.namespace}/${ref.name}`;
    const cached = claims.lister.get(key);
    if (cached && cached.metadata.uid === ref.uid) return cached;
    // Never release a volume on a cache that may lag behind a just-created claim.
    try {
      return await request('GET', objectPath(Resources.PersistentVolumeClaim, String(ref.namespace), String(ref.name)));
    } catch (e: unknown) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  };

  /** reclaimVolume: Retain keeps the Released volume; Delete removes the object; Recycle has no recycler here. */
  const reclaim = async (pv: KubeObject): Promise<void> => {
    const policy = spec(pv).persistentVolumeReclaimPolicy;
    if (policy === 'Recycle') {
      if (status(pv).phase !== 'Failed') {
        const failed = await setVolumePhase(pv, 'Failed', 'No recycler plugin found for the volume!');
        recorder.event(failed, 'Warning', 'VolumeFailedRecycle', 'No recycler plugin found for the volume!');
      }
      return;
    }
    if (policy !== 'Delete') return;
    const hostPath = rec(spec(pv).hostPath).path;
    // Upstream's hostPath deleter only handles /tmp/.+; other plugins have no deleter in tskube.
    const why =
      typeof hostPath !== 'string'
        ? `error getting deleter volume plugin for volume "${pv.metadata.name}": no deletable volume plugin matched`
        : /\/tmp\/.+/.test(hostPath)
          ? undefined
          : `host_path deleter only supports /tmp/.+ but received provided ${hostPath}`;
    if (why) {
      if (status(pv).phase !== 'Failed' || status(pv).message !== why) {
        const failed = await setVolumePhase(pv, 'Failed', why);
        recorder.event(failed, 'Warning', 'VolumeFailedDelete', why);
      }
      return;
    }
    // The object goes; the data under the host path stays (the node, not the controller manager, owns it).
    try {
      await ctx.client.request('DELETE', objectPath(PersistentVolume, undefined, pv.metadata.name!), { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: pv.metadata.uid } } });
    } catch (e: unknown) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  };

  const reconcileVolume = async (key: string): Promise<Action> => {
    const pv = volumes.lister.get(key);
    if (!pv) return 'done';
    try {
      const claim = spec(pv).claimRef && rec(spec(pv).claimRef).uid ? await claimOf(pv) : undefined;
      const action = volumeAction(pv, claim);
      switch (action.kind) {
        case 'phase':
          await setVolumePhase(pv, action.phase);
          break;
        case 'enqueueClaim':
          claimController.queue.add(action.key);
          break;
        case 'released': {
          const phase = status(pv).phase;
          const released = phase === 'Released' || phase === 'Failed' ? pv : await setVolumePhase(pv, 'Released');
          await reclaim(released);
          // Like upstream's periodic volume sync: a volume not yet reclaimed is tried again.
          if (spec(pv).persistentVolumeReclaimPolicy === 'Delete') return { requeueAfter: SYNC_PERIOD_MS };
          break;
        }
        case 'unbind': {
          const unbound = await request('PUT', objectPath(PersistentVolume, undefined, pv.metadata.name!), volumeUnbound(pv));
          await setVolumePhase(unbound, 'Available');
          break;
        }
        case 'none':
          break;
      }
      return 'done';
    } catch (e: unknown) {
      if (isConflict(e)) return { requeueAfter: 200 };
      throw e;
    }
  };

  const unboundClaims = (): string[] => claims.lister.list().filter((c) => !spec(c).volumeName).map(claimKey);
  // A volume that becomes Available may serve a waiting claim at once (upstream waits for its periodic resync).
  const claimController = controller('persistentvolume-binder-claims', claims).watches(volumes, (pv) => {
    const ref = rec(spec(pv).claimRef);
    if (spec(pv).claimRef && ref.namespace && ref.name) return [`${ref.namespace}/${ref.name}`];
    return status(pv).phase === 'Available' ? unboundClaims() : [];
  });
  const volumeController = controller('persistentvolume-binder-volumes', volumes).watches(claims, (c) => {
    const names = new Set<string>();
    const named = spec(c).volumeName;
    if (typeof named === 'string' && named) names.add(named);
    for (const pv of volumes.lister.list()) {
      const ref = rec(spec(pv).claimRef);
      if (ref.name === c.metadata.name && ref.namespace === c.metadata.namespace) names.add(pv.metadata.name!);
    }
    return [...names];
  });
  // One worker per queue, as upstream: binding decisions are serialized so two claims never race for one volume.
  ctx.run('persistentvolume-binder-claims', claimController.run(reconcileClaim, { workers: 1, signal: ctx.signal, log: ctx.log }));
  ctx.run('persistentvolume-binder-volumes', volumeController.run(reconcileVolume, { workers: 1, signal: ctx.signal, log: ctx.log }));
}
