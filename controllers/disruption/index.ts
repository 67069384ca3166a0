// The disruption controller: PodDisruptionBudget status (expected, healthy, allowed disruptions and the DisruptionAllowed condition).
import type { ControllerContext } from '../manager.ts';
import { Resources, controller, controllerRefOf, objectPath, type Action, type KubeObject, type Lister } from '../runtime/index.ts';
import { isPodReady, num, scaledValue, spec, status, setCondition, isoNow, type Condition } from '../podutil/index.ts';
import { selectorMatches } from '../../server/registry/selector.ts';

export interface Scales {
  rc: Lister<KubeObject>;
  rs: Lister<KubeObject>;
  deploy: Lister<KubeObject>;
  sts: Lister<KubeObject>;
}

/** The pods a PDB covers: same namespace, selector match (an empty selector matches every pod; a missing one none). */
export function pdbPods(pdb: KubeObject, pods: readonly KubeObject[]): KubeObject[] {
  const sel = spec(pdb).selector;
  if (sel === undefined || sel === null) return [];
  return pods.filter((p) => selectorMatches(sel, p.metadata.labels ?? {}));
}

/**
 * The replicas the pods' controllers want (upstream's getExpectedScale): each distinct controller
 * counted once (a ReplicaSet owned by a Deployment counts as the Deployment).
 * @throws Error when a pod has no controller of a scalable kind.
 */
export function expectedScale(pods: readonly KubeObject[], ns: string, scales: Scales): number {
  const seen = new Map<string, number>();
  for (const pod of pods) {
    const ref = controllerRefOf(pod);
    if (!ref) throw new Error(`found no controller ref for pod ${JSON.stringify(pod.metadata.name)}`);
    let owner: KubeObject | undefined;
    if (ref.kind === 'ReplicaSet') {
      owner = scales.rs.get(`${ns}/${ref.name}`);
      const dref = owner && controllerRefOf(owner);
      if (dref?.kind === 'Deployment') owner = scales.deploy.get(`${ns}/${dref.name}`) ?? owner;
    } else if (ref.kind === 'ReplicationController') owner = scales.rc.get(`${ns}/${ref.name}`);
    else if (ref.kind === 'StatefulSet') owner = scales.sts.get(`${ns}/${ref.name}`);
    else if (ref.kind === 'Deployment') owner = scales.deploy.get(`${ns}/${ref.name}`);
    if (!owner) throw new Error(`found no controllers for pod ${JSON.stringify(pod.metadata.name)}`);
    seen.set(owner.metadata.uid!, num(spec(owner).replicas, 1));
  }
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

/** The PDB's numbers: expected pods, desired healthy (minAvailable or expected − maxUnavailable), current healthy (ready, not deleting). */
export function budget(pdb: KubeObject, pods: readonly KubeObject[], scale: () => number): { expected: number; desired: number; current: number; allowed: number } {
  const s = spec(pdb);
  let expected: number;
  let desired: number;
  if (s.maxUnavailable !== undefined && s.maxUnavailable !== null) {
    expected = scale();
    desired = Math.max(0, expected - scaledValue(s.maxUnavailable, expected, true, 0));
  } else if (typeof s.minAvailable === 'number' || (typeof s.minAvailable === 'string' && /^\d+$/.test(s.minAvailable))) {
    desired = Number(s.minAvailable);
    expected = pods.length;
  } else if (typeof s.minAvailable === 'string') {
    expected = scale();
    desired = scaledValue(s.minAvailable, expected, true, 0);
  } else {
    expected = pods.length;
    desired = 0;
  }
  const current = pods.filter((p) => !p.metadata.deletionTimestamp && isPodReady(p)).length;
  let allowed = current - desired;
  if (expected <= 0 || allowed <= 0) allowed = 0;
  return { expected, desired, current, allowed };
}

export function registerDisruption(ctx: ControllerContext): void {
  const pdbs = ctx.informers.informerOf(Resources.PodDisruptionBudget);
  const pods = ctx.informers.informerOf(Resources.Pod);
  const scales: Scales = {
    rc: ctx.informers.informerOf(Resources.ReplicationController).lister,
    rs: ctx.informers.informerOf(Resources.ReplicaSet).lister,
    deploy: ctx.informers.informerOf(Resources.Deployment).lister,
    sts: ctx.informers.informerOf(Resources.StatefulSet).lister,
  };

  const reconcile = async (key: string): Promise<Action> => {
    const pdb = pdbs.lister.get(key);
    if (!pdb) return 'done';
    const ns = pdb.metadata.namespace!;
    const covered = pdbPods(pdb, pods.lister.listNamespace(ns));
    const st = structuredClone(status(pdb));
    const conds = [...((st.conditions as Condition[] | undefined) ?? [])];
    try {
      const b = budget(pdb, covered, () => expectedScale(covered, ns, scales));
      Object.assign(st, { currentHealthy: b.current, desiredHealthy: b.desired, disruptionsAllowed: b.allowed, expectedPods: b.expected });
      setCondition(conds, b.allowed > 0
        ? { type: 'DisruptionAllowed', status: 'True', reason: 'SufficientPods', message: '', observedGeneration: pdb.metadata.generation, lastTransitionTime: isoNow() }
        : { type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '', observedGeneration: pdb.metadata.generation, lastTransitionTime: isoNow() });
    } catch (e: unknown) {
      // Upstream's failSafe: no disruptions while the budget cannot be computed.
      st.disruptionsAllowed = 0;
      setCondition(conds, { type: 'DisruptionAllowed', status: 'False', reason: 'SyncFailed', message: e instanceof Error ? e.message : String(e), observedGeneration: pdb.metadata.generation, lastTransitionTime: isoNow() });
    }
    st.conditions = conds;
    st.observedGeneration = pdb.metadata.generation;
    st.disruptedPods ??= undefined;
    if (st.disruptedPods === undefined) delete st.disruptedPods;
    if (JSON.stringify(st) === JSON.stringify(status(pdb))) return 'done';
    await ctx.client.request('PUT', objectPath(Resources.PodDisruptionBudget, ns, pdb.metadata.name!, 'status'), { body: { ...structuredClone(pdb), status: st } });
    return 'done';
  };

  const forPod = (p: KubeObject): string[] => pdbs.lister.listNamespace(p.metadata.namespace ?? '').filter((d) => pdbPods(d, [p]).length > 0).map((d) => `${d.metadata.namespace}/${d.metadata.name}`);
  const c = controller('disruption-controller', pdbs).watches(pods, forPod);
  ctx.run('disruption', c.run(reconcile, { workers: 1, signal: ctx.signal, log: ctx.log }));

}
