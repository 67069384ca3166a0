// Node matching used by controllers: nodeSelector, required node affinity, taints and tolerations (upstream's component-helpers rules).
import type { KubeObject } from '../runtime/index.ts';
import { arr, rec, spec, type Obj } from './index.ts';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** v1helper ToleratesTaint: empty effect matches all, empty key with Exists matches all keys, Exists ignores the value. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key !== undefined && t.key !== '' && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

/** The first taint passing `filter` that no toleration tolerates. */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], filter: (t: Taint) => boolean): Taint | undefined {
  return taints.find((taint) => filter(taint) && !tolerations.some((t) => toleratesTaint(t, taint)));
}

export function nodeTaints(node: KubeObject): Taint[] {
  return arr<Taint>(spec(node).taints);
}

function requirementMatches(req: Obj, value: string | undefined, present: boolean): boolean {
  const values = arr<string>(req.values);
  switch (req.operator) {
    case 'In':
      return present && values.includes(value!);
    case 'NotIn':
      return !present || !values.includes(value!);
    case 'Exists':
      return present;
    case 'DoesNotExist':
      return !present;
    case 'Gt':
    case 'Lt': {
      if (!present || values.length !== 1 || !/^-?\d+$/.test(value!) || !/^-?\d+$/.test(values[0]!)) return false;
      return req.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
    }
    default:
      return false;
  }
}

/** Whether a NodeSelectorTerm matches: every label expression and every field (metadata.name) requirement; an empty term matches nothing. */
export function termMatches(term: unknown, node: KubeObject): boolean {
  const exprs = arr(rec(term).matchExpressions);
  const fields = arr(rec(term).matchFields);
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const e of exprs) if (!requirementMatches(e, labels[String(e.key)], String(e.key) in labels)) return false;
  for (const f of fields) {
    if (f.key !== 'metadata.name') return false;
    if (!requirementMatches(f, node.metadata.name, true)) return false;
  }
  return true;
}

/** nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): nodeSelector labels and the required terms (ORed). */
export function podFitsNodeAffinity(podSpec: Obj, node: KubeObject): boolean {
  const sel = rec(podSpec.nodeSelector) as Record<string, string>;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) return false;
  const required = rec(rec(rec(podSpec.affinity).nodeAffinity).requiredDuringSchedulingIgnoredDuringExecution);
  if (!('nodeSelectorTerms' in required)) return true;
  return arr(required.nodeSelectorTerms).some((t) => termMatches(t, node));
}
