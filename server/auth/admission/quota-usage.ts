// Quota evaluators shared by the ResourceQuota admission plugin and the quota controller: what an object uses, as ResourceLists.
import { arr, get, obj, records, str } from '../../registry/object.ts';
import { canonicalQuantity, parseQuantity } from '../../registry/quantity.ts';

/** A ResourceList: resource name → quantity text. */
export type ResourceList = Record<string, string>;

type Rec = Record<string, unknown>;

const BINARY_SUFFIX = /(Ki|Mi|Gi|Ti|Pi|Ei)$/;

/** Renders a nano-unit value as a quantity in the given format (upstream keeps the left operand's format). */
export function formatNano(nano: bigint, binary: boolean): string {
  if (binary && nano % 1_000_000_000n === 0n && (nano / 1_000_000_000n) % 1024n === 0n && nano !== 0n) {
    return canonicalQuantity(`${nano / 1_000_000_000n / 1024n}Ki`)!;
  }
  return canonicalQuantity(`${nano}n`)!;
}

/** The canonical text of a quantity (resource.Quantity.String()); the raw text when it does not parse. */
export function quantityString(q: unknown): string {
  return canonicalQuantity(q) ?? String(q);
}

const nanoOf = (q: unknown): bigint => parseQuantity(q) ?? 0n;
const isBinary = (q: unknown): boolean => BINARY_SUFFIX.test(String(q).trim());

/** quota.Add: a + b, key by key; a key only in b is copied, a key in both keeps a's format. */
export function addLists(a: Readonly<ResourceList>, b: Readonly<ResourceList>): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = k in a ? formatNano(nanoOf(a[k]) + nanoOf(v), isBinary(a[k])) : quantityString(v);
  }
  return out;
}

/** quota.Subtract: a - b for keys of either (missing = 0). */
export function subtractLists(a: Readonly<ResourceList>, b: Readonly<ResourceList>): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = formatNano(nanoOf(a[k]) - nanoOf(v), k in a ? isBinary(a[k]) : isBinary(v));
  return out;
}

/** quota.Mask: only the keys in `names`. */
export function maskList(list: Readonly<ResourceList>, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const n of names) if (n in list) out[n] = list[n]!;
  return out;
}

/** quota.LessThanOrEqual: the names of `a` above `b` (a name absent from b is not limited). */
export function exceededNames(a: Readonly<ResourceList>, b: Readonly<ResourceList>): string[] {
  return Object.keys(a).filter((k) => k in b && nanoOf(a[k]) > nanoOf(b[k]));
}

/** quota.IsZero. */
export function isZeroList(list: Readonly<ResourceList>): boolean {
  return Object.values(list).every((v) => nanoOf(v) === 0n);
}

/** The resource list at `v` as name → text (non-string quantities stringified). */
export function resourceList(v: unknown): ResourceList {
  const out: ResourceList = {};
  for (const [k, q] of Object.entries(obj(v) ?? {})) out[k] = String(q);
  return out;
}

// ---- pods ----

/** The resources that, when quota'd, every container must name (a backward-compatibility rule of upstream). */
export const POD_VALIDATION_SET = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'] as const;

const REQUEST_PREFIXES = ['hugepages-'];

const isExtendedResource = (name: string): boolean => !name.startsWith('kubernetes.io/') && name.includes('/') && !name.startsWith('requests.');

/** podComputeUsageHelper: pods=1 and the request/limit resource names a set of requests and limits stands for. */
export function computeUsage(requests: Readonly<ResourceList>, limits: Readonly<ResourceList>): ResourceList {
  const out: ResourceList = { pods: '1' };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (r in requests) {
      out[r] = quantityString(requests[r]);
      out[`requests.${r}`] = quantityString(requests[r]);
    }
    if (r in limits) out[`limits.${r}`] = quantityString(limits[r]);
  }
  for (const [r, q] of Object.entries(requests)) {
    if (REQUEST_PREFIXES.some((p) => r.startsWith(p))) {
      out[r] = quantityString(q);
      out[`requests.${r}`] = quantityString(q);
    }
    if (isExtendedResource(r)) out[`requests.${r}`] = quantityString(q);
  }
  return out;
}

