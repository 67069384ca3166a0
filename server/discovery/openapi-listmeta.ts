// Strategic-merge and list-type metadata of built-in list fields (upstream's +patchStrategy/+listType Go tags), as one table.

export interface ListMeta {
  /** x-kubernetes-list-type. */
  listType?: 'atomic' | 'set' | 'map';
  /** x-kubernetes-list-map-keys (listType map only). */
  mapKeys?: readonly string[];
  /** x-kubernetes-patch-merge-key. */
  mergeKey?: string;
  /** x-kubernetes-patch-strategy. */
  strategy?: 'merge' | 'merge,retainKeys' | 'retainKeys';
}

const byName = (key = 'name', strategy: ListMeta['strategy'] = 'merge'): ListMeta => ({
  listType: 'map',
  mapKeys: [key],
  mergeKey: key,
  strategy,
});
const byType: ListMeta = byName('type');
const atomic: ListMeta = { listType: 'atomic' };
const containerList: ListMeta = byName();

const CORE = 'io.k8s.api.core.v1';
const APPS = 'io.k8s.api.apps.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/**
 * definition name → JSON field → list metadata. kubectl's client-side apply merges lists by these keys (from
 * the OpenAPI v3 document), and server-side apply semantics follow the list types; a list missing here is
 * published without extensions, i.e. replaced whole by a strategic merge patch.
 */
