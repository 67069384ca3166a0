// The one-resource groups: coordination.k8s.io leases, discovery.k8s.io endpointslices, policy PDBs, scheduling priorityclasses.
import { isIP } from 'node:net';
import type { FieldError, KubeObject, ResourceDef } from './types.ts';
import { arr, defaultString, defaultValue, get, jsonEqual, num, obj, records, str } from './object.ts';
import { ageColumn, stringColumn } from './columns.ts';
import { metaOnlyUpdate, nameIsDNSSubdomain, validateObjectMeta } from './meta-validation.ts';
import { validateLabelSelector } from './selector.ts';
import {
  duplicate,
  forbidden,
  fp,
  idx,
  intOrString,
  invalid,
  isDNS1123Label,
  isDNS1123Subdomain,
  isValidPortNum,
  notMoreThan100Percent,
  notSupported,
  positiveIntOrPercent,
  required,
  tooMany,
} from './validation.ts';

const NAMESPACED = { namespaced: true, name: nameIsDNSSubdomain } as const;
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];

/** A validateUpdate that re-runs `validate` except its metadata part, after the metadata update rules. */
function withMetaUpdate(validate: (o: Readonly<KubeObject>) => FieldError[]): (o: Readonly<KubeObject>, old: Readonly<KubeObject>) => FieldError[] {
  return (o, old) => [...metaOnlyUpdate()(o, old), ...validate(o).filter((e) => !e.field.startsWith('metadata.'))];
}

// ---- coordination.k8s.io/v1 leases ----

function validateLease(lease: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(lease.metadata, NAMESPACED);
  const duration = get(lease, 'spec.leaseDurationSeconds');
  if (typeof duration === 'number' && duration <= 0) errs.push(invalid('spec.leaseDurationSeconds', duration, 'must be greater than 0'));
  const transitions = get(lease, 'spec.leaseTransitions');
  if (typeof transitions === 'number' && transitions < 0) errs.push(invalid('spec.leaseTransitions', transitions, 'must be greater than or equal to 0'));
  return errs;
}

export const leases: ResourceDef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  singular: 'lease',
  namespaced: true,
  allowCreateOnUpdate: true,
  strategy: { validate: validateLease, validateUpdate: withMetaUpdate(validateLease) },
  columns: [
    stringColumn('Holder', 'holderIdentity contains the identity of the holder of a current lease.', 0, (o) => str(get(o, 'spec.holderIdentity'))),
    ageColumn,
  ],
};

// ---- discovery.k8s.io/v1 endpointslices ----

const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];
const MAX_ADDRESSES = 100;

function defaultEndpointSlice(slice: KubeObject): void {
  for (const p of records(slice.ports)) {
    defaultValue(p, 'name', '');
    defaultString(p, 'protocol', 'TCP');
  }
}

function validateEndpointSlice(slice: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(slice.metadata, NAMESPACED);
  const type = str(slice.addressType);
  if (!type) errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(notSupported('addressType', type, ADDRESS_TYPES));
  records(slice.endpoints).forEach((ep, i) => {
    const path = fp(idx('endpoints', i), 'addresses');
    const addresses = arr(ep.addresses).map(String);
    if (addresses.length === 0) errs.push(required(path, 'must contain at least 1 address'));
    else if (addresses.length > MAX_ADDRESSES) errs.push(tooMany(path, addresses.length, MAX_ADDRESSES));
    addresses.forEach((a, j) => {
      if (type === 'IPv4' && isIP(a) !== 4) errs.push(invalid(idx(path, j), a, 'must be a valid IPv4 address'));
      if (type === 'IPv6' && isIP(a) !== 6) errs.push(invalid(idx(path, j), a, 'must be a valid IPv6 address'));
      if (type === 'FQDN') for (const m of isDNS1123Subdomain(a)) errs.push(invalid(idx(path, j), a, m));
    });
  });
  const names = new Set<string>();
  records(slice.ports).forEach((p, i) => {
    const path = idx('ports', i);
    const name = str(p.name);
    if (name) for (const m of isDNS1123Label(name)) errs.push(invalid(fp(path, 'name'), name, m));
    if (names.has(name)) errs.push(duplicate(fp(path, 'name'), name));
    names.add(name);
    const protocol = str(p.protocol);
    if (!protocol) errs.push(required(fp(path, 'protocol')));
    else if (!PROTOCOLS.includes(protocol)) errs.push(notSupported(fp(path, 'protocol'), protocol, PROTOCOLS));
    if (p.port !== undefined && p.port !== null) for (const m of isValidPortNum(Number(p.port))) errs.push(invalid(fp(path, 'port'), p.port, m));
  });
  return errs;
}

/** A comma list of at most three items, then `+ N more...`; `<unset>` when empty. */
function listWithMore(items: string[], max = 3): string {
  if (items.length > max) return `${items.slice(0, max).join(',')} + ${items.length - max} more...`;
  return items.length ? items.join(',') : '<unset>';
}

