// One Deployment sync, after upstream's sync.go / rolling.go / recreate.go / progress.go: new RS, scaling, rollouts, status, clean-up.
import { collectionPath, isAlreadyExists, objectPath, Resources, type ApiClient, type EventRecorder, type Lister } from '../runtime/index.ts';
import type { Pod } from '../replicaset/pod-utils.ts';
import { findActiveOrLatest, isSaturated, normalize, proportion, replicaFailure, sameStatus } from './sync-helpers.ts';
import {
  activeRSs, availableSum, byCreation, byRevision, bySizeNewer, bySizeOlder, computeHash, deploymentComplete, deploymentProgressing,
  deploymentTimedOut, equalIgnoreHash, getCondition, hasProgressDeadline, intAnnotation, isRollingUpdate, maxRevision, maxSurge,
  maxUnavailable, newCondition, POD_TEMPLATE_HASH, readySum, Reasons, removeCondition, replicasAnnotationsNeedUpdate, replicasOf,
  DESIRED_REPLICAS, MAX_REPLICAS, REVISION, setCondition, setDeploymentRevision, setNewReplicaSetAnnotations, setReplicasAnnotations,
  specReplicasSum, statusReplicasSum, type Deployment, type DeploymentStatus, type RS,
} from './util.ts';

export interface SyncDeps {
  client: ApiClient;
  recorder: EventRecorder;
  pods: Lister<Pod>;
}

/** Requeue wish of a sync: the progress deadline check needs a later look. */
export interface SyncResult {
  requeueAfterMs?: number;
}

/** The state of one sync: the Deployment (replaced by each status write's answer) and its claimed ReplicaSets. */
export class DeploymentSync {
  d: Deployment;
  readonly #deps: SyncDeps;
  readonly #rsList: RS[];
  requeueAfterMs: number | undefined;

  constructor(deps: SyncDeps, d: Deployment, rsList: RS[]) {
    this.#deps = deps;
    this.d = structuredClone(d);
    this.#rsList = rsList.map((rs) => structuredClone(rs));
  }

  // ---- writes ----
  async updateStatus(): Promise<void> {
    const { namespace, name } = this.d.metadata;
    this.d = await this.#deps.client.request<Deployment>('PUT', objectPath(Resources.Deployment, namespace, name!, 'status'), { body: this.d });
  }