const containerResources = (c: Rec, key: 'requests' | 'limits'): ResourceList => resourceList(get(c, `resources.${key}`));

/** resourcehelper.PodRequests/PodLimits (simplified): the sum over containers, at least each init container's, plus overhead. */
export function podResources(pod: Readonly<Rec>, key: 'requests' | 'limits'): ResourceList {
  const spec = obj(pod.spec) ?? {};
  let sum: ResourceList = {};
  for (const c of records(spec.containers)) sum = addLists(sum, containerResources(c, key));
  for (const c of records(spec.initContainers)) {
    for (const [r, q] of Object.entries(containerResources(c, key))) {
      if (!(r in sum) || nanoOf(q) > nanoOf(sum[r])) sum[r] = quantityString(q);
    }
  }
  const overhead = resourceList(spec.overhead);
  if (Object.keys(overhead).length) sum = addLists(sum, key === 'limits' ? maskList(overhead, Object.keys(sum)) : overhead);
  return sum;
}

/** QuotaV1Pod: terminal pods, and pods past their deletion grace, no longer use compute resources or `pods`. */
export function podCountsForCompute(pod: Readonly<Rec>, now = Date.now()): boolean {
  const phase = str(get(pod, 'status.phase'));
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const deletion = str(get(pod, 'metadata.deletionTimestamp'));
  if (deletion) {
    const grace = Number(get(pod, 'metadata.deletionGracePeriodSeconds') ?? 0);
    if (now > Date.parse(deletion) + grace * 1000) return false;
  }
  return true;
}

/** PodUsageFunc: count/pods always; pods and compute resources only while the pod is not terminal. */
export function podUsage(pod: Readonly<Rec>, now = Date.now()): ResourceList {
  const out: ResourceList = { 'count/pods': '1' };
  if (!podCountsForCompute(pod, now)) return out;
  return addLists(out, computeUsage(podResources(pod, 'requests'), podResources(pod, 'limits')));
}

