// Upstream's bootstrap RBAC policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) as data: roles and bindings.
import type { KubeObject } from '../../registry/types.ts';
import type { PolicyRule } from '../types.ts';

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const READ_WRITE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

/** A resource rule: verbs on resources of groups (`''` is the core group). */
export function rule(verbs: string[], groups: string[], resources: string[], resourceNames?: string[]): PolicyRule {
  const r: PolicyRule = { verbs, apiGroups: groups, resources };
  if (resourceNames) r.resourceNames = resourceNames;
  return r;
}

function urls(verbs: string[], nonResourceURLs: string[]): PolicyRule {
  return { verbs, nonResourceURLs };
}

export const AUTOUPDATE_ANNOTATION = 'rbac.authorization.kubernetes.io/autoupdate';
const BOOTSTRAP_LABELS = { 'kubernetes.io/bootstrapping': 'rbac-defaults' };
const AGG = 'rbac.authorization.k8s.io/aggregate-to-';

interface RoleSpec {
  name: string;
  rules: PolicyRule[];
  labels?: Record<string, string>;
  aggregateFrom?: string;
}

const clusterRoleSpecs: RoleSpec[] = [
  { name: 'cluster-admin', rules: [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])] },
  {
    name: 'system:discovery',
    rules: [urls(['get'], ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'])],
  },
  {
    name: 'system:monitoring',
    rules: [urls(['get'], ['/healthz', '/healthz/*', '/livez', '/livez/*', '/metrics', '/metrics/slis', '/readyz', '/readyz/*'])],
  },
  {
    name: 'system:basic-user',
    rules: [rule(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']), rule(['create'], ['authentication.k8s.io'], ['selfsubjectreviews'])],
  },
  { name: 'system:public-info-viewer', rules: [urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/'])] },
  { name: 'admin', rules: [], aggregateFrom: 'admin' },
  { name: 'edit', rules: [], labels: { [`${AGG}admin`]: 'true' }, aggregateFrom: 'edit' },
  { name: 'view', rules: [], labels: { [`${AGG}edit`]: 'true' }, aggregateFrom: 'view' },
  {
    name: 'system:aggregate-to-admin',
    labels: { [`${AGG}admin`]: 'true' },
    rules: [rule(READ_WRITE, ['rbac.authorization.k8s.io'], ['rolebindings', 'roles']), rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews'])],
  },
  {
    name: 'system:aggregate-to-edit',
    labels: { [`${AGG}edit`]: 'true' },
    rules: [
      rule(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
      rule(['create'], [''], ['pods/eviction']),
      rule(WRITE, [''], ['configmaps', 'events', 'persistentvolumeclaims', 'replicationcontrollers', 'replicationcontrollers/scale', 'secrets', 'serviceaccounts', 'services', 'services/proxy']),
      rule(['create'], [''], ['serviceaccounts/token']),
      rule(WRITE, ['apps'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'replicasets', 'replicasets/scale', 'statefulsets', 'statefulsets/scale']),
      rule(WRITE, ['autoscaling'], ['horizontalpodautoscalers']),
      rule(WRITE, ['batch'], ['cronjobs', 'jobs']),
      rule(WRITE, ['extensions'], ['daemonsets', 'deployments', 'deployments/rollback', 'deployments/scale', 'ingresses', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicationcontrollers/scale']),
      rule(WRITE, ['policy'], ['poddisruptionbudgets']),
      rule(WRITE, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
      rule(READ_WRITE, ['coordination.k8s.io'], ['leases']),
      rule(READ, [''], ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy']),
      rule(['impersonate'], [''], ['serviceaccounts']),
    ],
  },
  {
    name: 'system:aggregate-to-view',
    labels: { [`${AGG}view`]: 'true' },
    rules: [
      rule(READ, [''], ['configmaps', 'endpoints', 'persistentvolumeclaims', 'persistentvolumeclaims/status', 'pods', 'replicationcontrollers', 'replicationcontrollers/scale', 'serviceaccounts', 'services', 'services/status']),
      rule(READ, [''], ['bindings', 'events', 'limitranges', 'namespaces/status', 'pods/log', 'pods/status', 'replicationcontrollers/status', 'resourcequotas', 'resourcequotas/status']),
      rule(READ, [''], ['namespaces']),
      rule(READ, ['discovery.k8s.io'], ['endpointslices']),
      rule(READ, ['apps'], ['controllerrevisions', 'daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'replicasets', 'replicasets/scale', 'replicasets/status', 'statefulsets', 'statefulsets/scale', 'statefulsets/status']),
      rule(READ, ['autoscaling'], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
      rule(READ, ['batch'], ['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']),
      rule(READ, ['extensions'], ['daemonsets', 'daemonsets/status', 'deployments', 'deployments/scale', 'deployments/status', 'ingresses', 'ingresses/status', 'networkpolicies', 'replicasets', 'replicasets/scale', 'replicasets/status', 'replicationcontrollers/scale']),
      rule(READ, ['policy'], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
      rule(READ, ['networking.k8s.io'], ['ingresses', 'ingresses/status', 'networkpolicies']),
    ],
  },
  {
    // Installed by metrics-server upstream; tskube serves metrics.k8s.io itself, so it ships the role too.
    name: 'system:aggregated-metrics-reader',
    labels: { [`${AGG}admin`]: 'true', [`${AGG}edit`]: 'true', [`${AGG}view`]: 'true' },
    rules: [rule(['get', 'list', 'watch'], ['metrics.k8s.io'], ['pods', 'nodes'])],
  },
  { name: 'system:heapster', rules: [rule(READ, [''], ['events', 'namespaces', 'nodes', 'pods']), rule(READ, ['apps'], ['deployments'])] },
  {
    name: 'system:node',
    rules: [], // filled below from NODE_RULES
  },
  {
    name: 'system:node-proxier',
    rules: [
      rule(['list', 'watch'], [''], ['endpoints', 'services']),
      rule(['get', 'list', 'watch'], [''], ['nodes']),
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices']),
    ],
  },
  { name: 'system:kube-dns', rules: [rule(['list', 'watch'], [''], ['endpoints', 'services']), rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices'])] },
  // cluster DNS (issue 8): the ClusterRole of upstream's CoreDNS add-on, bound to its service account and to tskube's DNS user.
  { name: 'system:coredns', rules: [rule(['list', 'watch'], [''], ['endpoints', 'services', 'pods', 'namespaces']), rule(['list', 'watch'], ['discovery.k8s.io'], ['endpointslices'])] },
  { name: 'system:auth-delegator', rules: [rule(['create'], ['authentication.k8s.io'], ['tokenreviews']), rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews'])] },
  { name: 'system:service-account-issuer-discovery', rules: [urls(['get'], ['/.well-known/openid-configuration', '/.well-known/openid-configuration/', '/openid/v1/jwks', '/openid/v1/jwks/'])] },
  {
    name: 'system:kube-controller-manager',
    rules: [
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(['create'], ['coordination.k8s.io'], ['leases']),
      rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-controller-manager']),
      rule(['create'], [''], ['secrets', 'serviceaccounts']),
      rule(['delete'], [''], ['secrets']),
      rule(['get'], [''], ['configmaps', 'namespaces', 'secrets', 'serviceaccounts']),
      rule(['update'], [''], ['secrets', 'serviceaccounts']),
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
      rule(['list', 'watch'], ['*'], ['*']),
      rule(['create'], [''], ['serviceaccounts/token']),
    ],
  },
  {
    name: 'system:kube-scheduler',
    rules: [
      rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
      rule(['create'], ['coordination.k8s.io'], ['leases']),
      rule(['get', 'update'], ['coordination.k8s.io'], ['leases'], ['kube-scheduler']),
      rule(['create'], [''], ['endpoints']),
      rule(['get', 'update'], [''], ['endpoints'], ['kube-scheduler']),
      rule(READ, [''], ['nodes']),
      rule(['delete', 'get', 'list', 'watch'], [''], ['pods']),
      rule(['create'], [''], ['bindings', 'pods/binding']),
      rule(['patch', 'update'], [''], ['pods/status']),
      rule(READ, [''], ['replicationcontrollers', 'services']),
      rule(READ, ['apps', 'extensions'], ['replicasets']),
      rule(READ, ['apps'], ['statefulsets']),
      rule(READ, ['policy'], ['poddisruptionbudgets']),
      rule(READ, [''], ['persistentvolumeclaims', 'persistentvolumes']),
      rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
      rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']),
      rule(READ, ['storage.k8s.io'], ['csinodes']),
      rule(READ, [''], ['namespaces']),
      rule(READ, ['storage.k8s.io'], ['csidrivers']),
      rule(READ, ['storage.k8s.io'], ['csistoragecapacities']),
    ],
  },
  {
    name: 'system:volume-scheduler',
    rules: [
      rule(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumes']),
      rule(READ, ['storage.k8s.io'], ['storageclasses']),
      rule(['get', 'list', 'patch', 'update', 'watch'], [''], ['persistentvolumeclaims']),
    ],
  },
];

/** Upstream's NodeRules: what any kubelet may do; the Node authorizer narrows objects to its own node. */
export const NODE_RULES: PolicyRule[] = [
  rule(['create'], ['authentication.k8s.io'], ['tokenreviews']),
  rule(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews', 'subjectaccessreviews']),
  rule(READ, [''], ['services']),
  rule(['create', 'get', 'list', 'watch'], [''], ['nodes']),
  rule(['patch', 'update'], [''], ['nodes/status']),
  rule(['patch', 'update'], [''], ['nodes']),
  rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
  rule(READ, [''], ['pods']),
  rule(['create', 'delete'], [''], ['pods']),
  rule(['patch', 'update'], [''], ['pods/status']),
  rule(['create'], [''], ['pods/eviction']),
  rule(['get', 'list', 'watch'], [''], ['configmaps', 'secrets']),
  rule(['get'], [''], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['get'], [''], ['endpoints']),
  rule(['create', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']),
  rule(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
  rule(['get'], ['storage.k8s.io'], ['volumeattachments']),
  rule(['create'], [''], ['serviceaccounts/token']),
  rule(['get', 'patch', 'update'], [''], ['persistentvolumeclaims/status']),
  rule(READ, ['storage.k8s.io'], ['csidrivers']),
  rule(['create', 'delete', 'get', 'patch', 'update'], ['storage.k8s.io'], ['csinodes']),
  rule(READ, ['node.k8s.io'], ['runtimeclasses']),
];
clusterRoleSpecs.find((s) => s.name === 'system:node')!.rules = NODE_RULES;

/** Upstream's per-controller roles (system:controller:<name>), bound to kube-system service accounts of that name. */
const EVENTS = rule(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']);
const controllerRoleSpecs: RoleSpec[] = [
  { name: 'attachdetach-controller', rules: [rule(['list', 'watch'], [''], ['persistentvolumeclaims', 'persistentvolumes']), rule(['get', 'list', 'watch'], [''], ['nodes']), rule(['patch', 'update'], [''], ['nodes/status']), rule(['list', 'watch'], [''], ['pods']), EVENTS, rule(['create', 'delete', 'get', 'list', 'watch'], ['storage.k8s.io'], ['volumeattachments'])] },
  { name: 'clusterrole-aggregation-controller', rules: [rule(['escalate', 'get', 'list', 'patch', 'update', 'watch'], ['rbac.authorization.k8s.io'], ['clusterroles'])] },
  { name: 'cronjob-controller', rules: [rule(['get', 'list', 'update', 'watch'], ['batch'], ['cronjobs']), rule(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']), rule(['update'], ['batch'], ['cronjobs/status']), rule(['update'], ['batch'], ['cronjobs/finalizers']), rule(['delete', 'list'], [''], ['pods']), EVENTS] },
  { name: 'daemon-set-controller', rules: [rule(['get', 'list', 'watch'], ['apps', 'extensions'], ['daemonsets']), rule(['update'], ['apps', 'extensions'], ['daemonsets/status']), rule(['update'], ['apps', 'extensions'], ['daemonsets/finalizers']), rule(['list', 'watch'], [''], ['nodes']), rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']), rule(['create'], [''], ['pods/binding']), rule(['create', 'delete', 'list', 'patch', 'update', 'watch'], ['apps'], ['controllerrevisions']), EVENTS] },
  { name: 'deployment-controller', rules: [rule(['get', 'list', 'update', 'watch'], ['apps', 'extensions'], ['deployments']), rule(['update'], ['apps', 'extensions'], ['deployments/status']), rule(['update'], ['apps', 'extensions'], ['deployments/finalizers']), rule(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], ['apps', 'extensions'], ['replicasets']), rule(['get', 'list', 'update', 'watch'], [''], ['pods']), EVENTS] },
  { name: 'disruption-controller', rules: [rule(READ, ['apps', 'extensions'], ['deployments']), rule(READ, ['apps', 'extensions'], ['replicasets']), rule(READ, [''], ['replicationcontrollers']), rule(READ, ['policy'], ['poddisruptionbudgets']), rule(READ, ['apps'], ['statefulsets']), rule(['update'], ['policy'], ['poddisruptionbudgets/status']), rule(['get'], ['*'], ['*/scale']), rule(['patch', 'update'], [''], ['pods/status']), EVENTS] },
  { name: 'endpoint-controller', rules: [rule(READ, [''], ['pods', 'services']), rule(['create', 'delete', 'get', 'list', 'update'], [''], ['endpoints']), rule(['create'], [''], ['endpoints/restricted']), EVENTS] },
  { name: 'endpointslice-controller', rules: [rule(READ, [''], ['nodes', 'pods', 'services']), rule(['update'], [''], ['services/finalizers']), rule(['create', 'delete', 'get', 'list', 'update'], ['discovery.k8s.io'], ['endpointslices']), EVENTS] },
  { name: 'endpointslicemirroring-controller', rules: [rule(READ, [''], ['endpoints', 'services']), rule(['update'], [''], ['services/finalizers']), rule(['update'], [''], ['endpoints/finalizers']), rule(['create', 'delete', 'get', 'list', 'update'], ['discovery.k8s.io'], ['endpointslices']), EVENTS] },
  { name: 'ephemeral-volume-controller', rules: [rule(['get', 'list', 'watch'], [''], ['pods']), rule(['update'], [''], ['pods/finalizers']), rule(['create', 'get', 'list', 'watch'], [''], ['persistentvolumeclaims']), EVENTS] },
  { name: 'expand-controller', rules: [rule(['get', 'list', 'watch'], [''], ['persistentvolumes']), rule(['patch', 'update'], [''], ['persistentvolumeclaims/status']), rule(['get', 'list', 'watch'], [''], ['persistentvolumeclaims']), rule(['get'], [''], ['endpoints', 'services']), rule(['get'], [''], ['secrets']), EVENTS] },
  { name: 'generic-garbage-collector', rules: [rule(['delete', 'get', 'list', 'patch', 'update', 'watch'], ['*'], ['*'])] },
  { name: 'horizontal-pod-autoscaler', rules: [rule(['get', 'list', 'watch'], ['autoscaling'], ['horizontalpodautoscalers']), rule(['update'], ['autoscaling'], ['horizontalpodautoscalers/status']), rule(['get', 'update'], ['*'], ['*/scale']), rule(['list'], [''], ['pods']), rule(['list'], ['metrics.k8s.io'], ['pods']), rule(['get', 'list'], ['custom.metrics.k8s.io'], ['*']), rule(['get', 'list'], ['external.metrics.k8s.io'], ['*']), EVENTS] },
  { name: 'job-controller', rules: [rule(['get', 'list', 'patch', 'update', 'watch'], ['batch'], ['jobs']), rule(['update'], ['batch'], ['jobs/status']), rule(['update'], ['batch'], ['jobs/finalizers']), rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']), EVENTS] },
  { name: 'namespace-controller', rules: [rule(['delete', 'get', 'list', 'watch'], [''], ['namespaces']), rule(['update'], [''], ['namespaces/finalize', 'namespaces/status']), rule(['delete', 'deletecollection', 'get', 'list'], ['*'], ['*'])] },
  { name: 'node-controller', rules: [rule(['delete', 'get', 'list', 'patch', 'update'], [''], ['nodes']), rule(['patch', 'update'], [''], ['nodes/status']), rule(['patch', 'update'], [''], ['pods/status']), rule(['delete', 'list'], [''], ['pods']), rule(['get'], [''], ['pods']), EVENTS] },
  { name: 'persistent-volume-binder', rules: [rule(['create', 'delete', 'get', 'list', 'update', 'watch'], [''], ['persistentvolumes']), rule(['update'], [''], ['persistentvolumes/status']), rule(['get', 'list', 'update', 'watch'], [''], ['persistentvolumeclaims']), rule(['update'], [''], ['persistentvolumeclaims/status']), rule(['create', 'delete', 'get', 'list', 'watch'], [''], ['pods']), rule(['get', 'list', 'watch'], ['storage.k8s.io'], ['storageclasses']), rule(['create', 'delete', 'get'], [''], ['endpoints', 'services']), rule(['get'], [''], ['secrets']), rule(['get', 'list'], [''], ['nodes']), rule(['watch'], [''], ['events']), EVENTS] },
  { name: 'pod-garbage-collector', rules: [rule(['delete', 'list', 'watch'], [''], ['pods']), rule(['get', 'list', 'watch'], [''], ['nodes']), rule(['patch'], [''], ['pods/status'])] },
  { name: 'replicaset-controller', rules: [rule(['get', 'list', 'update', 'watch'], ['apps', 'extensions'], ['replicasets']), rule(['update'], ['apps', 'extensions'], ['replicasets/status']), rule(['update'], ['apps', 'extensions'], ['replicasets/finalizers']), rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']), EVENTS] },
  { name: 'replication-controller', rules: [rule(['get', 'list', 'update', 'watch'], [''], ['replicationcontrollers']), rule(['update'], [''], ['replicationcontrollers/status']), rule(['update'], [''], ['replicationcontrollers/finalizers']), rule(['create', 'delete', 'list', 'patch', 'watch'], [''], ['pods']), EVENTS] },
  { name: 'resourcequota-controller', rules: [rule(['list', 'watch'], ['*'], ['*']), rule(['update'], [''], ['resourcequotas/status']), EVENTS] },
  { name: 'route-controller', rules: [rule(['list', 'watch'], [''], ['nodes']), rule(['patch'], [''], ['nodes/status']), EVENTS] },
  { name: 'service-account-controller', rules: [rule(['create'], [''], ['serviceaccounts']), EVENTS] },
  { name: 'service-controller', rules: [rule(READ, [''], ['services']), rule(['patch', 'update'], [''], ['services/status']), rule(['list', 'watch'], [''], ['nodes']), EVENTS] },
  { name: 'statefulset-controller', rules: [rule(['list', 'watch'], [''], ['pods']), rule(['get', 'list', 'watch'], ['apps'], ['statefulsets']), rule(['update'], ['apps'], ['statefulsets/status']), rule(['update'], ['apps'], ['statefulsets/finalizers']), rule(['create', 'delete', 'get', 'patch', 'update'], [''], ['pods']), rule(['create', 'delete', 'list', 'patch', 'update', 'watch'], ['apps'], ['controllerrevisions']), rule(['create', 'get'], [''], ['persistentvolumeclaims']), EVENTS] },
  { name: 'ttl-controller', rules: [rule(['list', 'patch', 'update', 'watch'], [''], ['nodes']), EVENTS] },
  { name: 'certificate-controller', rules: [rule(['delete', 'get', 'list', 'watch'], ['certificates.k8s.io'], ['certificatesigningrequests']), rule(['update'], ['certificates.k8s.io'], ['certificatesigningrequests/approval', 'certificatesigningrequests/status']), rule(['create'], ['authorization.k8s.io'], ['subjectaccessreviews']), EVENTS] },
  { name: 'pvc-protection-controller', rules: [rule(['get', 'list', 'update', 'watch'], [''], ['persistentvolumeclaims']), rule(['list', 'watch'], [''], ['pods']), EVENTS] },
  { name: 'pv-protection-controller', rules: [rule(['get', 'list', 'update', 'watch'], [''], ['persistentvolumes']), EVENTS] },
  { name: 'ttl-after-finished-controller', rules: [rule(['delete', 'get', 'list', 'watch'], ['batch'], ['jobs']), EVENTS] },
  { name: 'root-ca-cert-publisher', rules: [rule(['create', 'update'], [''], ['configmaps']), EVENTS] },
  { name: 'legacy-service-account-token-cleaner', rules: [rule(['delete', 'get', 'list', 'patch', 'update', 'watch'], [''], ['secrets']), rule(['get', 'list', 'patch', 'update', 'watch'], [''], ['serviceaccounts'])] },
];

/** The name prefix of per-controller roles and their kube-system service accounts' role bindings. */
export const CONTROLLER_ROLE_PREFIX = 'system:controller:';

function meta(name: string, labels?: Record<string, string>, namespace?: string): KubeObject['metadata'] {
  const m: KubeObject['metadata'] = { name, labels: { ...BOOTSTRAP_LABELS, ...labels }, annotations: { [AUTOUPDATE_ANNOTATION]: 'true' } };
  if (namespace) m.namespace = namespace;
  return m;
}

/** Every bootstrap ClusterRole, as it is created on a fresh cluster. */
export function bootstrapClusterRoles(): KubeObject[] {
  const out: KubeObject[] = clusterRoleSpecs.map((s) => {
    const role: KubeObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(s.name, s.labels), rules: s.rules };
    if (s.aggregateFrom) role.aggregationRule = { clusterRoleSelectors: [{ matchLabels: { [`${AGG}${s.aggregateFrom}`]: 'true' } }] };
    return role;
  });
  for (const c of controllerRoleSpecs) {
    out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta(CONTROLLER_ROLE_PREFIX + c.name), rules: c.rules });
  }
  // tskube's controller manager runs every controller under its own identity (no per-controller service-account
  // credentials), so it holds the union of the per-controller roles through this extra role.
  out.push({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: meta('system:tskube:controller-manager-controllers'),
    rules: controllerRoleSpecs.flatMap((c) => c.rules),
  });
  // tskube's scheduler also reads PriorityClasses (for preemption policy of classes); upstream's does not.
  out.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: meta('system:tskube:scheduler-extras'), rules: [rule(READ, ['scheduling.k8s.io'], ['priorityclasses'])] });
  return out;
}

type SubjectSpec = { kind: 'User' | 'Group'; name: string } | { kind: 'ServiceAccount'; name: string; namespace: string };

function subjects(list: SubjectSpec[]): Record<string, string>[] {
  // Two shapes: service accounts carry a namespace, users and groups the RBAC apiGroup.
  return list.map((s): Record<string, string> => (s.kind === 'ServiceAccount' ? { kind: s.kind, name: s.name, namespace: s.namespace } : { kind: s.kind, apiGroup: 'rbac.authorization.k8s.io', name: s.name }));
}

function clusterBinding(name: string, role: string, subs: SubjectSpec[]): KubeObject {
  const b: KubeObject = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: meta(name), roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role } };
  if (subs.length) b.subjects = subjects(subs);
  return b;
}

/** Every bootstrap ClusterRoleBinding. */
export function bootstrapClusterRoleBindings(): KubeObject[] {
  const user = (name: string): SubjectSpec => ({ kind: 'User', name });
  const group = (name: string): SubjectSpec => ({ kind: 'Group', name });
  return [
    clusterBinding('cluster-admin', 'cluster-admin', [group('system:masters')]),
    clusterBinding('system:monitoring', 'system:monitoring', [group('system:monitoring')]),
    clusterBinding('system:discovery', 'system:discovery', [group('system:authenticated')]),
    clusterBinding('system:basic-user', 'system:basic-user', [group('system:authenticated')]),
    clusterBinding('system:public-info-viewer', 'system:public-info-viewer', [group('system:authenticated'), group('system:unauthenticated')]),
    clusterBinding('system:node-proxier', 'system:node-proxier', [user('system:kube-proxy')]),
    clusterBinding('system:kube-controller-manager', 'system:kube-controller-manager', [user('system:kube-controller-manager')]),
    clusterBinding('system:kube-dns', 'system:kube-dns', [{ kind: 'ServiceAccount', name: 'kube-dns', namespace: 'kube-system' }]),
    clusterBinding('system:coredns', 'system:coredns', [{ kind: 'ServiceAccount', name: 'coredns', namespace: 'kube-system' }]), // as kubeadm's CoreDNS add-on
    // cluster DNS (issue 8): tskube's DNS reads only Services and EndpointSlices: upstream's system:kube-dns role.
    clusterBinding('system:tskube:kube-dns', 'system:kube-dns', [user('system:kube-dns')]),
    clusterBinding('system:kube-scheduler', 'system:kube-scheduler', [user('system:kube-scheduler')]),
    clusterBinding('system:volume-scheduler', 'system:volume-scheduler', [user('system:kube-scheduler')]),
    clusterBinding('system:node', 'system:node', []),
    clusterBinding('system:service-account-issuer-discovery', 'system:service-account-issuer-discovery', [group('system:serviceaccounts')]),
    ...controllerRoleSpecs.map((c) =>
      clusterBinding(CONTROLLER_ROLE_PREFIX + c.name, CONTROLLER_ROLE_PREFIX + c.name, [{ kind: 'ServiceAccount', name: c.name, namespace: 'kube-system' }]),
    ),
    clusterBinding('system:tskube:controller-manager-controllers', 'system:tskube:controller-manager-controllers', [user('system:kube-controller-manager')]),
    clusterBinding('system:tskube:scheduler-extras', 'system:tskube:scheduler-extras', [user('system:kube-scheduler')]),
  ];
}

/** Namespaced bootstrap roles and bindings (leader election in kube-system). */
export function bootstrapNamespacedPolicy(): { roles: KubeObject[]; bindings: KubeObject[] } {
  const ns = 'kube-system';
  const role = (name: string, rules: PolicyRule[]): KubeObject => ({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: meta(name, undefined, ns), rules });
  const binding = (name: string, roleName: string, subs: SubjectSpec[]): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(name, undefined, ns),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: roleName },
    subjects: subjects(subs),
  });
  return {
    roles: [
      role('extension-apiserver-authentication-reader', [rule(['get', 'list', 'watch'], [''], ['configmaps'], ['extension-apiserver-authentication'])]),
      role('system::leader-locking-kube-controller-manager', [rule(['watch'], [''], ['configmaps']), rule(['get', 'update'], [''], ['configmaps'], ['kube-controller-manager'])]),
      role('system::leader-locking-kube-scheduler', [rule(['watch'], [''], ['configmaps']), rule(['get', 'update'], [''], ['configmaps'], ['kube-scheduler'])]),
      // cluster DNS (issue 8): tskube's DNS keeps the kube-dns Service and its Endpoints/EndpointSlice pointing at itself.
      role('system:tskube:kube-dns-publisher', [
        // create cannot be limited by name (RBAC knows no name before the object exists); the rest is kube-dns only.
        rule(['create'], [''], ['services', 'endpoints']), rule(['create'], ['discovery.k8s.io'], ['endpointslices']),
        rule(['get', 'update'], [''], ['services', 'endpoints'], ['kube-dns']), rule(['get', 'update'], ['discovery.k8s.io'], ['endpointslices'], ['kube-dns']),
      ]),
    ],
    bindings: [
      binding('system::extension-apiserver-authentication-reader', 'extension-apiserver-authentication-reader', [{ kind: 'User', name: 'system:kube-controller-manager' }, { kind: 'User', name: 'system:kube-scheduler' }]),
      binding('system::leader-locking-kube-controller-manager', 'system::leader-locking-kube-controller-manager', [{ kind: 'User', name: 'system:kube-controller-manager' }, { kind: 'ServiceAccount', name: 'kube-controller-manager', namespace: ns }]),
      binding('system::leader-locking-kube-scheduler', 'system::leader-locking-kube-scheduler', [{ kind: 'User', name: 'system:kube-scheduler' }, { kind: 'ServiceAccount', name: 'kube-scheduler', namespace: ns }]),
      binding('system:tskube:kube-dns-publisher', 'system:tskube:kube-dns-publisher', [{ kind: 'User', name: 'system:kube-dns' }]), // cluster DNS (issue 8)
    ],
  };
}
