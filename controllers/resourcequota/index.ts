// The resource quota controller: keeps every ResourceQuota's status.hard and status.used equal to what its namespace holds.
import type { ControllerContext } from '../manager.ts';
import { Resources, collectionPath, controller, objectPath, resourceType, splitKey, type KubeObject, type ResourceType } from '../runtime/index.ts';
import {
  addLists, evaluatorMatches, maskList, objectUsage, quotaScopesMatch, resourceList, type ResourceList,
} from '../../server/auth/admission/quota-usage.ts';
import { parseQuantity } from '../../server/registry/quantity.ts';

export const ResourceQuotaType = resourceType('v1', 'ResourceQuota', 'resourcequotas');

/** A quota'd resource kind: where its objects come from. */
interface Source {
  group: string;
  plural: string;
  list(namespace: string): Promise<readonly KubeObject[]>;
}

/** The group and plural a `count/<resource>[.<group>]` name stands for. */
export function parseCountName(name: string): { group: string; plural: string } | undefined {
  if (!name.startsWith('count/')) return undefined;
  const rest = name.slice('count/'.length);
  const dot = rest.indexOf('.');
  return dot < 0 ? { group: '', plural: rest } : { group: rest.slice(dot + 1), plural: rest.slice(0, dot) };
}

const CORE_KINDS = ['pods', 'services', 'persistentvolumeclaims', 'configmaps', 'secrets', 'replicationcontrollers', 'resourcequotas'] as const;

/**
 * The usage of one quota: for every hard resource name, the sum over the namespace's objects that count
 * toward it (and that match the quota's scopes); names nothing counts toward are `0`. Pure.
 */
export function computeUsed(quota: Readonly<KubeObject>, objectsOf: ReadonlyMap<string, readonly KubeObject[]>, now = Date.now()): ResourceList {
  const hard = resourceList((quota as { spec?: { hard?: unknown } }).spec?.hard);
  const names = Object.keys(hard);
  let used: ResourceList = {};
  for (const [key, objects] of objectsOf) {
    const [group, plural] = key.split('/') as [string, string];
    const relevant = names.filter((n) => evaluatorMatches(group, plural, n));
    if (!relevant.length) continue;
    const isPod = group === '' && plural === 'pods';
    for (const o of objects) {
      if (!quotaScopesMatch(quota, isPod, o)) continue;
      used = addLists(used, maskList(objectUsage(group, plural, o, now), relevant));
    }
  }
  for (const n of names) used[n] ??= '0';
  return used;
}

/** The `group/plural` keys of the kinds a quota's hard names count. */
export function kindsFor(hardNames: readonly string[]): string[] {
  const kinds = new Set<string>();
  for (const n of hardNames) {
    const counted = parseCountName(n);
    if (counted) kinds.add(`${counted.group}/${counted.plural}`);
    for (const plural of CORE_KINDS) if (evaluatorMatches('', plural, n)) kinds.add(`/${plural}`);
  }
  return [...kinds];
}

/** How long a recount lower than the admission plugin's charge waits for the caches to catch up. */
const CHARGE_GRACE_MS = 3000;

const anyBelow = (computed: ResourceList, current: ResourceList): boolean =>
  Object.keys(current).some((k) => (parseQuantity(computed[k] ?? '0') ?? 0n) < (parseQuantity(current[k]) ?? 0n));

const sameList = (a: ResourceList, b: ResourceList): boolean => {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && parseQuantity(a[k]) === parseQuantity(b[k]));
};

/**
 * Registers the quota controller. Settings: `resourceQuotaSyncPeriodMs` (30000, the full recount period).
 * Pods, services, claims, config maps and secrets come from informers (their changes recount the
 * namespace's quotas at once); other counted kinds are listed from the API at each recount.
 */