  async #updateRS(rs: RS): Promise<RS> {
    return await this.#deps.client.request<RS>('PUT', objectPath(Resources.ReplicaSet, rs.metadata.namespace, rs.metadata.name!), { body: rs });
  }

  #event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.#deps.recorder.event(this.d, type, reason, message);
  }

  // ---- finding replica sets ----
  /** FindNewReplicaSet: the oldest RS whose template equals the Deployment's (ignoring the hash label). */
  findNewRS(): RS | undefined {
    return [...this.#rsList].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, this.d.spec.template));
  }

  oldRSs(newRS: RS | undefined): RS[] {
    return this.#rsList.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid);
  }

  /** getAllReplicaSetsAndSyncRevision: the new RS (created when asked) with its revision synced, and the old ones. */
  async allReplicaSets(create: boolean): Promise<{ newRS: RS | undefined; oldRSs: RS[] }> {
    const existing = this.findNewRS();
    const oldRSs = this.oldRSs(existing);
    return { newRS: await this.#getNewReplicaSet(existing, oldRSs, create), oldRSs };
  }

  async #getNewReplicaSet(existing: RS | undefined, oldRSs: RS[], create: boolean): Promise<RS | undefined> {
    const d = this.d;
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const rsCopy = structuredClone(existing);
      const annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
      const minReadyNeedsUpdate = (rsCopy.spec?.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyNeedsUpdate) {
        rsCopy.spec = { ...rsCopy.spec, minReadySeconds: d.spec.minReadySeconds ?? 0 };
        return this.#replace(await this.#updateRS(rsCopy));
      }
      let needsUpdate = setDeploymentRevision(d, rsCopy.metadata.annotations?.[REVISION] ?? '');
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        setCondition((d.status ??= {}), newCondition('Progressing', 'True', Reasons.FoundNewRS, `Found new replica set "${rsCopy.metadata.name}"`));
        needsUpdate = true;
      }
      if (needsUpdate) await this.updateStatus();
      return rsCopy;
    }
    if (!create) return undefined;

    const hash = computeHash(d.spec.template, d.status?.collisionCount);
    const template = structuredClone(d.spec.template);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [POD_TEMPLATE_HASH]: hash } };
    const selector = structuredClone(d.spec.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [POD_TEMPLATE_HASH]: hash };
    const newRS: RS = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: d.metadata.name!, uid: d.metadata.uid!, controller: true, blockOwnerDeletion: true }],
        labels: template.metadata.labels,
      },
      spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds ?? 0, selector, template },
    };
    const newReplicas = this.newRSNewReplicas([...oldRSs, newRS], newRS);
    newRS.spec!.replicas = newReplicas;
    setNewReplicaSetAnnotations(d, newRS, newRevision, false);

    let created: RS;
    let alreadyExists = false;
    try {
      created = await this.#deps.client.request<RS>('POST', collectionPath(Resources.ReplicaSet, d.metadata.namespace), { body: newRS });
    } catch (e: unknown) {
      if (isAlreadyExists(e)) {
        const rs = await this.#deps.client.request<RS>('GET', objectPath(Resources.ReplicaSet, d.metadata.namespace, newRS.metadata.name!));
        const ownedByUs = rs.metadata.ownerReferences?.some((r) => r.controller && r.uid === d.metadata.uid);
        if (ownedByUs && equalIgnoreHash(rs.spec?.template, d.spec.template)) {
          created = rs;
          alreadyExists = true;
        } else {
          // A hash collision: bump collisionCount so the next sync computes another name.
          (d.status ??= {}).collisionCount = (d.status.collisionCount ?? 0) + 1;
          await this.updateStatus();
          throw e;
        }
      } else {
        const msg = `Failed to create new replica set "${newRS.metadata.name}": ${e instanceof Error ? e.message : String(e)}`;
        if (hasProgressDeadline(d)) {
          setCondition((d.status ??= {}), newCondition('Progressing', 'False', Reasons.FailedRSCreate, msg));
          await this.updateStatus().catch(() => undefined);
        }
        this.#event('Warning', Reasons.FailedRSCreate, msg);
        throw e;
      }
    }
    this.#rsList.push(created);
    if (!alreadyExists && newReplicas > 0) this.#event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${newReplicas}`);
    let needsUpdate = setDeploymentRevision(d, String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition((d.status ??= {}), newCondition('Progressing', 'True', Reasons.NewReplicaSet, `Created new replica set "${created.metadata.name}"`));
      needsUpdate = true;
    }
    if (needsUpdate) await this.updateStatus();
    return created;
  }

  /** The working-list copies of these RSs (fresher after our own writes). */
  #current(list: RS[]): RS[] {
    return list.map((r) => this.#rsList.find((x) => x.metadata.uid === r.metadata.uid) ?? r);
  }

  /** Replaces an RS in the working list with a fresher copy and returns it. */
  #replace(rs: RS): RS {
    const i = this.#rsList.findIndex((r) => r.metadata.uid === rs.metadata.uid);
    if (i >= 0) this.#rsList[i] = rs;
    return rs;
  }

  /** NewRSNewReplicas: Recreate scales at once; RollingUpdate up to replicas + maxSurge in total. */
  newRSNewReplicas(allRSs: RS[], newRS: RS): number {
    const d = this.d;
    const current = newRS.spec?.replicas ?? 0;
    if (!isRollingUpdate(d)) return replicasOf(d);
    const maxTotal = replicasOf(d) + maxSurge(d);
    const total = specReplicasSum(allRSs);
    if (total >= maxTotal) return current;
    return current + Math.min(maxTotal - total, replicasOf(d) - current);
  }

  // ---- scaling ----
  /** scaleReplicaSetAndRecordEvent: returns the RS after the write (unchanged if nothing to do). */
  async scaleRS(rs: RS, newScale: number): Promise<{ scaled: boolean; rs: RS }> {
    if ((rs.spec?.replicas ?? 1) === newScale) return { scaled: false, rs };
    return this.#scale(rs, newScale, (rs.spec?.replicas ?? 1) < newScale ? 'up' : 'down');
  }

  async #scale(rs: RS, newScale: number, op: 'up' | 'down'): Promise<{ scaled: boolean; rs: RS }> {
    const d = this.d;
    const sizeNeedsUpdate = (rs.spec?.replicas ?? 1) !== newScale;
    const annotationsNeedUpdate = replicasAnnotationsNeedUpdate(rs, replicasOf(d), replicasOf(d) + maxSurge(d));
    if (!sizeNeedsUpdate && !annotationsNeedUpdate) return { scaled: false, rs };
    const oldScale = rs.spec?.replicas ?? 1;
    const copy = structuredClone(rs);
    copy.spec = { ...copy.spec, replicas: newScale };
    setReplicasAnnotations(copy, replicasOf(d), replicasOf(d) + maxSurge(d));
    const updated = this.#replace(await this.#updateRS(copy));
    if (sizeNeedsUpdate) this.#event('Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${updated.metadata.name} from ${oldScale} to ${newScale}`);
    return { scaled: sizeNeedsUpdate, rs: updated };
  }

  /** scale: for a scaling event or a paused Deployment, spread the change proportionally over active RSs. */
  async scale(newRS: RS | undefined, oldRSs: RS[]): Promise<void> {
    const d = this.d;
    const want = replicasOf(d);
    const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
    if (activeOrLatest) {
      if ((activeOrLatest.spec?.replicas ?? 1) === want) return;
      await this.scaleRS(activeOrLatest, want);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeRSs(oldRSs)) await this.scaleRS(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    let all = activeRSs([...oldRSs, newRS]);
    const allReplicas = specReplicasSum(all);
    const allowed = want > 0 ? want + maxSurge(d) : 0;
    const toAdd = allowed - allReplicas;
    let op: 'up' | 'down';
    if (toAdd > 0) {
      all = all.sort(bySizeNewer);
      op = 'up';
    } else if (toAdd < 0) {
      all = all.sort(bySizeOlder);
      op = 'down';
    } else {
      return;
    }
    const sizes = new Map<string, number>();
    let added = 0;
    for (const rs of all) {
      const p = proportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name!, (rs.spec?.replicas ?? 1) + p);
      added += p;
    }
    if (all.length > 0) {
      const first = all[0]!.metadata.name!;
      sizes.set(first, Math.max(0, sizes.get(first)! + toAdd - added));
    }
    for (const rs of all) await this.#scale(rs, sizes.get(rs.metadata.name!)!, op);
  }

  // ---- status ----
  calculateStatus(allRSs: Array<RS | undefined>, newRS: RS | undefined): DeploymentStatus {
    const d = this.d;
    const available = availableSum(allRSs);
    const total = specReplicasSum(allRSs);
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation,
      replicas: statusReplicasSum(allRSs),
      updatedReplicas: statusReplicasSum([newRS]),
      readyReplicas: readySum(allRSs),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
    };
    if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
    if (d.status?.conditions?.length) status.conditions = d.status.conditions.map((c) => ({ ...c }));
    if (available >= replicasOf(d) - maxUnavailable(d)) {
      setCondition(status, newCondition('Available', 'True', Reasons.MinimumReplicasAvailable, 'Deployment has minimum availability.'));
    } else {
      setCondition(status, newCondition('Available', 'False', Reasons.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.'));
    }
    return status;
  }

  /** syncDeploymentStatus: write the computed status when it differs. */
  async syncDeploymentStatus(allRSs: Array<RS | undefined>, newRS: RS | undefined): Promise<void> {
    const status = this.calculateStatus(allRSs, newRS);
    if (sameStatus(this.d.status, status)) return;
    this.d.status = normalize(status);
    await this.updateStatus();
  }

  /** syncRolloutStatus: status plus the Progressing condition, and a requeue for the progress deadline. */
  async syncRolloutStatus(allRSs: Array<RS | undefined>, newRS: RS | undefined): Promise<void> {
    const d = this.d;
    const status = this.calculateStatus(allRSs, newRS);
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const current = getCondition(d.status, 'Progressing');
    const complete = status.replicas === status.updatedReplicas && current?.reason === Reasons.NewRSAvailable;
    if (hasProgressDeadline(d) && !complete) {
      const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
      if (deploymentComplete(d, status)) {
        setCondition(status, newCondition('Progressing', 'True', Reasons.NewRSAvailable, `${subject} has successfully progressed.`));
      } else if (deploymentProgressing(d, status)) {
        const cond = newCondition('Progressing', 'True', Reasons.ReplicaSetUpdated, `${subject} is progressing.`);
        if (current) {
          if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
          removeCondition(status, 'Progressing');
        }
        setCondition(status, cond);
      } else if (deploymentTimedOut(d, status)) {
        setCondition(status, newCondition('Progressing', 'False', Reasons.TimedOut, `${subject} has timed out progressing.`));
      }
    }
    const failure = replicaFailure(allRSs, newRS);
    if (failure) setCondition(status, failure);
    else removeCondition(status, 'ReplicaFailure');
    if (sameStatus(d.status, status)) {
      this.#requeueStuck(status);
      return;
    }
    this.d.status = normalize(status);
    await this.updateStatus();
  }

  #requeueStuck(status: DeploymentStatus): void {
    const d = this.d;
    const current = getCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !current) return;
    if (deploymentComplete(d, status) || current.reason === Reasons.TimedOut) return;
    const after = Date.parse(current.lastUpdateTime ?? '') + d.spec.progressDeadlineSeconds! * 1000 - Date.now();
    this.requeueAfterMs = after < 1000 ? 1000 : after + 1000;
  }

  // ---- clean-up ----
  /** cleanupDeployment: delete the oldest dead RSs beyond revisionHistoryLimit. */
  async cleanup(oldRSs: RS[]): Promise<void> {
    const limit = this.d.spec.revisionHistoryLimit;
    if (limit === undefined || limit === null) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort(byRevision);
    const diff = cleanable.length - limit;
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i]!;
      if ((rs.status?.replicas ?? 0) !== 0 || (rs.spec?.replicas ?? 1) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      await this.#deps.client
        .request('DELETE', objectPath(Resources.ReplicaSet, rs.metadata.namespace, rs.metadata.name!))
        .catch((e: unknown) => {
          if (!(e instanceof Error && 'code' in e && (e as { code: number }).code === 404)) throw e;
        });
    }
  }

  // ---- strategies ----
  /** rolloutRolling. */
  async rolloutRolling(): Promise<void> {
    const { newRS } = await this.allReplicaSets(true);
    let cur = newRS!;
    const all = (): RS[] => [...this.oldRSs(cur), cur];
    const up = await this.#reconcileNewRS(all(), cur);
    cur = up.rs;
    if (up.scaled) return this.syncRolloutStatus(all(), cur);
    if (await this.#reconcileOldRSs(all(), activeRSs(this.oldRSs(cur)), cur)) return this.syncRolloutStatus(all(), cur);
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(this.oldRSs(cur));
    return this.syncRolloutStatus(all(), cur);
  }

  async #reconcileNewRS(allRSs: RS[], newRS: RS): Promise<{ scaled: boolean; rs: RS }> {
    const want = replicasOf(this.d);
    const current = newRS.spec?.replicas ?? 1;
    if (current === want) return { scaled: false, rs: newRS };
    if (current > want) return this.scaleRS(newRS, want);
    return this.scaleRS(newRS, this.newRSNewReplicas(allRSs, newRS));
  }

  async #reconcileOldRSs(allRSs: RS[], oldRSs: RS[], newRS: RS): Promise<boolean> {
    const d = this.d;
    if (specReplicasSum(oldRSs) === 0) return false;
    const allPods = specReplicasSum(allRSs);
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = (newRS.spec?.replicas ?? 1) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    // cleanupUnhealthyReplicas: first scale down old RSs' unavailable pods, oldest RS first.
    let cleaned = 0;
    const olds = [...oldRSs].sort(byCreation);
    for (let i = 0; i < olds.length; i++) {
      const rs = olds[i]!;
      if (cleaned >= maxScaledDown) break;
      const replicas = rs.spec?.replicas ?? 1;
      const available = rs.status?.availableReplicas ?? 0;
      if (replicas === 0 || replicas === available) continue;
      const n = Math.min(maxScaledDown - cleaned, replicas - available);
      // A status that lags a scale-down can report more available pods than replicas: never scale up here.
      if (replicas - n > replicas) {
        throw new Error(`when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${replicas} -> ${replicas - n}`);
      }
      olds[i] = (await this.scaleRS(rs, replicas - n)).rs;
      cleaned += n;
    }
    // scaleDownOldReplicaSetsForRollingUpdate: then as many available pods as minAvailable allows.
    const all = [...olds, newRS];
    const availablePods = availableSum(all);
    let scaledDown = 0;
    if (availablePods > minAvailable) {
      const total = availablePods - minAvailable;
      for (const rs of olds.sort(byCreation)) {
        if (scaledDown >= total) break;
        const replicas = rs.spec?.replicas ?? 1;
        if (replicas === 0) continue;
        const n = Math.min(replicas, total - scaledDown);
        await this.scaleRS(rs, replicas - n);
        scaledDown += n;
      }
    }
    return cleaned + scaledDown > 0;
  }

  /** rolloutRecreate: old RSs to zero, wait for their pods to go, then the new RS to full size. */
  async rolloutRecreate(): Promise<void> {
    let { newRS, oldRSs } = await this.allReplicaSets(false);
    const active = activeRSs(oldRSs);
    let scaledDown = false;
    for (const rs of active) if ((await this.scaleRS(rs, 0)).scaled) scaledDown = true;
    const fresh = (list: RS[]): RS[] => this.#current(list);
    if (scaledDown) return this.syncRolloutStatus([...fresh(oldRSs), newRS], newRS);
    if (this.#oldPodsRunning(newRS, fresh(oldRSs))) return this.syncRolloutStatus([...fresh(oldRSs), newRS], newRS);
    if (!newRS) ({ newRS, oldRSs } = await this.allReplicaSets(true));
    newRS = (await this.scaleRS(newRS!, replicasOf(this.d))).rs;
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(fresh(oldRSs));
    return this.syncRolloutStatus([...fresh(oldRSs), newRS], newRS);
  }

  #oldPodsRunning(newRS: RS | undefined, oldRSs: RS[]): boolean {
    if (statusReplicasSum(oldRSs) > 0) return true;
    const uids = new Set(oldRSs.map((r) => r.metadata.uid));
    return this.#deps.pods
      .listNamespace(this.d.metadata.namespace!)
      .some((p) => {
        const owner = p.metadata.ownerReferences?.find((r) => r.controller)?.uid;
        if (!owner || owner === newRS?.metadata.uid || !uids.has(owner)) return false;
        const phase = p.status?.phase;
        return phase !== 'Failed' && phase !== 'Succeeded';
      });
  }

  /** isScalingEvent: an active RS whose desired-replicas annotation differs from the Deployment's replicas. */
  async isScalingEvent(): Promise<boolean> {
    const { newRS, oldRSs } = await this.allReplicaSets(false);
    return activeRSs([...oldRSs, newRS]).some((rs) => {
      const desired = intAnnotation(rs, DESIRED_REPLICAS);
      return desired !== undefined && desired !== replicasOf(this.d);
    });
  }

  /** sync: scaling and paused Deployments. */
  async sync(): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSets(false);
    await this.scale(newRS, oldRSs);
    const fresh = (list: RS[]): RS[] => this.#current(list);
    if (this.d.spec.paused) await this.cleanup(fresh(oldRSs));
    const cur = newRS && this.#rsList.find((x) => x.metadata.uid === newRS.metadata.uid);
    await this.syncDeploymentStatus([...fresh(oldRSs), cur], cur);
  }

  /** syncStatusOnly: a Deployment being deleted only gets its status refreshed. */
  async syncStatusOnly(): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSets(false);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  /** checkPausedConditions: Progressing Unknown with DeploymentPaused / DeploymentResumed. */
  async checkPausedConditions(): Promise<void> {
    const d = this.d;
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === Reasons.TimedOut) return;
    const pausedCondExists = cond?.reason === Reasons.Paused;
    if (d.spec.paused && !pausedCondExists) setCondition((d.status ??= {}), newCondition('Progressing', 'Unknown', Reasons.Paused, 'Deployment is paused'));
    else if (!d.spec.paused && pausedCondExists) setCondition((d.status ??= {}), newCondition('Progressing', 'Unknown', Reasons.Resumed, 'Deployment is resumed'));
    else return;
    await this.updateStatus();
  }
}
