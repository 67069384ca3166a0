// core/v1 namespaces and nodes: the cluster-scoped core resources, their defaults, rules and printers.
import type { FieldError, KubeObject, ResourceDef } from './types.ts';
import { arr, child, defaultValue, get, isObj, obj, records, str } from './object.ts';
import { ageColumn, stringColumn } from './columns.ts';
import { canonicalizeResourceList } from './quantity.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta-validation.ts';
import { forbidden, fp, idx, invalid, isQualifiedName, isValidLabelValue, notSupported, required } from './validation.ts';

// ---- namespaces ----

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const STANDARD_FINALIZERS = ['kubernetes', 'orphan', 'foregroundDeletion'];

/** The label upstream's namespace strategy keeps equal to the name. */
function labelWithName(ns: KubeObject): void {
  if (ns.metadata.name) child(ns.metadata, 'labels')[NAMESPACE_NAME_LABEL] = ns.metadata.name;
}

function validateNamespace(ns: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, { namespaced: false, name: nameIsDNSLabel });
  for (const f of arr(get(ns, 'spec.finalizers'))) {
    const name = String(f);
    if (!name.includes('/')) {
      if (!STANDARD_FINALIZERS.includes(name)) errs.push(invalid('spec.finalizers', name, 'name is neither a standard finalizer name nor is it fully qualified'));
    } else {
      for (const m of isQualifiedName(name)) errs.push(invalid('spec.finalizers', name, m));
    }
  }
  return errs;
}

export const namespaces: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  returnDeletedObject: true,
  subresources: { status: true },
  strategy: {
    prepareForCreate(ns) {
      ns.status = { phase: 'Active' };
      const spec = child(ns, 'spec');
      const finalizers = arr(spec.finalizers).map(String);
      if (!finalizers.includes('kubernetes')) finalizers.push('kubernetes');
      spec.finalizers = finalizers;
      labelWithName(ns);
    },
    prepareForUpdate(ns, old) {
      // Upstream: spec.finalizers change only through the finalize subresource.
      const finalizers = get(old, 'spec.finalizers');
      if (finalizers === undefined) delete child(ns, 'spec').finalizers;
      else child(ns, 'spec').finalizers = structuredClone(finalizers);
      labelWithName(ns);
    },
    validate: validateNamespace,
    validateUpdate: (ns, old) => [...validateObjectMetaUpdate(ns.metadata, old.metadata), ...validateNamespace(ns)],
    canonicalize: labelWithName,
  },
  fieldSelectors: { 'status.phase': (o) => str(get(o, 'status.phase')) },
  columns: [stringColumn('Status', 'The status of the namespace', 0, (o) => str(get(o, 'status.phase'))), ageColumn],
};

// ---- nodes ----

const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const ROLE_PREFIX = 'node-role.kubernetes.io/';
const ROLE_LABEL = 'kubernetes.io/role';

function defaultNode(node: KubeObject): void {
  const status = obj(node.status);
  if (!status) return;
  canonicalizeResourceList(status.capacity);
  canonicalizeResourceList(status.allocatable);
  if (isObj(status.capacity)) defaultValue(status, 'allocatable', structuredClone(status.capacity));
}

function validateNode(node: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(node.metadata, { namespaced: false, name: nameIsDNSSubdomain });
  records(get(node, 'spec.taints')).forEach((t, i) => {
    const path = idx('spec.taints', i);
    const k = str(t.key);
    if (!k) errs.push(required(fp(path, 'key')));
    else for (const m of isQualifiedName(k)) errs.push(invalid(fp(path, 'key'), k, m));
    const v = str(t.value);
    if (v) for (const m of isValidLabelValue(v)) errs.push(invalid(fp(path, 'value'), v, m));
    const effect = str(t.effect);
    if (!effect) errs.push(required(fp(path, 'effect')));
    else if (!TAINT_EFFECTS.includes(effect)) errs.push(notSupported(fp(path, 'effect'), effect, TAINT_EFFECTS));
  });
  return errs;
}

function validateNodeUpdate(node: Readonly<KubeObject>, old: Readonly<KubeObject>): FieldError[] {
  const errs = [...validateObjectMetaUpdate(node.metadata, old.metadata), ...validateNode(node)];
  const oldCIDRs = arr(get(old, 'spec.podCIDRs')).map(String);
  const newCIDRs = arr(get(node, 'spec.podCIDRs')).map(String);
  if (oldCIDRs.length > 0 && JSON.stringify(oldCIDRs) !== JSON.stringify(newCIDRs)) {
    errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  const oldProvider = str(get(old, 'spec.providerID'));
  if (oldProvider && oldProvider !== str(get(node, 'spec.providerID'))) {
    errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  return errs;
}

/** printNode's STATUS: Ready / NotReady / Unknown, then SchedulingDisabled when cordoned. */
export function nodeStatus(node: KubeObject): string {
  const status: string[] = [];
  const ready = records(get(node, 'status.conditions')).filter((c) => c.type === 'Ready').pop();
  if (ready) status.push(ready.status === 'True' ? 'Ready' : 'NotReady');
  if (status.length === 0) status.push('Unknown');
  if (get(node, 'spec.unschedulable') === true) status.push('SchedulingDisabled');
  return status.join(',');
}

/** findNodeRoles: `node-role.kubernetes.io/<role>` keys and the `kubernetes.io/role` value, sorted. */
export function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith(ROLE_PREFIX)) {
      const role = k.slice(ROLE_PREFIX.length);
      if (role) roles.add(role);
    } else if (k === ROLE_LABEL && v !== '') {
      roles.add(v);
    }
  }
  const sorted = [...roles].sort();
  return sorted.length ? sorted.join(',') : '<none>';
}

function nodeAddress(node: KubeObject, type: string): string {
  return str(records(get(node, 'status.addresses')).find((a) => a.type === type)?.address) || '<none>';
}

const ADDRESSES_DESCRIPTION = 'List of addresses reachable to the node. Queried from cloud provider, if available.';

export const nodes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  singular: 'node',
  namespaced: false,
  shortNames: ['no'],
  storageName: 'minions',
  subresources: { status: true },
  strategy: {
    prepareForCreate: defaultNode,
    prepareForUpdate: defaultNode,
    validate: validateNode,
    validateUpdate: validateNodeUpdate,
  },
  fieldSelectors: { 'spec.unschedulable': (o) => String(get(o, 'spec.unschedulable') === true) },
  columns: [
    stringColumn('Status', 'The status of the node', 0, nodeStatus),
    stringColumn('Roles', 'The roles of the node', 0, nodeRoles),
    ageColumn,
    stringColumn('Version', 'Kubelet Version reported by the node.', 0, (o) => str(get(o, 'status.nodeInfo.kubeletVersion'))),
    stringColumn('Internal-IP', ADDRESSES_DESCRIPTION, 1, (o) => nodeAddress(o, 'InternalIP')),
    stringColumn('External-IP', ADDRESSES_DESCRIPTION, 1, (o) => nodeAddress(o, 'ExternalIP')),
    stringColumn('OS-Image', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1, (o) => str(get(o, 'status.nodeInfo.osImage')) || '<unknown>'),
    stringColumn('Kernel-Version', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1, (o) => str(get(o, 'status.nodeInfo.kernelVersion')) || '<unknown>'),
    stringColumn('Container-Runtime', 'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).', 1, (o) => str(get(o, 'status.nodeInfo.containerRuntimeVersion')) || '<unknown>'),
  ],
};
