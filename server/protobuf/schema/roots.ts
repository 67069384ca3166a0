// The top-level kinds whose protobuf request bodies we decode, and how an apiVersion's group names its messages.

/**
 * `<package>/<version>/<Kind>` of every kind a client may send us as protobuf: the served catalogue
 * (server/registry) plus the subresource and review kinds. The schema extractor starts from these; every message
 * reachable from them is in the table.
 */
export const ROOT_KINDS = [
  'core/v1/Pod', 'core/v1/Namespace', 'core/v1/Node', 'core/v1/ConfigMap', 'core/v1/Secret', 'core/v1/ServiceAccount',
  'core/v1/Event', 'core/v1/LimitRange', 'core/v1/ResourceQuota', 'core/v1/ReplicationController', 'core/v1/PodTemplate',
  'core/v1/Service', 'core/v1/Endpoints', 'core/v1/PersistentVolume', 'core/v1/PersistentVolumeClaim', 'core/v1/Binding',
  'apps/v1/Deployment', 'apps/v1/ReplicaSet', 'apps/v1/StatefulSet', 'apps/v1/DaemonSet', 'apps/v1/ControllerRevision',
  'batch/v1/Job', 'batch/v1/CronJob',
  'events/v1/Event',
  'rbac/v1/Role', 'rbac/v1/RoleBinding', 'rbac/v1/ClusterRole', 'rbac/v1/ClusterRoleBinding',
  'coordination/v1/Lease',
  'discovery/v1/EndpointSlice',
  'policy/v1/PodDisruptionBudget', 'policy/v1/Eviction',
  'scheduling/v1/PriorityClass',
  'storage/v1/StorageClass',
  'autoscaling/v1/Scale', 'autoscaling/v1/HorizontalPodAutoscaler', 'autoscaling/v2/HorizontalPodAutoscaler',
  'authentication/v1/TokenRequest', 'authentication/v1/TokenReview', 'authentication/v1/SelfSubjectReview',
  'authorization/v1/SubjectAccessReview', 'authorization/v1/SelfSubjectAccessReview',
  'authorization/v1/SelfSubjectRulesReview', 'authorization/v1/LocalSubjectAccessReview',
  'networking/v1/Ingress', 'networking/v1/IngressClass', 'networking/v1/NetworkPolicy',
  'meta/v1/DeleteOptions',
] as const;

/** API group (as written in apiVersion) → the package part of our message names. */
export const GROUP_PACKAGES: Readonly<Record<string, string>> = {
  '': 'core',
  apps: 'apps',
  batch: 'batch',
  'events.k8s.io': 'events',
  'rbac.authorization.k8s.io': 'rbac',
  'coordination.k8s.io': 'coordination',
  'discovery.k8s.io': 'discovery',
  policy: 'policy',
  'scheduling.k8s.io': 'scheduling',
  autoscaling: 'autoscaling',
  'authentication.k8s.io': 'authentication',
  'authorization.k8s.io': 'authorization',
  'networking.k8s.io': 'networking',
  'storage.k8s.io': 'storage',
  'meta.k8s.io': 'meta',
};