export const LIST_META: Readonly<Record<string, Readonly<Record<string, ListMeta>>>> = {
  [`${META}.ObjectMeta`]: {
    finalizers: { listType: 'set', strategy: 'merge' },
    ownerReferences: byName('uid'),
    managedFields: atomic,
  },
  [`${META}.LabelSelector`]: { matchExpressions: atomic },
  [`${META}.LabelSelectorRequirement`]: { values: atomic },
  [`${CORE}.PodSpec`]: {
    containers: containerList,
    initContainers: containerList,
    ephemeralContainers: containerList,
    volumes: byName('name', 'merge,retainKeys'),
    imagePullSecrets: byName(),
    hostAliases: byName('ip'),
    tolerations: atomic,
    readinessGates: atomic,
    schedulingGates: byName(),
    resourceClaims: byName('name', 'merge,retainKeys'),
    topologySpreadConstraints: {
      listType: 'map',
      mapKeys: ['topologyKey', 'whenUnsatisfiable'],
      mergeKey: 'topologyKey',
      strategy: 'merge',
    },
  },
  [`${CORE}.Container`]: {
    args: atomic,
    command: atomic,
    env: byName(),
    envFrom: atomic,
    ports: { listType: 'map', mapKeys: ['containerPort', 'protocol'], mergeKey: 'containerPort', strategy: 'merge' },
    volumeMounts: byName('mountPath'),
    volumeDevices: byName('devicePath'),
    resizePolicy: atomic,
  },
  [`${CORE}.EphemeralContainer`]: {
    args: atomic,
    command: atomic,
    env: byName(),
    envFrom: atomic,
    ports: { listType: 'map', mapKeys: ['containerPort', 'protocol'], mergeKey: 'containerPort', strategy: 'merge' },
    volumeMounts: byName('mountPath'),
    volumeDevices: byName('devicePath'),
    resizePolicy: atomic,
  },
  [`${CORE}.PodStatus`]: {
    conditions: byType,
    podIPs: { listType: 'atomic', mergeKey: 'ip', strategy: 'merge' },
    hostIPs: { listType: 'atomic', mergeKey: 'ip', strategy: 'merge' },
    containerStatuses: atomic,
    initContainerStatuses: atomic,
    ephemeralContainerStatuses: atomic,
  },
  [`${CORE}.PodDNSConfig`]: { nameservers: atomic, options: atomic, searches: atomic },
  [`${CORE}.PodSecurityContext`]: { supplementalGroups: atomic, sysctls: atomic },
  [`${CORE}.Capabilities`]: { add: atomic, drop: atomic },
  [`${CORE}.NodeSelector`]: { nodeSelectorTerms: atomic },
  [`${CORE}.NodeSelectorTerm`]: { matchExpressions: atomic, matchFields: atomic },
  [`${CORE}.NodeSelectorRequirement`]: { values: atomic },
  [`${CORE}.ServiceSpec`]: {
    ports: { listType: 'map', mapKeys: ['port', 'protocol'], mergeKey: 'port', strategy: 'merge' },
    clusterIPs: atomic,
    externalIPs: atomic,
    ipFamilies: atomic,
    loadBalancerSourceRanges: atomic,
  },
  [`${CORE}.ServiceStatus`]: { conditions: byType },
  [`${CORE}.LoadBalancerStatus`]: { ingress: atomic },
  [`${CORE}.ServiceAccount`]: { secrets: { mergeKey: 'name', strategy: 'merge' }, imagePullSecrets: atomic },
  [`${CORE}.EndpointSubset`]: { addresses: atomic, notReadyAddresses: atomic, ports: atomic },
  [`${CORE}.NodeSpec`]: { podCIDRs: { listType: 'set', strategy: 'merge' }, taints: atomic },
  [`${CORE}.NodeStatus`]: { addresses: byType, conditions: byType, images: atomic, volumesAttached: atomic, volumesInUse: atomic },
  [`${CORE}.NamespaceStatus`]: { conditions: byType },
  [`${CORE}.PersistentVolumeClaimStatus`]: { conditions: byType, accessModes: atomic },
  [`${CORE}.PersistentVolumeClaimSpec`]: { accessModes: atomic },
  [`${CORE}.PersistentVolumeSpec`]: { accessModes: atomic, mountOptions: atomic },
  [`${CORE}.ReplicationControllerStatus`]: { conditions: byType },
  [`${CORE}.ConfigMapVolumeSource`]: { items: atomic },
  [`${CORE}.SecretVolumeSource`]: { items: atomic },
  [`${CORE}.ProjectedVolumeSource`]: { sources: atomic },
  [`${CORE}.DownwardAPIVolumeSource`]: { items: atomic },
  [`${CORE}.HTTPGetAction`]: { httpHeaders: atomic },
  [`${CORE}.ExecAction`]: { command: atomic },
  [`${CORE}.ResourceRequirements`]: { claims: byName() },
  [`${CORE}.LimitRangeSpec`]: { limits: atomic },
  [`${APPS}.DeploymentStatus`]: { conditions: byType },
  [`${APPS}.ReplicaSetStatus`]: { conditions: byType },
  [`${APPS}.StatefulSetStatus`]: { conditions: byType },
  [`${APPS}.DaemonSetStatus`]: { conditions: byType },
  [`${APPS}.StatefulSetSpec`]: { volumeClaimTemplates: atomic },
  ['io.k8s.api.batch.v1.JobStatus']: { conditions: { listType: 'atomic', mergeKey: 'type', strategy: 'merge' } },
  ['io.k8s.api.batch.v1.CronJobStatus']: { active: atomic },
  ['io.k8s.api.rbac.v1.ClusterRole']: { rules: atomic },
  ['io.k8s.api.rbac.v1.Role']: { rules: atomic },
  ['io.k8s.api.rbac.v1.RoleBinding']: { subjects: atomic },
  ['io.k8s.api.rbac.v1.ClusterRoleBinding']: { subjects: atomic },
  ['io.k8s.api.networking.v1.IngressSpec']: { rules: atomic, tls: atomic },
  ['io.k8s.api.discovery.v1.EndpointSlice']: { endpoints: atomic, ports: atomic },
  ['io.k8s.api.policy.v1.PodDisruptionBudgetStatus']: { conditions: byType },
  ['io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerStatus']: { conditions: byType, currentMetrics: atomic },
  ['io.k8s.api.autoscaling.v2.HorizontalPodAutoscalerSpec']: { metrics: atomic },
};

/** The metadata of one field, if the table has it. */
export function listMetaOf(definition: string, field: string): ListMeta | undefined {
  return LIST_META[definition]?.[field];
}

/**
 * Definitions upstream marks `+structType=atomic` (x-kubernetes-map-type: atomic): server-side apply owns
 * and replaces them whole (e.g. a Deployment's `spec.selector`).
 */
export const ATOMIC_STRUCTS: ReadonlySet<string> = new Set([
  `${META}.LabelSelector`,
  `${CORE}.LocalObjectReference`,
  `${CORE}.ObjectReference`,
  `${CORE}.NodeSelector`,
  `${CORE}.NodeSelectorTerm`,
  `${CORE}.TopologySelectorTerm`,
  `${CORE}.ConfigMapKeySelector`,
  `${CORE}.SecretKeySelector`,
  `${CORE}.ObjectFieldSelector`,
  `${CORE}.ResourceFieldSelector`,
  `${CORE}.TypedLocalObjectReference`,
  `${CORE}.ConfigMapEnvSource`,
  `${CORE}.SecretEnvSource`,
  `${CORE}.SecretReference`,
  `${CORE}.ConfigMapNodeConfigSource`,
]);