/** The podEvaluator's Constraints: every container must name each quota'd cpu/memory resource. Empty when satisfied. */
export function podConstraintsMessage(pod: Readonly<Rec>, restricted: readonly string[]): string {
  const required = restricted.filter((r) => (POD_VALIDATION_SET as readonly string[]).includes(r));
  if (!required.length) return '';
  const spec = obj(pod.spec) ?? {};
  const missing = new Map<string, Set<string>>();
  for (const c of [...records(spec.containers), ...records(spec.initContainers)]) {
    const have = computeUsage(containerResources(c, 'requests'), containerResources(c, 'limits'));
    for (const r of required) {
      if (r in have) continue;
      if (!missing.has(r)) missing.set(r, new Set());
      missing.get(r)!.add(str(c.name));
    }
  }
  if (!missing.size) return '';
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

/** Quota scopes a pod matches (Terminating, NotTerminating, BestEffort, NotBestEffort); other scopes never match here. */
export function podMatchesScope(pod: Readonly<Rec>, scope: string): boolean {
  const spec = obj(pod.spec) ?? {};
  const terminating = typeof spec.activeDeadlineSeconds === 'number';
  const bestEffort = [...records(spec.containers), ...records(spec.initContainers)].every(
    (c) => Object.keys(containerResources(c, 'requests')).length === 0 && Object.keys(containerResources(c, 'limits')).length === 0,
  );
  switch (scope) {
    case 'Terminating': return terminating;
    case 'NotTerminating': return !terminating;
    case 'BestEffort': return bestEffort;
    case 'NotBestEffort': return !bestEffort;
    default: return false;
  }
}

/** Whether a pod satisfies one scopeSelector expression (PriorityClass by value, the others by podMatchesScope). */
function podMatchesExpression(pod: Readonly<Rec>, e: Rec): boolean {
  const scope = str(e.scopeName);
  const op = str(e.operator);
  if (scope === 'PriorityClass') {
    const pc = str(get(pod, 'spec.priorityClassName'));
    const values = Array.isArray(e.values) ? (e.values as unknown[]).map(String) : [];
    switch (op) {
      case 'In': return !!pc && values.includes(pc);
      case 'NotIn': return !values.includes(pc);
      case 'Exists': return !!pc;
      case 'DoesNotExist': return !pc;
      default: return false;
    }
  }
  return podMatchesScope(pod, scope);
}

/** generic.Matches' scope half: no scopes match everything; otherwise only pods can match, and every scope must. */
export function quotaScopesMatch(quota: Readonly<Rec>, isPod: boolean, object: Readonly<Rec>): boolean {
  const scopes = (Array.isArray(get(quota, 'spec.scopes')) ? (get(quota, 'spec.scopes') as unknown[]) : []).map(String);
  const expressions = records(get(quota, 'spec.scopeSelector.matchExpressions'));
  if (!scopes.length && !expressions.length) return true;
  if (!isPod) return false;
  return scopes.every((s) => podMatchesScope(object, s)) && expressions.every((e) => podMatchesExpression(object, e));
}

// ---- every other kind ----

/** Legacy object-count names (`pods` is not one: it is a compute-lifecycle count). */
const LEGACY_COUNT: Readonly<Record<string, string>> = {
  services: 'services',
  replicationcontrollers: 'replicationcontrollers',
  resourcequotas: 'resourcequotas',
  secrets: 'secrets',
  configmaps: 'configmaps',
  persistentvolumeclaims: 'persistentvolumeclaims',
};

/** `count/<resource>` for the core group, `count/<resource>.<group>` otherwise. */
export function countName(group: string, plural: string): string {
  return group ? `count/${plural}.${group}` : `count/${plural}`;
}

/**
 * What one object of `group`/`plural` uses: its object count(s), and for pods, services and claims the
 * resources their evaluators add (compute, node ports and load balancers, storage).
 */
export function objectUsage(group: string, plural: string, o: Readonly<Rec>, now = Date.now()): ResourceList {
  if (group === '' && plural === 'pods') return podUsage(o, now);
  const out: ResourceList = { [countName(group, plural)]: '1' };
  if (group !== '') return out;
  const legacy = LEGACY_COUNT[plural];
  if (legacy) out[legacy] = '1';
  if (plural === 'services') {
    const type = str(get(o, 'spec.type'));
    if (type === 'LoadBalancer') out['services.loadbalancers'] = '1';
    if (type === 'NodePort' || type === 'LoadBalancer') out['services.nodeports'] = String(arr(get(o, 'spec.ports')).length);
  }
  if (plural === 'persistentvolumeclaims') {
    const storage = get(o, 'spec.resources.requests.storage');
    const cls = str(get(o, 'spec.storageClassName'));
    if (cls) out[`${cls}.storageclass.storage.k8s.io/persistentvolumeclaims`] = '1';
    if (storage !== undefined) {
      out['requests.storage'] = quantityString(storage);
      if (cls) out[`${cls}.storageclass.storage.k8s.io/requests.storage`] = quantityString(storage);
    }
  }
  return out;
}

/** prettyPrint: `name=value` pairs sorted by name, joined by commas. */
export function prettyPrint(list: Readonly<ResourceList>): string {
  return Object.keys(list).sort().map((k) => `${k}=${quantityString(list[k])}`).join(',');
}

/** The evaluator's MatchingResources: whether a quota'd resource name is one objects of `group`/`plural` are counted in. */
export function evaluatorMatches(group: string, plural: string, name: string): boolean {
  if (name === countName(group, plural)) return true;
  if (group !== '') return false;
  if (LEGACY_COUNT[plural] === name) return true;
  switch (plural) {
    case 'pods':
      if (['pods', 'cpu', 'memory', 'ephemeral-storage'].includes(name)) return true;
      if (/^(requests|limits)\.(cpu|memory|ephemeral-storage)$/.test(name)) return true;
      if (name.startsWith('hugepages-') || name.startsWith('requests.hugepages-')) return true;
      return name.startsWith('requests.') && isExtendedResource(name.slice('requests.'.length));
    case 'services':
      return name === 'services.nodeports' || name === 'services.loadbalancers';
    case 'persistentvolumeclaims':
      return name === 'requests.storage' || /\.storageclass\.storage\.k8s\.io\/(requests\.storage|persistentvolumeclaims)$/.test(name);
    default:
      return false;
  }
}
