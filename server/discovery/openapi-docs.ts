// Field descriptions client-node's generated models lack (ref-typed and int-or-string fields), in upstream's wording.

const CONVENTIONS = 'https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md';

/** client-node documents every IntOrString field with the IntOrString type's own text; that is no field doc. */
export const INT_OR_STRING_DOC =
  'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.';

/** `<definition>.<field>` → upstream's field description, for fields client-node leaves undocumented. */
const FIELD_DOCS: Readonly<Record<string, string>> = {
  'io.k8s.api.apps.v1.DeploymentSpec.selector':
    "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.",
  'io.k8s.api.apps.v1.DeploymentSpec.strategy': 'The deployment strategy to use to replace existing pods with new ones.',
  'io.k8s.api.apps.v1.DeploymentSpec.template':
    'Template describes the pods that will be created. The only allowed template.spec.restartPolicy value is "Always".',
  'io.k8s.api.apps.v1.DeploymentStrategy.rollingUpdate':
    'Rolling update config params. Present only if DeploymentStrategyType = RollingUpdate.',
  'io.k8s.api.apps.v1.RollingUpdateDeployment.maxSurge':
    'The maximum number of pods that can be scheduled above the desired number of pods. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). This can not be 0 if MaxUnavailable is 0. Absolute number is calculated from percentage by rounding up. Defaults to 25%. Example: when this is set to 30%, the new ReplicaSet can be scaled up immediately when the rolling update starts, such that the total number of old and new pods do not exceed 130% of desired pods. Once old pods have been killed, new ReplicaSet can be scaled up further, ensuring that total number of pods running at any time during the update is at most 130% of desired pods.',
  'io.k8s.api.apps.v1.RollingUpdateDeployment.maxUnavailable':
    'The maximum number of pods that can be unavailable during the update. Value can be an absolute number (ex: 5) or a percentage of desired pods (ex: 10%). Absolute number is calculated from percentage by rounding down. This can not be 0 if MaxSurge is 0. Defaults to 25%. Example: when this is set to 30%, the old ReplicaSet can be scaled down to 70% of desired pods immediately when the rolling update starts. Once new pods are ready, old ReplicaSet can be scaled down further, followed by scaling up the new ReplicaSet, ensuring that the total number of pods available at all times during the update is at least 70% of desired pods.',
  'io.k8s.api.apps.v1.ReplicaSetSpec.selector':
    "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
  'io.k8s.api.apps.v1.ReplicaSetSpec.template':
    "Template is the object that describes the pod that will be created if insufficient replicas are detected. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#pod-template",
  'io.k8s.api.core.v1.PodTemplateSpec.spec': `Specification of the desired behavior of the pod. More info: ${CONVENTIONS}#spec-and-status`,
  'io.k8s.api.core.v1.PodTemplateSpec.metadata': `Standard object's metadata. More info: ${CONVENTIONS}#metadata`,
  'io.k8s.api.core.v1.Pod.spec': `Specification of the desired behavior of the pod. More info: ${CONVENTIONS}#spec-and-status`,
  'io.k8s.api.core.v1.Pod.status': `Most recently observed status of the pod. This data may not be up to date. Populated by the system. Read-only. More info: ${CONVENTIONS}#spec-and-status`,
  'io.k8s.api.core.v1.Service.spec': `Spec defines the behavior of a service. ${CONVENTIONS}#spec-and-status`,
  'io.k8s.api.core.v1.Service.status': `Most recently observed status of the service. Populated by the system. Read-only. More info: ${CONVENTIONS}#spec-and-status`,
  'io.k8s.api.core.v1.ServicePort.targetPort':
    "Number or name of the port to access on the pods targeted by the service. Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME. If this is a string, it will be looked up as a named port in the target Pod's container ports. If this is not specified, the value of the 'port' field is used (an identity map). This field is ignored for services with clusterIP=None, and should be omitted or set equal to the 'port' field. More info: https://kubernetes.io/docs/concepts/services-networking/service/#defining-a-service",
  'io.k8s.api.core.v1.HTTPGetAction.port':
    'Name or number of the port to access on the container. Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME.',
  'io.k8s.api.core.v1.TCPSocketAction.port':
    'Number or name of the port to access on the container. Number must be in the range 1 to 65535. Name must be an IANA_SVC_NAME.',
  'io.k8s.api.core.v1.Container.resources': `Compute Resources required by this container. Cannot be updated. More info: https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/`,
};

/**
 * The description to publish for a field client-node left undocumented: the table above, else upstream's
 * convention for a top-level kind's `spec` and `status`; undefined otherwise (kubectl explain then shows the
 * referenced type's own description).
 */
export function missingFieldDoc(definition: string, field: string, topLevelKind: boolean): string | undefined {
  const doc = FIELD_DOCS[`${definition}.${field}`];
  if (doc !== undefined || !topLevelKind) return doc;
  const kind = definition.slice(definition.lastIndexOf('.') + 1);
  if (field === 'spec') return `Specification of the desired behavior of the ${kind}. More info: ${CONVENTIONS}#spec-and-status`;
  if (field === 'status') return `Most recently observed status of the ${kind}. Populated by the system. Read-only. More info: ${CONVENTIONS}#spec-and-status`;
  return undefined;
}
