// NodeRestriction: a kubelet (system:node:<name>) may change only its own Node, and not the parts that steer workloads to it.
import type { KubeObject } from '../../registry/types.ts';
import { admissionForbidden } from './plugins.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';

const NODE_USER_PREFIX = 'system:node:';
const NODES_GROUP = 'system:nodes';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

/** Labels a kubelet sets on its own Node although they are in the kubernetes.io / k8s.io namespaces (upstream's kubelet labels). */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname', 'kubernetes.io/arch', 'kubernetes.io/os',
  'beta.kubernetes.io/arch', 'beta.kubernetes.io/os', 'beta.kubernetes.io/instance-type', 'node.kubernetes.io/instance-type',
  'failure-domain.beta.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/region',
  'topology.kubernetes.io/zone', 'topology.kubernetes.io/region',
]);
const KUBELET_LABEL_NAMESPACES = ['kubelet.kubernetes.io', 'node.kubernetes.io'];
const NODE_RESTRICTION_NAMESPACE = 'node-restriction.kubernetes.io';

const inDomain = (namespace: string, domain: string): boolean => namespace === domain || namespace.endsWith(`.${domain}`);

/** upstream's getForbiddenLabels: node-restriction labels, and kubernetes.io / k8s.io labels that are not kubelet labels. */
export function forbiddenNodeLabels(keys: Iterable<string>): string[] {
  const out: string[] = [];
  for (const key of keys) {
    const slash = key.indexOf('/');
    const namespace = slash < 0 ? '' : key.slice(0, slash);
    const kubeletLabel = KUBELET_LABELS.has(key) || KUBELET_LABEL_NAMESPACES.some((d) => inDomain(namespace, d));
    const kubernetesLabel = inDomain(namespace, 'kubernetes.io') || inDomain(namespace, 'k8s.io');
    if (inDomain(namespace, NODE_RESTRICTION_NAMESPACE) || (kubernetesLabel && !kubeletLabel)) out.push(key);
  }
  return out.sort();
}

function modifiedLabels(now: Record<string, string> = {}, old: Record<string, string> = {}): string[] {
  const keys = new Set([...Object.keys(now), ...Object.keys(old)]);
  return [...keys].filter((k) => now[k] !== old[k]);
}

/** The node a request comes from, or undefined for anyone that is not a kubelet. */
function requestingNode(a: AdmissionAttributes): string | undefined {
  const { name: username, groups } = a.user;
  if (!username.startsWith(NODE_USER_PREFIX) || !groups.includes(NODES_GROUP)) return undefined;
  return username.slice(NODE_USER_PREFIX.length) || undefined;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const specOf = (o: KubeObject | Readonly<KubeObject> | undefined): Record<string, unknown> => ((o?.spec ?? {}) as Record<string, unknown>);

function admitNode(a: AdmissionAttributes, node: string): void {
  if (a.subresource !== '' && a.subresource !== 'status') return;
  const name = a.name || a.object.metadata.name || '';
  if (name !== node) throw admissionForbidden(a, `node "${node}" is not allowed to modify node "${name}"`);
  if (a.operation === 'CREATE') {
    if (specOf(a.object).configSource != null) throw admissionForbidden(a, `node "${node}" is not allowed to create pods with a non-nil configSource`);
    const forbidden = forbiddenNodeLabels(Object.keys(a.object.metadata.labels ?? {}));
    if (forbidden.length) throw admissionForbidden(a, `node "${node}" is not allowed to set the following labels: ${forbidden.join(', ')}`);
    return;
  }
  if (a.operation !== 'UPDATE') return;
  const old = a.oldObject;
  const configSource = specOf(a.object).configSource;
  if (configSource != null && !same(configSource, specOf(old).configSource)) {
    throw admissionForbidden(a, `node "${node}" is not allowed to update configSource to a new non-nil configSource`);
  }
  if (!same(specOf(a.object).taints, specOf(old).taints)) throw admissionForbidden(a, `node "${node}" is not allowed to modify taints`);
  if (!same(a.object.metadata.ownerReferences, old?.metadata.ownerReferences)) throw admissionForbidden(a, `node "${node}" is not allowed to modify ownerReferences`);
  const forbidden = forbiddenNodeLabels(modifiedLabels(a.object.metadata.labels, old?.metadata.labels));
  if (forbidden.length) throw admissionForbidden(a, `is not allowed to modify labels: ${forbidden.join(', ')}`);
}

function admitPod(a: AdmissionAttributes, node: string): void {
  if (a.subresource !== '') return;
  const boundTo = (o: KubeObject | Readonly<KubeObject> | undefined): unknown => specOf(o).nodeName;
  if (a.operation === 'CREATE') {
    if (a.object.metadata.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
      throw admissionForbidden(a, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
    }
    if (boundTo(a.object) !== node) throw admissionForbidden(a, `node "${node}" can only create pods with spec.nodeName set to itself`);
  } else if (a.operation === 'DELETE' && boundTo(a.oldObject) !== node) {
    throw admissionForbidden(a, `node "${node}" can only delete pods with spec.nodeName set to itself`);
  }
}

/**
 * upstream's NodeRestriction for the resources our kubelets write: Nodes (only its own; no taint, ownerReference
 * or restricted-label changes after registration) and Pods (only mirror pods bound to itself; deletes only of its
 * own pods). Requests from anyone else pass untouched.
 */
export function nodeRestriction(): AdmissionPlugin {
  return {
    name: 'NodeRestriction',
    operations: ['CREATE', 'UPDATE', 'DELETE'],
    validate(a) {
      if (a.def.group !== '') return;
      const node = requestingNode(a);
      if (!node) return;
      if (a.def.plural === 'nodes') admitNode(a, node);
      else if (a.def.plural === 'pods') admitPod(a, node);
    },
  };
}
