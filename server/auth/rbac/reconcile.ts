// Start-up reconciliation of the bootstrap policy, and the ClusterRole aggregation loop (admin/edit/view).
import type { GenericStore } from '../../registry/store.ts';
import type { Catalogue } from '../../registry/catalogue.ts';
import type { KubeObject, ResourceDef } from '../../registry/types.ts';
import { ApiError } from '../../http/errors.ts';
import { labelSelectorAsSelector, type LabelSelector } from '../../selectors/labels.ts';
import type { Logger } from '../../log.ts';
import type { PolicyRule } from '../types.ts';
import { rulesOf } from './rules.ts';
import { AUTOUPDATE_ANNOTATION, bootstrapClusterRoleBindings, bootstrapClusterRoles, bootstrapNamespacedPolicy } from './policy.ts';
import type { RbacIndex } from './index.ts';
import { RBAC_GROUP } from './index.ts';

const ruleKey = (r: PolicyRule): string => JSON.stringify([r.verbs, r.apiGroups ?? [], r.resources ?? [], r.resourceNames ?? [], r.nonResourceURLs ?? []]);

function canonicalRule(r: PolicyRule): PolicyRule {
  const out: PolicyRule = { verbs: r.verbs };
  if (r.apiGroups?.length) out.apiGroups = r.apiGroups;
  if (r.resources?.length) out.resources = r.resources;
  if (r.resourceNames?.length) out.resourceNames = r.resourceNames;
  if (r.nonResourceURLs?.length) out.nonResourceURLs = r.nonResourceURLs;
  return out;
}

/** Existing rules plus the wanted ones they lack (upstream's reconcile never removes rules an admin added). */
function unionRules(existing: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  const seen = new Set(existing.map(ruleKey));
  return [...existing.map(canonicalRule), ...wanted.filter((r) => !seen.has(ruleKey(r)))];
}

async function upsert(store: GenericStore, def: ResourceDef, wanted: KubeObject, merge: (current: KubeObject) => KubeObject | undefined): Promise<void> {
  const ns = wanted.metadata.namespace ?? '';
  try {
    await store.create(def, ns, structuredClone(wanted));
    return;
  } catch (e: unknown) {
    if (!(e instanceof ApiError && e.reason === 'AlreadyExists')) throw e;
  }
  const current = await store.get(def, ns, wanted.metadata.name!);
  // An object whose autoupdate annotation is not "true" belongs to the administrator: leave it as it is.
  if (current.metadata.annotations?.[AUTOUPDATE_ANNOTATION] !== 'true') return;
  const next = merge(structuredClone(current));
  if (next) await store.update(def, ns, wanted.metadata.name!, next);
}

function defOf(catalogue: Catalogue, plural: string): ResourceDef {
  const d = catalogue.find(RBAC_GROUP, 'v1', plural);
  if (!d) throw new Error(`catalogue has no ${plural}`);
  return d;
}

/**
 * Makes the bootstrap roles and bindings exist, as upstream's storage_rbac post-start hook: missing objects are
 * created; objects annotated `rbac.authorization.kubernetes.io/autoupdate: "true"` get the rules, aggregation
 * rule and subjects they lack added (nothing is removed); other objects are left alone. Idempotent.
 */
