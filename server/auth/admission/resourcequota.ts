// ResourceQuota admission: creations are checked against the namespace's quotas and charged to their status.used.
import * as errors from '../../http/errors.ts';
import type { GenericStore } from '../../registry/store.ts';
import type { WatchCache } from '../../registry/watch-cache.ts';
import type { KubeObject } from '../../registry/types.ts';
import { get, obj } from '../../registry/object.ts';
import { outsideRequest } from '../context.ts';
import { admissionForbidden } from './plugins.ts';
import {
  addLists, evaluatorMatches, exceededNames, isZeroList, maskList, objectUsage, podConstraintsMessage, prettyPrint, quotaScopesMatch, resourceList, type ResourceList,
} from './quota-usage.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';

type Rec = Record<string, unknown>;

export type QuotaDecision = { ok: true; charged: { quota: KubeObject; used: ResourceList }[] } | { ok: false; message: string };

/**
 * checkRequest for one creation: which quotas it falls under, their constraints (`failed quota: …`), whether
 * their usage is known (`status unknown for quota: …`) and whether the new usage fits (`exceeded quota: …`).
 * On success lists the quotas to charge with their new status.used. Pure: reads nothing but its arguments.
 */
export function evaluateQuotas(group: string, plural: string, object: Readonly<Rec>, quotas: readonly KubeObject[], now = Date.now()): QuotaDecision {
  const isPod = group === '' && plural === 'pods';
  const interesting: KubeObject[] = [];
  for (const q of [...quotas].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))) {
    const hardNames = Object.keys(resourceList(get(q, 'status.hard')));
    const restricted = hardNames.filter((n) => evaluatorMatches(group, plural, n));
    if (!restricted.length || !quotaScopesMatch(q, isPod, object)) continue;
    if (isPod) {
      const missing = podConstraintsMessage(object, restricted);
      if (missing) return { ok: false, message: `failed quota: ${q.metadata.name}: ${missing}` };
    }
    const used = resourceList(get(q, 'status.used'));
    if (!restricted.every((n) => n in used)) {
      return { ok: false, message: `status unknown for quota: ${q.metadata.name}, resources: ${[...restricted].sort().join(',')}` };
    }
    interesting.push(q);
  }
  if (!interesting.length) return { ok: true, charged: [] };
  const delta = Object.fromEntries(Object.entries(objectUsage(group, plural, object, now)).filter(([, v]) => !isZeroList({ v })));
  if (isZeroList(delta)) return { ok: true, charged: [] };
  const charged: { quota: KubeObject; used: ResourceList }[] = [];
  for (const q of interesting) {
    const hard = resourceList(get(q, 'status.hard'));
    const used = resourceList(get(q, 'status.used'));
    const requested = maskList(delta, Object.keys(hard));
    const newUsage = addLists(used, requested);
    const exceeded = exceededNames(maskList(newUsage, Object.keys(requested)), hard);
    if (exceeded.length) {
      return {
        ok: false,
        message: `exceeded quota: ${q.metadata.name}, requested: ${prettyPrint(maskList(requested, exceeded))}, used: ${prettyPrint(maskList(used, exceeded))}, limited: ${prettyPrint(maskList(hard, exceeded))}`,
      };
    }
    if (Object.keys(requested).length) charged.push({ quota: q, used: newUsage });
  }
  return { ok: true, charged };
}

const MAX_ATTEMPTS = 5;

/**
 * ResourceQuota: every creation of a namespaced object is checked against the namespace's quotas (403 with
 * upstream's texts) and, when admitted, charged to their status.used at once (a compare-and-swap; a conflict
 * re-reads and re-evaluates), so that the next creation sees it before the quota controller recounts. Checks
 * in one namespace run one at a time. A dry run is checked but not charged.
 */
export function resourceQuotaAdmission(store: GenericStore, quotaCache: WatchCache): AdmissionPlugin {
  const quotasDef = quotaCache.def;
  const tails = new Map<string, Promise<unknown>>();
  const serial = async (namespace: string, fn: () => Promise<void>): Promise<void> => {
    const prev = tails.get(namespace) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(namespace, tail);
    try {
      await run;
    } finally {
      if (tails.get(namespace) === tail) tails.delete(namespace);
    }
  };

  const check = async (a: AdmissionAttributes): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const quotas = (await store.list(quotasDef, a.namespace, {})).items;
      if (!quotas.length) return;
      const decision = evaluateQuotas(a.def.group, a.def.plural, a.object, quotas);
      if (!decision.ok) throw admissionForbidden(a, decision.message);
      if (a.dryRun || !decision.charged.length) return;
      try {
        for (const { quota, used } of decision.charged) {
          const next = structuredClone(quota);
          next.status = { ...(obj(next.status) ?? {}), used };
          await outsideRequest(() => store.update(quotasDef, a.namespace, quota.metadata.name!, next, { subresource: 'status' }));
        }
        return;
      } catch (e: unknown) {
        const conflict = e instanceof errors.ApiError && (e.code === 409 || e.code === 404);
        if (!conflict || attempt >= MAX_ATTEMPTS) throw e;
      }
    }
  };

  return {
    name: 'ResourceQuota',
    async validate(a) {
      if (a.operation !== 'CREATE' || a.subresource || !a.def.namespaced || !a.namespace) return;
      // Most namespaces have no quota: they neither wait for the namespace's turn nor read storage each time. A
      // namespace with one re-reads its quotas from storage below, so charging is never decided on a stale copy.
      const quotas = await quotaCache.listConfirmed(a.namespace);
      if (!quotas.some((q) => Object.keys(resourceList(get(q, 'status.hard'))).some((n) => evaluatorMatches(a.def.group, a.def.plural, n)))) return;
      await serial(a.namespace, () => check(a));
    },
  };
}
