// The object shapes and resource descriptors the controller runtime works with (raw JSON, as the API serves it).

/** The wire shapes of objects are declared once, beside the resource catalogue; the runtime only reads them. */
export type { KubeObject, ObjectMeta, OwnerReference } from '../../server/registry/types.ts';
import type { KubeObject, OwnerReference } from '../../server/registry/types.ts';

/** metav1.Status, the body of every error answer and of watch ERROR events. */
export interface Status {
  kind?: 'Status';
  apiVersion?: string;
  status?: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code?: number;
  details?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
}

/**
 * A served resource, declared once: `T` is only a type tag so that informers and listers hand out
 * typed objects. `namespaced` decides whether a namespace segment may appear in its paths.
 */
export interface ResourceType<T extends KubeObject = KubeObject> {
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** Never set; carries `T` for inference. */
  readonly __type?: T;
}

/** Declares a resource; `apiVersion` is "v1" for core or "group/version". */
export function resourceType<T extends KubeObject = KubeObject>(apiVersion: string, kind: string, plural: string, namespaced = true): ResourceType<T> {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  return Object.freeze({ group, version, kind, plural, namespaced });
}

/** "v1" or "apps/v1". */
export function apiVersionOf(rt: ResourceType<KubeObject>): string {
  return rt.group ? `${rt.group}/${rt.version}` : rt.version;
}

/**
 * The collection path of a resource, e.g. `/apis/apps/v1/namespaces/ns/replicasets` or `/api/v1/nodes`.
 * @throws Error when a namespace is given for a cluster-scoped resource.
 */
export function collectionPath(rt: ResourceType<KubeObject>, namespace?: string): string {
  const root = rt.group ? `/apis/${rt.group}/${rt.version}` : `/api/${rt.version}`;
  if (namespace === undefined || namespace === '') return `${root}/${rt.plural}`;
  if (!rt.namespaced) throw new Error(`${rt.plural} is cluster-scoped: no namespace allowed`);
  return `${root}/namespaces/${encodeURIComponent(namespace)}/${rt.plural}`;
}

/** The path of one object (optionally a subresource such as `status`). */
export function objectPath(rt: ResourceType<KubeObject>, namespace: string | undefined, name: string, subresource?: string): string {
  const base = `${collectionPath(rt, rt.namespaced ? namespace : undefined)}/${encodeURIComponent(name)}`;
  return subresource ? `${base}/${subresource}` : base;
}

/** client-go's MetaNamespaceKeyFunc: "namespace/name", or "name" for cluster-scoped objects. */
export function keyOf(obj: Pick<KubeObject, 'metadata'>): string {
  const { namespace, name } = obj.metadata;
  return namespace ? `${namespace}/${name ?? ''}` : (name ?? '');
}

/** Splits a key made by {@link keyOf}; `namespace` is "" for cluster-scoped keys. */
export function splitKey(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { namespace: '', name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The owner reference with `controller: true`, if any (an object has at most one). */
export function controllerRefOf(obj: Pick<KubeObject, 'metadata'>): OwnerReference | undefined {
  return obj.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** Resources the built-in controllers watch, declared once. */
export const Resources = {
  Pod: resourceType('v1', 'Pod', 'pods'),
  Node: resourceType('v1', 'Node', 'nodes', false),
  Namespace: resourceType('v1', 'Namespace', 'namespaces', false),
  Service: resourceType('v1', 'Service', 'services'),
  Endpoints: resourceType('v1', 'Endpoints', 'endpoints'),
  ServiceAccount: resourceType('v1', 'ServiceAccount', 'serviceaccounts'),
  ConfigMap: resourceType('v1', 'ConfigMap', 'configmaps'),
  Secret: resourceType('v1', 'Secret', 'secrets'),
  Event: resourceType('v1', 'Event', 'events'),
  PersistentVolumeClaim: resourceType('v1', 'PersistentVolumeClaim', 'persistentvolumeclaims'),
  ReplicationController: resourceType('v1', 'ReplicationController', 'replicationcontrollers'),
  Deployment: resourceType('apps/v1', 'Deployment', 'deployments'),
  ReplicaSet: resourceType('apps/v1', 'ReplicaSet', 'replicasets'),
  DaemonSet: resourceType('apps/v1', 'DaemonSet', 'daemonsets'),
  StatefulSet: resourceType('apps/v1', 'StatefulSet', 'statefulsets'),
  ControllerRevision: resourceType('apps/v1', 'ControllerRevision', 'controllerrevisions'),
  Job: resourceType('batch/v1', 'Job', 'jobs'),
  CronJob: resourceType('batch/v1', 'CronJob', 'cronjobs'),
  Lease: resourceType('coordination.k8s.io/v1', 'Lease', 'leases'),
  EndpointSlice: resourceType('discovery.k8s.io/v1', 'EndpointSlice', 'endpointslices'),
  PodDisruptionBudget: resourceType('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets'),
} as const;