export const endpointslices: ResourceDef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  kind: 'EndpointSlice',
  plural: 'endpointslices',
  singular: 'endpointslice',
  namespaced: true,
  hasGeneration: true,
  strategy: {
    prepareForCreate: defaultEndpointSlice,
    prepareForUpdate: defaultEndpointSlice,
    validate: validateEndpointSlice,
    validateUpdate(slice, old) {
      const errs = withMetaUpdate(validateEndpointSlice)(slice, old);
      if (slice.addressType !== old.addressType) errs.push(invalid('addressType', slice.addressType ?? '', 'field is immutable'));
      return errs;
    },
  },
  columns: [
    stringColumn('AddressType', 'addressType specifies the type of address carried by this EndpointSlice.', 0, (o) => str(o.addressType)),
    stringColumn('Ports', 'ports specifies the list of network ports exposed by each endpoint in this slice.', 0, (o) =>
      listWithMore(records(o.ports).map((p) => (typeof p.port === 'number' ? String(p.port) : str(p.name) || '*'))),
    ),
    stringColumn('Endpoints', 'endpoints is a list of unique endpoints in this slice.', 0, (o) => listWithMore(records(o.endpoints).flatMap((e) => arr(e.addresses).map(String)))),
    ageColumn,
  ],
};

// ---- policy/v1 poddisruptionbudgets ----

const EVICTION_POLICIES = ['AlwaysAllow', 'IfHealthyBudget'];

function validatePDB(pdb: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(pdb.metadata, NAMESPACED);
  const spec = obj(pdb.spec) ?? {};
  const min = spec.minAvailable;
  const max = spec.maxUnavailable;
  if (min !== undefined && min !== null && max !== undefined && max !== null) errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  errs.push(...positiveIntOrPercent('spec.minAvailable', min), ...notMoreThan100Percent('spec.minAvailable', min));
  errs.push(...positiveIntOrPercent('spec.maxUnavailable', max), ...notMoreThan100Percent('spec.maxUnavailable', max));
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && policy !== null && !EVICTION_POLICIES.includes(String(policy))) errs.push(notSupported('spec.unhealthyPodEvictionPolicy', policy, EVICTION_POLICIES));
  return errs;
}

function intOrStringCell(v: unknown): string {
  return v === undefined || v === null ? 'N/A' : intOrString(v).text;
}

export const poddisruptionbudgets: ResourceDef = {
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  plural: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  namespaced: true,
  shortNames: ['pdb'],
  hasGeneration: true,
  subresources: { status: true },
  strategy: {
    prepareForCreate(pdb) {
      pdb.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
    },
    validate: validatePDB,
    validateUpdate: withMetaUpdate(validatePDB),
  },
  columns: [
    stringColumn('Min Available', 'The minimum number of pods that must be available.', 0, (o) => intOrStringCell(get(o, 'spec.minAvailable'))),
    stringColumn('Max Unavailable', 'The maximum number of pods that may be unavailable.', 0, (o) => intOrStringCell(get(o, 'spec.maxUnavailable'))),
    { name: 'Allowed Disruptions', type: 'integer', description: 'Calculated number of pods that may be disrupted at this time.', priority: 0, cell: (o) => num(get(o, 'status.disruptionsAllowed')) ?? 0 },
    ageColumn,
  ],
};

// ---- scheduling.k8s.io/v1 priorityclasses ----

const SYSTEM_CLASSES: Readonly<Record<string, number>> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };
const HIGHEST_USER_PRIORITY = 1000000000;
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

function knownSystemClassError(name: string, value: unknown, globalDefault: unknown): string | undefined {
  if (!(name in SYSTEM_CLASSES)) return `name ${name} is not a known system priority class`;
  if (value !== SYSTEM_CLASSES[name]) return `value of ${name} PriorityClass must be ${SYSTEM_CLASSES[name]}`;
  if (globalDefault === true) return `globalDefault of ${name} PriorityClass must be false`;
  return undefined;
}

function validatePriorityClass(pc: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(pc.metadata, { namespaced: false, name: nameIsDNSSubdomain });
  const name = pc.metadata.name ?? '';
  if (name.startsWith('system-')) {
    const e = knownSystemClassError(name, pc.value, pc.globalDefault);
    if (e) errs.push(forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${e}`));
  } else if (typeof pc.value === 'number' && pc.value > HIGHEST_USER_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  }
  const policy = pc.preemptionPolicy;
  if (policy !== undefined && policy !== null && !PREEMPTION_POLICIES.includes(String(policy))) errs.push(notSupported('preemptionPolicy', policy, PREEMPTION_POLICIES));
  return errs;
}

export const priorityclasses: ResourceDef = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  singular: 'priorityclass',
  namespaced: false,
  shortNames: ['pc'],
  strategy: {
    prepareForCreate: (pc) => defaultString(pc, 'preemptionPolicy', 'PreemptLowerPriority'),
    prepareForUpdate: (pc) => defaultString(pc, 'preemptionPolicy', 'PreemptLowerPriority'),
    validate: validatePriorityClass,
    validateUpdate(pc, old) {
      const errs = withMetaUpdate(validatePriorityClass)(pc, old);
      if (pc.value !== old.value) errs.push(forbidden('value', 'may not be changed in an update.'));
      if (!jsonEqual(pc.preemptionPolicy, old.preemptionPolicy)) errs.push(invalid('preemptionPolicy', pc.preemptionPolicy ?? null, 'field is immutable'));
      return errs;
    },
  },
  columns: [
    { name: 'Value', type: 'integer', description: 'value represents the integer value of this priority class.', priority: 0, cell: (o) => num(o.value) ?? 0 },
    { name: 'Global-Default', type: 'boolean', description: 'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.', priority: 0, cell: (o) => o.globalDefault === true },
    ageColumn,
    stringColumn('PreemptionPolicy', 'preemptionPolicy is the Policy for preempting pods with lower priority.', 0, (o) => str(o.preemptionPolicy)),
  ],
};