export function registerResourceQuota(ctx: ControllerContext): void {
  const period = typeof ctx.settings.resourceQuotaSyncPeriodMs === 'number' ? ctx.settings.resourceQuotaSyncPeriodMs : 30_000;
  const quotas = ctx.informers.informerOf(ResourceQuotaType);
  const watched: Record<string, ResourceType> = {
    '/pods': Resources.Pod,
    '/services': Resources.Service,
    '/persistentvolumeclaims': Resources.PersistentVolumeClaim,
    '/configmaps': Resources.ConfigMap,
    '/secrets': Resources.Secret,
  };
  const informers = Object.fromEntries(Object.entries(watched).map(([k, rt]) => [k, ctx.informers.informerOf(rt)]));
  const versions = new Map<string, string>();
  /** The resourceVersion of each quota's last status write by this controller. */
  const written = new Map<string, string>();
  /** When a charge by the admission plugin (key@resourceVersion) was first found ahead of the caches. */
  const chargedSince = new Map<string, number>();

  const sourceOf = (key: string): Source => {
    const [group, plural] = key.split('/') as [string, string];
    const informer = informers[key];
    if (informer) return { group, plural, list: async (ns) => informer.lister.listNamespace(ns) };
    if (key === '/resourcequotas') return { group, plural, list: async (ns) => quotas.lister.listNamespace(ns) };
    return {
      group,
      plural,
      async list(ns) {
        let version = group ? versions.get(group) : 'v1';
        if (!version) {
          const g = await ctx.client.request<{ preferredVersion?: { version?: string } }>('GET', `/apis/${group}`);
          version = g.preferredVersion?.version ?? 'v1';
          versions.set(group, version);
        }
        const rt = resourceType(group ? `${group}/${version}` : version, '', plural);
        const res = await ctx.client.request<{ items?: KubeObject[] }>('GET', collectionPath(rt, ns));
        return res.items ?? [];
      },
    };
  };

  const c = controller('resourcequota-controller', quotas);
  for (const informer of Object.values(informers)) {
    c.watches(informer, (o) => quotas.lister.listNamespace(o.metadata.namespace ?? '').map((q) => `${q.metadata.namespace}/${q.metadata.name}`));
  }

  ctx.run(
    'resourcequota',
    c.run(
      async (key) => {
        const { namespace } = splitKey(key);
        const quota = quotas.lister.get(key);
        if (!quota || quota.metadata.deletionTimestamp) return 'done';
        const hard = resourceList((quota as { spec?: { hard?: unknown } }).spec?.hard);
        const objectsOf = new Map<string, readonly KubeObject[]>();
        for (const kind of kindsFor(Object.keys(hard))) {
          try {
            objectsOf.set(kind, await sourceOf(kind).list(namespace));
          } catch (e: unknown) {
            // A kind this server does not serve counts nothing (upstream ignores unknown count/* names too).
            if (!(e instanceof Error && 'code' in e && e.code === 404)) throw e;
          }
        }
        const used = computeUsed(quota, objectsOf);
        const status = (quota as { status?: { hard?: unknown; used?: unknown } }).status ?? {};
        const rv = quota.metadata.resourceVersion ?? '';
        if (!sameList(resourceList(status.hard), hard) || !sameList(resourceList(status.used), used)) {
          // The admission plugin charges a quota before the object is stored: a recount from caches that have not
          // seen the object yet would undo the charge. Such a charge is trusted for a grace period, then recounted.
          const charged = sameList(resourceList(status.hard), hard) && rv !== written.get(key) && anyBelow(used, resourceList(status.used));
          if (charged) {
            const since = chargedSince.get(`${key}@${rv}`) ?? Date.now();
            chargedSince.set(`${key}@${rv}`, since);
            if (Date.now() - since < CHARGE_GRACE_MS) return { requeueAfter: 500 };
          }
          const res = await ctx.client.request('PUT', objectPath(ResourceQuotaType, namespace, quota.metadata.name!, 'status'), {
            body: { ...structuredClone(quota), status: { hard, used } },
          });
          written.set(key, res.metadata.resourceVersion ?? '');
        } else {
          // The caches agree with every charge so far: later differences at this version are not pending charges.
          written.set(key, rv);
        }
        for (const k of chargedSince.keys()) if (k.startsWith(`${key}@`)) chargedSince.delete(k);
        return { requeueAfter: period };
      },
      { signal: ctx.signal, log: ctx.log, workers: 2 },
    ),
  );
}
