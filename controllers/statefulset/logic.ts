// The StatefulSet controller's pure rules: ordinals, stable pod identity, claims from templates, what one sync step should do.
import type { KubeObject } from '../runtime/index.ts';
import { arr, isPodAvailable, isPodReady, num, podPhase, rec, spec, type Obj } from '../podutil/index.ts';
import { REVISION_HASH_LABEL } from '../podutil/history.ts';

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

/** The ordinal in `<sts>-<n>`, or undefined when the pod's name is not of that form. */
export function ordinalOf(sts: KubeObject, pod: KubeObject): number | undefined {
  const prefix = `${sts.metadata.name}-`;
  const name = pod.metadata.name ?? '';
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function replicasOf(sts: KubeObject): number {
  return num(spec(sts).replicas, 1);
}

export function startOrdinal(sts: KubeObject): number {
  return num(rec(spec(sts).ordinals).start, 0);
}

export function claimName(template: Obj, sts: KubeObject, ordinal: number): string {
  return `${String(rec(template.metadata).name)}-${sts.metadata.name}-${ordinal}`;
}

/** isRunningAndReady: phase Running and Ready=True. */
export function runningAndReady(pod: KubeObject): boolean {
  return podPhase(pod) === 'Running' && isPodReady(pod);
}

export function runningAndAvailable(pod: KubeObject, minReadySeconds: number, now: number): boolean {
  return podPhase(pod) === 'Running' && isPodAvailable(pod, minReadySeconds, now);
}

/**
 * The pod of ordinal `ord` built from `template` (a revision's or the set's): name `<sts>-<ord>`,
 * the identity labels, hostname/subdomain, and one volume per claim template.
 */
export function statefulPod(sts: KubeObject, template: unknown, revisionName: string, ord: number): KubeObject {
  const t = structuredClone(rec(template));
  const name = `${sts.metadata.name}-${ord}`;
  const meta = rec(t.metadata);
  const podSpec = rec(t.spec);
  const claims = arr(spec(sts).volumeClaimTemplates);
  const volumes = arr(podSpec.volumes).filter((v) => !claims.some((c) => rec(c.metadata).name === v.name));
  for (const c of claims) volumes.push({ name: String(rec(c.metadata).name), persistentVolumeClaim: { claimName: claimName(c, sts, ord) } });
  if (volumes.length) podSpec.volumes = volumes;
  podSpec.hostname = name;
  if (spec(sts).serviceName) podSpec.subdomain = spec(sts).serviceName;
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: sts.metadata.namespace,
      labels: { ...(meta.labels as Record<string, string> | undefined), [REVISION_HASH_LABEL]: revisionName, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ord) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name!, uid: sts.metadata.uid!, controller: true, blockOwnerDeletion: true }],
    },
    spec: podSpec,
  };
  if (meta.annotations) pod.metadata.annotations = { ...(meta.annotations as Record<string, string>) };
  if (Array.isArray(meta.finalizers)) pod.metadata.finalizers = [...(meta.finalizers as string[])];
  return pod;
}

/** The PVCs of ordinal `ord`: template spec, template labels plus the set's matchLabels; owned by the set when whenDeleted is Delete. */
export function statefulClaims(sts: KubeObject, ord: number): KubeObject[] {
  const matchLabels = (rec(spec(sts).selector).matchLabels ?? {}) as Record<string, string>;
  const whenDeleted = rec(spec(sts).persistentVolumeClaimRetentionPolicy).whenDeleted;
  return arr(spec(sts).volumeClaimTemplates).map((c) => {
    const meta = rec(c.metadata);
    const pvc: KubeObject = {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: { name: claimName(c, sts, ord), namespace: sts.metadata.namespace, labels: { ...(meta.labels as Record<string, string> | undefined), ...matchLabels } },
      spec: structuredClone(rec(c.spec)),
    };
    if (meta.annotations) pvc.metadata.annotations = { ...(meta.annotations as Record<string, string>) };
    if (whenDeleted === 'Delete') pvc.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: sts.metadata.name!, uid: sts.metadata.uid!, controller: true, blockOwnerDeletion: true }];
    return pvc;
  });
}

