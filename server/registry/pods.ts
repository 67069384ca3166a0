// core/v1 pods: defaults, status on create, validation (spec mostly immutable), field selectors and printer.
import type { FieldError, KubeObject, ResourceDef, Strategy } from './types.ts';
import { arr, child, get, isObj, jsonEqual, obj, records, str, type Obj } from './object.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta-validation.ts';
import { defaultPodOnly, defaultPodSpec } from './podspec-defaults.ts';
import { validatePodSpec } from './podspec-validation.ts';
import { podColumns, podIP } from './pod-columns.ts';
import { isPositive, parseQuantity } from './quantity.ts';
import { forbidden, fp, idx, inclusiveRangeError, invalid, required } from './validation.ts';

/** Values of the system priority classes, which the Priority admission resolves without a lookup. */
const SYSTEM_PRIORITIES: Readonly<Record<string, number>> = {
  'system-cluster-critical': 2000000000,
  'system-node-critical': 2000001000,
};

const QOS_RESOURCES = ['cpu', 'memory'];

/** qos.GetPodQOS over containers and init containers (cpu and memory only). */
export function podQOSClass(spec: unknown): 'BestEffort' | 'Burstable' | 'Guaranteed' {
  const requests = new Map<string, bigint>();
  const limits = new Map<string, bigint>();
  let guaranteed = true;
  for (const c of [...records(get(spec, 'containers')), ...records(get(spec, 'initContainers'))]) {
    const res = obj(c.resources) ?? {};
    for (const [name, q] of Object.entries(obj(res.requests) ?? {})) {
      if (!QOS_RESOURCES.includes(name) || !isPositive(q)) continue;
      requests.set(name, (requests.get(name) ?? 0n) + (parseQuantity(q) ?? 0n));
    }
    const found = new Set<string>();
    for (const [name, q] of Object.entries(obj(res.limits) ?? {})) {
      if (!QOS_RESOURCES.includes(name) || !isPositive(q)) continue;
      found.add(name);
      limits.set(name, (limits.get(name) ?? 0n) + (parseQuantity(q) ?? 0n));
    }
    if (!QOS_RESOURCES.every((r) => found.has(r))) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      if (limits.get(name) !== req) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

function defaults(pod: KubeObject): void {
  const spec = child(pod, 'spec');
  defaultPodSpec(spec);
  defaultPodOnly(spec);
}

/** The status a new pod starts with: Pending, its QoS class, and SchedulingGated when gates are set. */
function initialStatus(spec: Obj): Obj {
  const status: Obj = { phase: 'Pending', qosClass: podQOSClass(spec) };
  if (arr(spec.schedulingGates).length > 0) {
    status.conditions = [{ type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' }];
  }
  return status;
}

const UPDATABLE_FIELDS =
  '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** A readable (not upstream's cmp.Diff) account of which spec fields differ. */
function specDiff(old: Obj, munged: Obj): string {
  const keys = [...new Set([...Object.keys(old), ...Object.keys(munged)])].sort();
  const lines = ['  core.PodSpec{'];
  for (const k of keys) {
    if (jsonEqual(old[k], munged[k])) continue;
    if (old[k] !== undefined) lines.push(`- \t${k}: ${JSON.stringify(old[k])},`);
    if (munged[k] !== undefined) lines.push(`+ \t${k}: ${JSON.stringify(munged[k])},`);
  }
  lines.push('  }');
  return lines.join('\n') + '\n';
}

function containerUpdates(next: unknown, prev: unknown, field: string): { errs: FieldError[]; stop: boolean } {
  const n = arr(next);
  if (n.length !== arr(prev).length) return { errs: [forbidden(field, 'pod updates may not add or remove containers')], stop: true };
  const errs: FieldError[] = [];
  n.forEach((c, i) => {
    const image = str(obj(c)?.image);
    if (!image) errs.push(required(fp(idx(field, i), 'image')));
    if (image.trim() !== image) errs.push(invalid(fp(idx(field, i), 'image'), image, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

/** ValidatePodUpdate: only images, activeDeadlineSeconds, added tolerations, … may change in the spec. */
export function validatePodUpdate(pod: Readonly<KubeObject>, old: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMetaUpdate(pod.metadata, old.metadata);
  const spec = obj(pod.spec) ?? {};
  const oldSpec = obj(old.spec) ?? {};
  for (const kind of ['containers', 'initContainers'] as const) {
    const r = containerUpdates(spec[kind], oldSpec[kind], fp('spec', kind));
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const ads = spec.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    const v = Number(ads);
    if (!(v >= 0 && v <= 2147483647)) return [...errs, invalid('spec.activeDeadlineSeconds', ads, inclusiveRangeError(0, 2147483647))];
    if (typeof oldSpec.activeDeadlineSeconds === 'number' && oldSpec.activeDeadlineSeconds < v) {
      return [...errs, invalid('spec.activeDeadlineSeconds', ads, 'must be less than or equal to previous value')];
    }
  } else if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds !== null) {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  // Copy what may change from the old spec; anything still different is forbidden.
  const munged = structuredClone(spec);
  for (const kind of ['containers', 'initContainers'] as const) {
    const oldList = arr(oldSpec[kind]);
    arr(munged[kind]).forEach((c, i) => {
      const prev = obj(oldList[i]);
      if (isObj(c) && prev) c.image = prev.image;
    });
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  if (munged.activeDeadlineSeconds === undefined) delete munged.activeDeadlineSeconds;
  const oldTolerations = arr(oldSpec.tolerations);
  const newTolerations = arr(spec.tolerations);
  if (oldTolerations.every((t) => newTolerations.some((n) => jsonEqual(n, t)))) {
    if (oldSpec.tolerations === undefined) delete munged.tolerations;
    else munged.tolerations = oldSpec.tolerations;
  }
  if (typeof oldSpec.terminationGracePeriodSeconds === 'number' && oldSpec.terminationGracePeriodSeconds < 0 && spec.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  const oldGates = arr(oldSpec.schedulingGates);
  if (arr(spec.schedulingGates).every((g) => oldGates.some((o) => jsonEqual(o, g)))) {
    if (oldSpec.schedulingGates === undefined) delete munged.schedulingGates;
    else munged.schedulingGates = oldSpec.schedulingGates;
  }
  if (!jsonEqual(munged, oldSpec)) {
    errs.push(forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_FIELDS}\n${specDiff(oldSpec, munged)}`));
  }
  return errs;
}

const podStrategy: Strategy = {
  prepareForCreate(pod) {
    defaults(pod);
    const spec = child(pod, 'spec');
    // The Priority admission plugin's result for pods without a (custom) priority class.
    if (spec.priority === undefined) {
      const pc = str(spec.priorityClassName);
      if (!pc) spec.priority = 0;
      else if (pc in SYSTEM_PRIORITIES) spec.priority = SYSTEM_PRIORITIES[pc];
      if (spec.priority !== undefined && spec.preemptionPolicy === undefined) spec.preemptionPolicy = 'PreemptLowerPriority';
    }
    pod.status = initialStatus(spec);
  },
  prepareForUpdate(pod) {
    defaults(pod);
  },
  validate(pod) {
    return [...validateObjectMeta(pod.metadata, { namespaced: true, name: nameIsDNSSubdomain }), ...validatePodSpec(pod.spec, 'spec')];
  },
  validateUpdate: validatePodUpdate,
  canonicalize(pod) {
    // v1 keeps the deprecated serviceAccount mirrored from serviceAccountName (and fills the latter from it).
    const spec = obj(pod.spec);
    if (!spec) return;
    if (!str(spec.serviceAccountName) && str(spec.serviceAccount)) spec.serviceAccountName = spec.serviceAccount;
    if (str(spec.serviceAccountName)) spec.serviceAccount = spec.serviceAccountName;
  },
};

/** CheckGracefulDelete: the spec's grace period, or immediate for unscheduled or finished pods. */
function podGracePeriod(pod: Readonly<KubeObject>): number {
  if (!str(get(pod, 'spec.nodeName'))) return 0;
  const phase = str(get(pod, 'status.phase'));
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  const grace = get(pod, 'spec.terminationGracePeriodSeconds');
  const period = typeof grace === 'number' ? grace : 30;
  return period < 0 ? 1 : period;
}

export const pods: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Pod',
  plural: 'pods',
  singular: 'pod',
  namespaced: true,
  shortNames: ['po'],
  categories: ['all'],
  returnDeletedObject: true,
  gracefulDelete: podGracePeriod,
  subresources: { status: true, binding: true },
  strategy: podStrategy,
  fieldSelectors: {
    'spec.nodeName': (o) => str(get(o, 'spec.nodeName')),
    'spec.restartPolicy': (o) => str(get(o, 'spec.restartPolicy')),
    'spec.schedulerName': (o) => str(get(o, 'spec.schedulerName')),
    'spec.serviceAccountName': (o) => str(get(o, 'spec.serviceAccountName')),
    'spec.hostNetwork': (o) => String(get(o, 'spec.hostNetwork') === true),
    'status.phase': (o) => str(get(o, 'status.phase')),
    'status.podIP': (o) => podIP(o),
    'status.nominatedNodeName': (o) => str(get(o, 'status.nominatedNodeName')),
    // Accepted by upstream's conversion but absent from the pod's selectable fields: it always reads empty.
    'status.podIPs': () => undefined,
    // Old v1 clients' name for spec.nodeName (upstream's conversion renames it).
    'spec.host': (o) => str(get(o, 'spec.nodeName')),
  },
  columns: podColumns,
};
