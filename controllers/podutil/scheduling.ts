// Node matching shared by the scheduler and controllers: nodeSelector, required node affinity, taints and tolerations (upstream's component-helpers rules).
import type { KubeObject } from '../runtime/index.ts';
import type { LabelSelectorRequirement } from '../../server/selectors/labels.ts';

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

/** v1.NodeSelectorTerm: label expressions and field requirements (only metadata.name is a field). */
export interface NodeSelectorTerm {
  matchExpressions?: LabelSelectorRequirement[];
  matchFields?: LabelSelectorRequirement[];
}

/** The parts of a pod spec that decide which nodes it may run on. */
export interface NodePlacement {
  nodeSelector?: Record<string, string>;
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] } | null;
    };
  };
}

/** v1.Toleration.ToleratesTaint: empty effect matches all, empty key with Exists matches all keys, Exists ignores the value. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator || 'Equal';
  if (op === 'Exists') return true;
  if (op === 'Equal') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

/** The first taint passing `filter` that no toleration tolerates. */
export function findUntoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[], filter: (t: Taint) => boolean): Taint | undefined {
  return taints.find((taint) => filter(taint) && !tolerations.some((t) => toleratesTaint(t, taint)));
}

/** The node's spec.taints ([] when absent or malformed). */
export function nodeTaints(node: KubeObject): Taint[] {
  const taints = (node.spec as { taints?: unknown } | undefined)?.taints;
  return Array.isArray(taints) ? (taints as Taint[]) : [];
}

const INTEGER = /^[+-]?\d+$/;

/** One node selector requirement against a value (undefined: the label is absent); Gt/Lt compare strict integers as strconv.ParseInt does. */
function requirementMatches(r: LabelSelectorRequirement, value: string | undefined): boolean {
  const has = value !== undefined;
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value);
    case 'NotIn':
      return !has || !values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1 || !INTEGER.test(value) || !INTEGER.test(values[0]!)) return false;
      return r.operator === 'Gt' ? Number(value) > Number(values[0]) : Number(value) < Number(values[0]);
    }
    default:
      return false;
  }
}

/** One NodeSelectorTerm: all expressions and fields must match; a term with neither matches nothing. */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: KubeObject): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  for (const r of exprs) if (!requirementMatches(r, Object.hasOwn(labels, r.key) ? labels[r.key] : undefined)) return false;
  for (const r of fields) {
    // metadata.name is the only supported field.
    if (r.key !== 'metadata.name' || !requirementMatches(r, node.metadata.name)) return false;
  }
  return true;
}

/**
 * nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): spec.nodeSelector (every pair) and, if present,
 * the required node affinity (any of its terms).
 */
export function podFitsNodeAffinity(podSpec: Readonly<NodePlacement> | undefined, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(podSpec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = podSpec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return (required.nodeSelectorTerms ?? []).some((t) => nodeSelectorTermMatches(t, node));
  return true;
}