/** One action of a sync step. */
export type Step =
  | { kind: 'create'; ordinal: number; revision: 'current' | 'update' }
  | { kind: 'delete'; pod: KubeObject; why: 'failed' | 'condemned' | 'update' }
  | { kind: 'wait'; reason: string };

/**
 * What to do now, as upstream's updateStatefulSet orders it: replace failed pods, create missing
 * ordinals (one at a time and only behind healthy predecessors under OrderedReady), scale down from
 * the highest ordinal, then roll out from the highest ordinal down to the partition.
 */
export function planSync(sts: KubeObject, pods: readonly KubeObject[], updateRevision: string, currentRevision: string, currentReplicas: number, now: number): Step[] {
  const start = startOrdinal(sts);
  const end = start + replicasOf(sts);
  const monotonic = (spec(sts).podManagementPolicy ?? 'OrderedReady') === 'OrderedReady';
  const minReady = num(spec(sts).minReadySeconds, 0);
  const bySlot = new Map<number, KubeObject>();
  const condemned: KubeObject[] = [];
  for (const p of pods) {
    const o = ordinalOf(sts, p);
    if (o === undefined) continue;
    if (o >= start && o < end) bySlot.set(o, p);
    else condemned.push(p);
  }
  condemned.sort((a, b) => ordinalOf(sts, b)! - ordinalOf(sts, a)!);
  const strategy = rec(spec(sts).updateStrategy);
  const rolling = (strategy.type ?? 'RollingUpdate') === 'RollingUpdate';
  const partition = num(rec(strategy.rollingUpdate).partition, 0);
  const revisionFor = (o: number): 'current' | 'update' => {
    if (!rolling) return currentRevision === updateRevision ? 'update' : 'current';
    const hasPartition = rec(strategy.rollingUpdate).partition !== undefined;
    return (hasPartition ? o < partition : o - start < currentReplicas) && currentRevision !== updateRevision ? 'current' : 'update';
  };
  const steps: Step[] = [];
  for (let o = start; o < end; o++) {
    const p = bySlot.get(o);
    if (p && (podPhase(p) === 'Failed' || podPhase(p) === 'Succeeded') && !p.metadata.deletionTimestamp) {
      steps.push({ kind: 'delete', pod: p, why: 'failed' });
      if (monotonic) return steps;
      continue;
    }
    if (!p) {
      steps.push({ kind: 'create', ordinal: o, revision: revisionFor(o) });
      if (monotonic) return steps;
      continue;
    }
    if (!monotonic) continue;
    if (p.metadata.deletionTimestamp) return [...steps, { kind: 'wait', reason: `StatefulSet is waiting for Pod ${p.metadata.name} to Terminate` }];
    if (!runningAndReady(p)) return [...steps, { kind: 'wait', reason: `StatefulSet is waiting for Pod ${p.metadata.name} to be Running and Ready` }];
    if (!runningAndAvailable(p, minReady, now)) return [...steps, { kind: 'wait', reason: `StatefulSet is waiting for Pod ${p.metadata.name} to be Available` }];
  }
  for (const p of condemned) {
    if (p.metadata.deletionTimestamp) {
      if (monotonic) return [...steps, { kind: 'wait', reason: `StatefulSet is waiting for Pod ${p.metadata.name} to Terminate prior to scale down` }];
      continue;
    }
    steps.push({ kind: 'delete', pod: p, why: 'condemned' });
    if (monotonic) return steps;
  }
  if (steps.length > 0 || !rolling) return steps;
  for (let o = end - 1; o >= Math.max(partition, start); o--) {
    const p = bySlot.get(o);
    if (!p) continue;
    if (p.metadata.labels?.[REVISION_HASH_LABEL] !== updateRevision && !p.metadata.deletionTimestamp) return [{ kind: 'delete', pod: p, why: 'update' }];
    if (!runningAndAvailable(p, minReady, now) || p.metadata.deletionTimestamp) return [{ kind: 'wait', reason: `StatefulSet is waiting for Pod ${p.metadata.name} to update` }];
  }
  return steps;
}