export async function reconcileBootstrapPolicy(store: GenericStore, catalogue: Catalogue): Promise<void> {
  const clusterroles = defOf(catalogue, 'clusterroles');
  for (const role of bootstrapClusterRoles()) {
    await upsert(store, clusterroles, role, (cur) => {
      const rules = role.aggregationRule ? rulesOf(cur) : unionRules(rulesOf(cur), rulesOf(role));
      const labels = { ...cur.metadata.labels, ...role.metadata.labels };
      const changed = JSON.stringify(rules) !== JSON.stringify(rulesOf(cur).map(canonicalRule)) || JSON.stringify(labels) !== JSON.stringify(cur.metadata.labels ?? {}) || (role.aggregationRule && JSON.stringify(cur.aggregationRule) !== JSON.stringify(role.aggregationRule));
      if (!changed) return undefined;
      cur.rules = rules;
      cur.metadata.labels = labels;
      if (role.aggregationRule) cur.aggregationRule = role.aggregationRule;
      return cur;
    });
  }
  const mergeSubjects = (wanted: KubeObject) => (cur: KubeObject): KubeObject | undefined => {
    const have = Array.isArray(cur.subjects) ? (cur.subjects as Record<string, string>[]) : [];
    const key = (s: Record<string, string>): string => `${s.kind}/${s.namespace ?? ''}/${s.name}`;
    const seen = new Set(have.map(key));
    const missing = ((wanted.subjects ?? []) as Record<string, string>[]).filter((s) => !seen.has(key(s)));
    if (missing.length === 0) return undefined;
    cur.subjects = [...have, ...missing];
    return cur;
  };
  const crbs = defOf(catalogue, 'clusterrolebindings');
  for (const b of bootstrapClusterRoleBindings()) await upsert(store, crbs, b, mergeSubjects(b));
  const ns = bootstrapNamespacedPolicy();
  const roles = defOf(catalogue, 'roles');
  for (const r of ns.roles) await upsert(store, roles, r, (cur) => {
    const rules = unionRules(rulesOf(cur), rulesOf(r));
    if (JSON.stringify(rules) === JSON.stringify(rulesOf(cur).map(canonicalRule))) return undefined;
    cur.rules = rules;
    return cur;
  });
  const rbs = defOf(catalogue, 'rolebindings');
  for (const b of ns.bindings) await upsert(store, rbs, b, mergeSubjects(b));
}

/** The rules an aggregated ClusterRole should hold: the union of the rules of every other ClusterRole its selectors pick. */
export function aggregatedRules(role: KubeObject, all: readonly KubeObject[]): PolicyRule[] | undefined {
  const selectors = (role.aggregationRule as { clusterRoleSelectors?: LabelSelector[] } | undefined)?.clusterRoleSelectors;
  if (!Array.isArray(selectors)) return undefined;
  const matchers = selectors.flatMap((s) => {
    try {
      return [labelSelectorAsSelector(s)];
    } catch {
      return [];
    }
  });
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  const sorted = [...all].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  for (const other of sorted) {
    if (other.metadata.name === role.metadata.name) continue;
    if (!matchers.some((m) => !m.empty && m.matches(other.metadata.labels))) continue;
    for (const r of rulesOf(other).map(canonicalRule)) {
      const k = ruleKey(r);
      if (!seen.has(k)) {
        seen.add(k);
        out.push(r);
      }
    }
  }
  return out;
}

/**
 * Upstream's clusterrole-aggregation controller, in-process: whenever a ClusterRole changes, every ClusterRole
 * with an aggregationRule gets the union of the rules of the roles it selects. Runs until the returned stop.
 * Converges because a write that changes nothing is skipped.
 */
export function startAggregation(index: RbacIndex, store: GenericStore, catalogue: Catalogue, log: Logger): { stop(): void; settled(): Promise<void> } {
  const def = defOf(catalogue, 'clusterroles');
  let scheduled = false;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = async (): Promise<void> => {
    const all = index.clusterRoles();
    for (const role of all) {
      const wanted = aggregatedRules(role, all);
      if (!wanted) continue;
      if (JSON.stringify(wanted) === JSON.stringify(rulesOf(role).map(canonicalRule))) continue;
      try {
        await store.update(def, '', role.metadata.name!, (cur) => {
          if (!cur) throw new ApiError(404, 'NotFound', 'gone');
          cur.rules = wanted;
          return cur;
        });
      } catch (e: unknown) {
        log.warn('clusterrole aggregation failed', { role: role.metadata.name, err: String(e) });
      }
    }
  };
  const schedule = (): void => {
    if (scheduled || stopped) return;
    scheduled = true;
    running = running.then(() => new Promise<void>((r) => setImmediate(r))).then(() => {
      scheduled = false;
      return stopped ? undefined : run();
    });
  };
  index.onClusterRoleChange(schedule);
  schedule();
  return {
    stop: () => {
      stopped = true;
    },
    settled: async () => {
      let last: Promise<void>;
      do {
        last = running;
        await last;
      } while (last !== running || scheduled);
    },
  };
}
