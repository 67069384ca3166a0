// LimitRanger admission: container resource defaults from the namespace's LimitRanges, then their min/max/ratio checks on pods and claims.
import type { WatchCache } from '../../registry/watch-cache.ts';
import type { KubeObject } from '../../registry/types.ts';
import { get, obj, records, str } from '../../registry/object.ts';
import { parseQuantity } from '../../registry/quantity.ts';
import { admissionForbidden } from './plugins.ts';
import { podResources, quantityString, resourceList, type ResourceList } from './quota-usage.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';

type Rec = Record<string, unknown>;

export const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

/** requestLimitEnforcedValues: upstream compares in milli-units, rounded up. */
const milli = (q: unknown): bigint => {
  const nano = parseQuantity(q) ?? 0n;
  return nano >= 0n ? (nano + 999_999n) / 1_000_000n : -((-nano + 999_999n) / 1_000_000n);
};

const sortedEntries = (v: unknown): [string, unknown][] => Object.entries(obj(v) ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** minConstraint's message, or '' when satisfied. */
export function minConstraint(type: string, name: string, enforced: unknown, requests: Readonly<ResourceList>, limits: Readonly<ResourceList>): string {
  const e = quantityString(enforced);
  if (!(name in requests)) return `minimum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (milli(requests[name]) < milli(enforced)) return `minimum ${name} usage per ${type} is ${e}, but request is ${quantityString(requests[name])}`;
  if (name in limits && milli(limits[name]) < milli(enforced)) return `minimum ${name} usage per ${type} is ${e}, but limit is ${quantityString(limits[name])}`;
  return '';
}

/** maxConstraint's message, or '' when satisfied. */
export function maxConstraint(type: string, name: string, enforced: unknown, requests: Readonly<ResourceList>, limits: Readonly<ResourceList>): string {
  const e = quantityString(enforced);
  if (!(name in limits)) return `maximum ${name} usage per ${type} is ${e}.  No limit is specified`;
  if (milli(limits[name]) > milli(enforced)) return `maximum ${name} usage per ${type} is ${e}, but limit is ${quantityString(limits[name])}`;
  if (name in requests && milli(requests[name]) > milli(enforced)) return `maximum ${name} usage per ${type} is ${e}, but request is ${quantityString(requests[name])}`;
  return '';
}

/** maxRequestConstraint (claims: only requests count), or ''. */
export function maxRequestConstraint(type: string, name: string, enforced: unknown, requests: Readonly<ResourceList>): string {
  const e = quantityString(enforced);
  if (!(name in requests)) return `maximum ${name} usage per ${type} is ${e}.  No request is specified`;
  if (milli(requests[name]) > milli(enforced)) return `maximum ${name} usage per ${type} is ${e}, but request is ${quantityString(requests[name])}`;
  return '';
}

/** limitRequestRatioConstraint's message, or ''. */
export function ratioConstraint(type: string, name: string, enforced: unknown, requests: Readonly<ResourceList>, limits: Readonly<ResourceList>): string {
  const e = quantityString(enforced);
  const req = name in requests ? milli(requests[name]) : 0n;
  const lim = name in limits ? milli(limits[name]) : 0n;
  if (req === 0n) return `${name} max limit to request ratio per ${type} is ${e}, but no request is specified or request is 0`;
  if (lim === 0n) return `${name} max limit to request ratio per ${type} is ${e}, but no limit is specified or limit is 0`;
  const ratio = Number(lim) / Number(req);
  if (ratio * 1000 > Number(milli(enforced))) return `${name} max limit to request ratio per ${type} is ${e}, but provided ratio is ${ratio.toFixed(6)}`;
  return '';
}

const containerList = (c: Rec, key: 'requests' | 'limits'): ResourceList => resourceList(get(c, `resources.${key}`));

function checkAll(type: string, item: Rec, requests: ResourceList, limits: ResourceList, out: string[]): void {
  for (const [k, v] of sortedEntries(item.min)) out.push(minConstraint(type, k, v, requests, limits));
  for (const [k, v] of sortedEntries(item.max)) out.push(maxConstraint(type, k, v, requests, limits));
  for (const [k, v] of sortedEntries(item.maxLimitRequestRatio)) out.push(ratioConstraint(type, k, v, requests, limits));
}

/** PodValidateLimitFunc: every violation of one LimitRange by a pod, in upstream's order. */
export function podViolations(limitRange: Readonly<KubeObject>, pod: Readonly<KubeObject>): string[] {
  const out: string[] = [];
  const spec = obj(pod.spec) ?? {};
  for (const item of records(get(limitRange, 'spec.limits'))) {
    const type = str(item.type);
    if (type === 'Container') {
      for (const c of [...records(spec.containers), ...records(spec.initContainers)]) checkAll(type, item, containerList(c, 'requests'), containerList(c, 'limits'), out);
    }
    if (type === 'Pod') checkAll(type, item, podResources(pod, 'requests'), podResources(pod, 'limits'), out);
  }
  return out.filter(Boolean);
}

/** PersistentVolumeClaimValidateLimitFunc: min and max of `type: PersistentVolumeClaim` against the claim's requests. */
export function claimViolations(limitRange: Readonly<KubeObject>, pvc: Readonly<KubeObject>): string[] {
  const out: string[] = [];
  const requests = resourceList(get(pvc, 'spec.resources.requests'));
  for (const item of records(get(limitRange, 'spec.limits'))) {
    if (item.type !== 'PersistentVolumeClaim') continue;
    for (const [k, v] of sortedEntries(item.min)) out.push(minConstraint('PersistentVolumeClaim', k, v, requests, {}));
    for (const [k, v] of sortedEntries(item.max)) out.push(maxRequestConstraint('PersistentVolumeClaim', k, v, requests));
  }
  return out.filter(Boolean);
}

/** utilerrors.NewAggregate(...).Error(): one message alone, several de-duplicated inside brackets. */
export function aggregateMessage(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0]! : `[${unique.join(', ')}]`;
}

/** defaultContainerResourceRequirements + mergePodResourceRequirements: fills what containers leave out; returns the annotation text parts. */
export function applyContainerDefaults(limitRange: Readonly<KubeObject>, pod: KubeObject): string[] {
  const defReq: Rec = {};
  const defLim: Rec = {};
  for (const item of records(get(limitRange, 'spec.limits'))) {
    if (item.type !== 'Container') continue;
    Object.assign(defReq, obj(item.defaultRequest) ?? {});
    Object.assign(defLim, obj(item.default) ?? {});
  }
  const notes: string[] = [];
  const spec = obj(pod.spec) ?? {};
  const merge = (c: Rec, prefix: string): void => {
    const resources = (obj(c.resources) ?? (c.resources = {})) as Rec;
    const setLimits: string[] = [];
    const setRequests: string[] = [];
    const fill = (key: 'limits' | 'requests', defaults: Rec, set: string[]): void => {
      if (!Object.keys(defaults).length) return;
      const list = (obj(resources[key]) ?? (resources[key] = {})) as Rec;
      for (const [k, v] of Object.entries(defaults)) {
        if (k in list) continue;
        list[k] = v;
        set.push(k);
      }
    };
    fill('limits', defLim, setLimits);
    fill('requests', defReq, setRequests);
    if (setRequests.length) notes.push(`${setRequests.sort().join(', ')} request for ${prefix} ${str(c.name)}`);
    if (setLimits.length) notes.push(`${setLimits.sort().join(', ')} limit for ${prefix} ${str(c.name)}`);
  };
  for (const c of records(spec.containers)) merge(c, 'container');
  for (const c of records(spec.initContainers)) merge(c, 'init container');
  return notes;
}

function handles(a: AdmissionAttributes): 'pods' | 'persistentvolumeclaims' | undefined {
  if (a.def.group !== '' || a.subresource) return undefined;
  if (a.def.plural === 'pods') return a.operation === 'CREATE' ? 'pods' : undefined;
  if (a.def.plural === 'persistentvolumeclaims') return 'persistentvolumeclaims';
  return undefined;
}

/**
 * LimitRanger: on pod creation fills container requests/limits from each LimitRange's `Container` defaults
 * (recording them in the `kubernetes.io/limit-ranger` annotation), then rejects pods and claims breaking any
 * LimitRange's min, max or maxLimitRequestRatio with 403 Forbidden and upstream's texts.
 */
export function limitRanger(limitRanges: WatchCache): AdmissionPlugin {
  const rangesOf = (namespace: string): Promise<readonly KubeObject[]> => limitRanges.listConfirmed(namespace);
  const deleting = (a: AdmissionAttributes): boolean => !!a.oldObject?.metadata?.deletionTimestamp;
  return {
    name: 'LimitRanger',
    async mutate(a) {
      if (handles(a) !== 'pods') return;
      // As upstream, each LimitRange that sets something rewrites the annotation: the last one's text stays.
      for (const lr of await rangesOf(a.namespace)) {
        const notes = applyContainerDefaults(lr, a.object);
        if (notes.length) a.object.metadata.annotations = { ...a.object.metadata.annotations, [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${notes.join('; ')}` };
      }
    },
    async validate(a) {
      const kind = handles(a);
      if (!kind || deleting(a)) return;
      for (const lr of await rangesOf(a.namespace)) {
        const problems = kind === 'pods' ? podViolations(lr, a.object) : claimViolations(lr, a.object);
        if (problems.length) throw admissionForbidden(a, aggregateMessage(problems));
      }
    },
  };
}
