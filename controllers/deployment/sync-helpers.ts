// Pure helpers of a Deployment sync: status comparison, proportional scaling shares, failure conditions.
import {
  activeRSs, byCreation, intAnnotation, maxSurge, newCondition, replicasOf, DESIRED_REPLICAS, MAX_REPLICAS,
  type Deployment, type DeploymentStatus, type RS,
} from './util.ts';

export function sameStatus(a: DeploymentStatus | undefined, b: DeploymentStatus): boolean {
  return JSON.stringify(normalize(a ?? {})) === JSON.stringify(normalize(b));
}

/** Zero counts are omitted on the wire (omitempty upstream); write and compare with them dropped. */
export function normalize(s: DeploymentStatus): DeploymentStatus {
  const out: Record<string, unknown> = {};
  for (const k of ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas', 'collisionCount', 'conditions'] as const) {
    const v = s[k];
    if (v !== undefined && v !== 0 && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  }
  return out as DeploymentStatus;
}

/** FindActiveOrLatest: the only active RS, or (none active) the newest one; undefined with several active. */
export function findActiveOrLatest(newRS: RS | undefined, oldRSs: RS[]): RS | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const sortedOld = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeRSs([...sortedOld, newRS]);
  if (active.length === 0) return newRS ?? sortedOld[0];
  if (active.length === 1) return active[0];
  return undefined;
}

export function isSaturated(d: Deployment, rs: RS | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, DESIRED_REPLICAS);
  const want = replicasOf(d);
  return desired === want && (rs.spec?.replicas ?? 1) === want && (rs.status?.availableReplicas ?? 0) === want;
}

/** GetProportion / getReplicaSetFraction: the RS's share of the change, by its max-replicas annotation. */
export function proportion(rs: RS, d: Deployment, toAdd: number, added: number): number {
  const replicas = rs.spec?.replicas ?? 1;
  if (replicas === 0 || toAdd === 0 || toAdd === added) return 0;
  let fraction: number;
  if (replicasOf(d) === 0) {
    fraction = -replicas;
  } else {
    const deploymentReplicas = replicasOf(d) + maxSurge(d);
    const annotated = intAnnotation(rs, MAX_REPLICAS) ?? d.status?.replicas ?? 0;
    fraction = annotated === 0 ? 0 : roundToInt((replicas * deploymentReplicas) / annotated) - replicas;
  }
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

/** integer.RoundToInt32: round half away from zero. */
export function roundToInt(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** getReplicaFailures: the new RS's ReplicaFailure condition (else an old one's) as a Deployment condition. */
export function replicaFailure(allRSs: Array<RS | undefined>, newRS: RS | undefined): ReturnType<typeof newCondition> | undefined {
  const convert = (rs: RS | undefined) => {
    const c = rs?.status?.conditions?.find((x) => x.type === 'ReplicaFailure');
    return c && { type: 'ReplicaFailure', status: c.status as 'True' | 'False' | 'Unknown', lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message };
  };
  if (newRS) {
    const c = convert(newRS);
    if (c) return c;
  }
  for (const rs of allRSs) {
    if (rs === newRS) continue;
    const c = convert(rs);
    if (c) return c;
  }
  return undefined;
}

