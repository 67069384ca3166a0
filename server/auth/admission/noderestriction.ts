// NodeRestriction: a kubelet (system:node:<name>) may change only its own Node, and not the parts that steer workloads to it.
import type { KubeObject } from '../../registry/types.ts';
import { refsOf } from '../node-authorizer.ts';
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
  const forbidden = forbiddenNodeLabels(modifiedLabels(a.object.metadata.labels, old?.metadata.labels));
  if (forbidden.length) throw admissionForbidden(a, `is not allowed to modify labels: ${forbidden.join(', ')}`);
}

/** upstream's admitPodCreate: a mirror pod bound to the node, owned by its Node object, referencing nothing else. */
async function admitMirrorPodCreate(a: AdmissionAttributes, node: string, nodeUid: NodeUidLookup): Promise<void> {
  const pod = a.object;
  if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] === undefined) {
    throw admissionForbidden(a, `pod does not have "${MIRROR_POD_ANNOTATION}" annotation, node "${node}" can only create mirror pods`);
  }
  if (specOf(pod).nodeName !== node) throw admissionForbidden(a, `node "${node}" can only create pods with spec.nodeName set to itself`);
  const owners = pod.metadata.ownerReferences ?? [];
  if (owners.length > 1) throw admissionForbidden(a, `node "${node}" can only create pods with a single owner reference set to itself`);
  const owner = owners[0];
  if (!owner || owner.apiVersion !== 'v1' || owner.kind !== 'Node' || owner.name !== node) {
    throw admissionForbidden(a, `node "${node}" can only create pods with an owner reference set to itself`);
  }
  if (owner.controller !== true) throw admissionForbidden(a, `node "${node}" can only create pods with a controller owner reference set to itself`);
  if (owner.blockOwnerDeletion === true) throw admissionForbidden(a, `node "${node}" must not set blockOwnerDeletion on an owner reference`);
  const uid = await nodeUid(node);
  if (owner.uid !== uid) throw admissionForbidden(a, `node ${node} UID mismatch: expected ${owner.uid} got ${uid ?? ''}`);
  // What the Node authorizer would then let the node read: a mirror pod must not be a way to reach other objects.
  if (specOf(pod).serviceAccountName) throw admissionForbidden(a, `node "${node}" can not create pods that reference a service account`);
  const refs = refsOf(pod);
  if (refs.secrets.length) throw admissionForbidden(a, `node "${node}" can not create pods that reference secrets`);
  if (refs.configmaps.length) throw admissionForbidden(a, `node "${node}" can not create pods that reference configmaps`);
  if (refs.pvcs.length) throw admissionForbidden(a, `node "${node}" can not create pods that reference persistentvolumeclaims`);
}

async function admitPod(a: AdmissionAttributes, node: string, nodeUid: NodeUidLookup): Promise<void> {
  const boundHere = (o: KubeObject | Readonly<KubeObject> | undefined): boolean => specOf(o).nodeName === node;
  if (a.subresource === 'eviction') {
    // The evicted pod comes as oldObject (the Eviction itself is the object).
    if (a.oldObject && !boundHere(a.oldObject)) throw admissionForbidden(a, `node ${node} can only evict pods with spec.nodeName set to itself`);
    return;
  }
  if (a.subresource === 'status') {
    if (a.operation === 'UPDATE' && !same(a.object.metadata.labels, a.oldObject?.metadata.labels)) {
      throw admissionForbidden(a, `node "${node}" cannot update labels through pod status`);
    }
    return;
  }
  if (a.subresource !== '') throw admissionForbidden(a, `unexpected pod subresource "${a.subresource}", only 'status' and 'eviction' are allowed`);
  if (a.operation === 'CREATE') await admitMirrorPodCreate(a, node, nodeUid);
  else if (a.operation === 'DELETE' && !boundHere(a.oldObject)) throw admissionForbidden(a, `node "${node}" can only delete pods with spec.nodeName set to itself`);
  else if (a.operation === 'UPDATE') throw admissionForbidden(a, `unexpected operation "UPDATE", node "${node}" can only create and delete mirror pods`);
}

/** The uid of a Node, or undefined when there is none by that name. */
export type NodeUidLookup = (name: string) => Promise<string | undefined>;

/**
 * upstream's NodeRestriction for Nodes and Pods: a kubelet writes only its own Node (no taint or restricted-label
 * changes after registration); creates only mirror pods bound to and owned by its Node that reference no service
 * account, secret, config map or claim; deletes and evicts only its own pods; changes no labels through pod
 * status. Requests from anyone else pass untouched.
 */
export function nodeRestriction(nodeUid: NodeUidLookup): AdmissionPlugin {
  return {
    name: 'NodeRestriction',
    operations: ['CREATE', 'UPDATE', 'DELETE'],
    async validate(a) {
      if (a.def.group !== '') return;
      const node = requestingNode(a);
      if (!node) return;
      if (a.def.plural === 'nodes') admitNode(a, node);
      else if (a.def.plural === 'pods') await admitPod(a, node, nodeUid);
    },
  };
}
