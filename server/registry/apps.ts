// apps/v1: deployments, replicasets, statefulsets, daemonsets, controllerrevisions, as upstream declares and checks them.
import type { Column, FieldError, KubeObject, ResourceDef, Strategy } from './types.ts';
import { child, defaultString, defaultValue, get, isObj, jsonEqual, num, obj, records, str } from './object.ts';
import { ageColumn, containerColumns, integerColumn, stringColumn } from './columns.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta-validation.ts';
import { defaultPodTemplate } from './podspec-defaults.ts';
import { formatLabelSelector, selectorString } from './selector.ts';
import { immutableSelector, templateWideColumns, validateLongRunningTemplate, validateSelectorAndTemplate } from './workloads.ts';
import { defaultPVCTemplate } from './volumes.ts';
import {
  forbidden,
  fp,
  GoText,
  goQuote,
  intOrString,
  invalid,
  NEGATIVE,
  nonNegative,
  notMoreThan100Percent,
  notSupported,
  positiveIntOrPercent,
  required,
} from './validation.ts';

const META = { namespaced: true, name: nameIsDNSSubdomain } as const;
const SCALE = { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas', labelSelectorPath: 'spec.selector' } as const;

/** The int value of an IntOrString for the `both zero` checks (percentages by their number). */
function intOrPercentValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^[0-9]+%$/.test(v)) return Number(v.slice(0, -1));
  return -1;
}

// ---- deployments ----

function defaultDeployment(d: KubeObject): void {
  const spec = child(d, 'spec');
  defaultValue(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  defaultString(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const ru = child(strategy, 'rollingUpdate');
    defaultValue(ru, 'maxUnavailable', '25%');
    defaultValue(ru, 'maxSurge', '25%');
  }
  defaultValue(spec, 'revisionHistoryLimit', 10);
  defaultValue(spec, 'progressDeadlineSeconds', 600);
  defaultPodTemplate(child(spec, 'template'));
}

function validateDeploymentStrategy(strategy: unknown, field: string): FieldError[] {
  const s = obj(strategy) ?? {};
  const type = str(s.type);
  if (type === 'Recreate') {
    return s.rollingUpdate !== undefined && s.rollingUpdate !== null ? [forbidden(fp(field, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
  }
  if (type !== 'RollingUpdate') return [notSupported(field, new GoText(`apps.DeploymentStrategy{Type:${goQuote(type)}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}`), ['Recreate', 'RollingUpdate'])];
  const ru = obj(s.rollingUpdate);
  if (!ru) return [required(fp(field, 'rollingUpdate'), 'this should be defaulted and never be nil')];
  const path = fp(field, 'rollingUpdate');
  const errs = [...positiveIntOrPercent(fp(path, 'maxUnavailable'), ru.maxUnavailable), ...positiveIntOrPercent(fp(path, 'maxSurge'), ru.maxSurge)];
  if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
    errs.push(invalid(fp(path, 'maxUnavailable'), intOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
  }
  errs.push(...notMoreThan100Percent(fp(path, 'maxUnavailable'), ru.maxUnavailable));
  return errs;
}

function validateDeploymentSpec(d: Readonly<KubeObject>): FieldError[] {
  const spec = obj(d.spec) ?? {};
  const errs = nonNegative('spec.replicas', spec.replicas);
  errs.push(...validateSelectorAndTemplate(spec, 'spec', { kindWord: 'deployment', requireSelector: true }));
  errs.push(...validateLongRunningTemplate(spec, 'spec', 'ReplicaSet', true));
  errs.push(...validateDeploymentStrategy(spec.strategy, 'spec.strategy'));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  const pds = num(spec.progressDeadlineSeconds);
  if (pds !== undefined) {
    errs.push(...nonNegative('spec.progressDeadlineSeconds', pds));
    if (pds <= (num(spec.minReadySeconds) ?? 0)) errs.push(invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

const deploymentStrategy: Strategy = {
  prepareForCreate(d) {
    defaultDeployment(d);
    d.status = {};
  },
  prepareForUpdate: defaultDeployment,
  validate: (d) => [...validateObjectMeta(d.metadata, META), ...validateDeploymentSpec(d)],
  validateUpdate: (d, old) => [...validateObjectMetaUpdate(d.metadata, old.metadata), ...validateDeploymentSpec(d), ...immutableSelector(d, old)],
};

const DEPLOYMENT_COLUMNS: readonly Column[] = [
  stringColumn('Ready', 'Number of the pod with ready state', 0, (o) => `${num(get(o, 'status.readyReplicas')) ?? 0}/${num(get(o, 'spec.replicas')) ?? 0}`),
  integerColumn('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', 0, (o) => num(get(o, 'status.updatedReplicas')), 'string'),
  integerColumn('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', 0, (o) => num(get(o, 'status.availableReplicas')), 'string'),
  ageColumn,
  ...containerColumns('spec.template.spec'),
  stringColumn('Selector', "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment. It must match the pod template's labels.", 1, (o) => selectorString(get(o, 'spec.selector'))),
];

export const deployments: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  hasGeneration: true,
  subresources: { status: true, scale: SCALE },
  strategy: deploymentStrategy,
  columns: DEPLOYMENT_COLUMNS,
};

// ---- replicasets ----

function defaultReplicaSet(rs: KubeObject): void {
  const spec = child(rs, 'spec');
  defaultValue(spec, 'replicas', 1);
  defaultPodTemplate(child(spec, 'template'));
}

function validateReplicaSetSpec(rs: Readonly<KubeObject>): FieldError[] {
  const spec = obj(rs.spec) ?? {};
  const errs = [...nonNegative('spec.replicas', spec.replicas), ...nonNegative('spec.minReadySeconds', spec.minReadySeconds)];
  errs.push(...validateSelectorAndTemplate(spec, 'spec', { kindWord: 'deployment', requireSelector: true }));
  errs.push(...validateLongRunningTemplate(spec, 'spec', 'ReplicaSet', true));
  return errs;
}

const replicaSetStrategy: Strategy = {
  prepareForCreate(rs) {
    defaultReplicaSet(rs);
    rs.status = { replicas: 0 };
  },
  prepareForUpdate: defaultReplicaSet,
  validate: (rs) => [...validateObjectMeta(rs.metadata, META), ...validateReplicaSetSpec(rs)],
  validateUpdate: (rs, old) => [...validateObjectMetaUpdate(rs.metadata, old.metadata), ...validateReplicaSetSpec(rs), ...immutableSelector(rs, old)],
};

/** DESIRED CURRENT READY AGE | CONTAINERS IMAGES SELECTOR (replica sets and replication controllers). */
export function replicaColumns(selectorDescription: string, selectorCell: (o: KubeObject) => string): Column[] {
  return [
    integerColumn('Desired', 'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1.', 0, (o) => num(get(o, 'spec.replicas'))),
    integerColumn('Current', 'Replicas is the most recently observed number of replicas.', 0, (o) => num(get(o, 'status.replicas'))),
    integerColumn('Ready', 'readyReplicas is the number of pods targeted by this ReplicaSet with a Ready Condition.', 0, (o) => num(get(o, 'status.readyReplicas'))),
    ageColumn,
    ...containerColumns('spec.template.spec'),
    stringColumn('Selector', selectorDescription, 1, selectorCell),
  ];
}

export const replicasets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  hasGeneration: true,
  subresources: { status: true, scale: SCALE },
  strategy: replicaSetStrategy,
  fieldSelectors: { 'status.replicas': (o) => String(num(get(o, 'status.replicas')) ?? 0) },
  columns: replicaColumns(
    "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels.",
    (o) => formatLabelSelector(get(o, 'spec.selector')),
  ),
};

// ---- statefulsets ----

function defaultStatefulSet(sts: KubeObject): void {
  const spec = child(sts, 'spec');
  defaultString(spec, 'podManagementPolicy', 'OrderedReady');
  const us = child(spec, 'updateStrategy');
  if (!str(us.type)) {
    us.type = 'RollingUpdate';
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
  }
  if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate)) defaultValue(us.rollingUpdate, 'partition', 0);
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  defaultString(retention, 'whenDeleted', 'Retain');
  defaultString(retention, 'whenScaled', 'Retain');
  defaultValue(spec, 'replicas', 1);
  defaultValue(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(child(spec, 'template'));
  for (const pvc of records(spec.volumeClaimTemplates)) defaultPVCTemplate(pvc);
}

function validateStatefulSetSpec(sts: Readonly<KubeObject>): FieldError[] {
  const spec = obj(sts.spec) ?? {};
  const errs: FieldError[] = [];
  const pmp = str(spec.podManagementPolicy);
  if (!pmp) errs.push(required('spec.podManagementPolicy'));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = obj(spec.updateStrategy) ?? {};
  const type = str(us.type);
  if (!type) errs.push(required('spec.updateStrategy'));
  else if (type === 'OnDelete') {
    if (us.rollingUpdate !== undefined && us.rollingUpdate !== null) errs.push(invalid('spec.updateStrategy.rollingUpdate', us.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (type === 'RollingUpdate') {
    const partition = get(us, 'rollingUpdate.partition');
    errs.push(...nonNegative('spec.updateStrategy.rollingUpdate.partition', partition));
  } else {
    errs.push(invalid('spec.updateStrategy', us, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  for (const k of ['whenDeleted', 'whenScaled'] as const) {
    const v = str(get(spec, `persistentVolumeClaimRetentionPolicy.${k}`));
    if (v !== 'Retain' && v !== 'Delete') errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, ['Retain', 'Delete']));
  }
  errs.push(...nonNegative('spec.replicas', spec.replicas), ...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  errs.push(...validateSelectorAndTemplate(spec, 'spec', { kindWord: 'statefulset', requireSelector: true }));
  errs.push(...validateLongRunningTemplate(spec, 'spec', 'StatefulSet', false));
  return errs;
}

const STS_UPDATABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function validateStatefulSetUpdate(sts: Readonly<KubeObject>, old: Readonly<KubeObject>): FieldError[] {
  const errs = [...validateObjectMetaUpdate(sts.metadata, old.metadata), ...validateStatefulSetSpec(sts)];
  const next = { ...(obj(sts.spec) ?? {}) };
  const prev = { ...(obj(old.spec) ?? {}) };
  for (const k of STS_UPDATABLE) {
    delete next[k];
    delete prev[k];
  }
  if (!jsonEqual(next, prev)) {
    errs.push(forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  }
  return errs;
}

export const statefulsets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  singular: 'statefulset',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  hasGeneration: true,
  subresources: { status: true, scale: SCALE },
  strategy: {
    prepareForCreate(sts) {
      defaultStatefulSet(sts);
      sts.status = { replicas: 0, availableReplicas: 0 };
    },
    prepareForUpdate: defaultStatefulSet,
    validate: (sts) => [...validateObjectMeta(sts.metadata, META), ...validateStatefulSetSpec(sts)],
    validateUpdate: validateStatefulSetUpdate,
  },
  columns: [
    stringColumn('Ready', 'Number of the pod with ready state', 0, (o) => `${num(get(o, 'status.readyReplicas')) ?? 0}/${num(get(o, 'spec.replicas')) ?? 0}`),
    ageColumn,
    ...containerColumns('spec.template.spec'),
  ],
};

// ---- daemonsets ----

const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

function defaultDaemonSet(ds: KubeObject): void {
  const spec = child(ds, 'spec');
  const us = child(spec, 'updateStrategy');
  defaultString(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = child(us, 'rollingUpdate');
    defaultValue(ru, 'maxUnavailable', 1);
    defaultValue(ru, 'maxSurge', 0);
  }
  defaultValue(spec, 'revisionHistoryLimit', 10);
  defaultPodTemplate(child(spec, 'template'));
}

function validateDaemonSetSpec(ds: Readonly<KubeObject>): FieldError[] {
  const spec = obj(ds.spec) ?? {};
  const errs = validateSelectorAndTemplate(spec, 'spec', { kindWord: 'daemonset', requireSelector: false });
  errs.push(...validateLongRunningTemplate(spec, 'spec', 'DaemonSet', true));
  errs.push(...nonNegative('spec.minReadySeconds', spec.minReadySeconds));
  const us = obj(spec.updateStrategy) ?? {};
  const type = str(us.type);
  if (type === 'RollingUpdate') {
    const ru = obj(us.rollingUpdate);
    if (!ru) errs.push(required('spec.updateStrategy.rollingUpdate'));
    else {
      const path = 'spec.updateStrategy.rollingUpdate';
      errs.push(...positiveIntOrPercent(`${path}.maxUnavailable`, ru.maxUnavailable), ...positiveIntOrPercent(`${path}.maxSurge`, ru.maxSurge));
      errs.push(...notMoreThan100Percent(`${path}.maxUnavailable`, ru.maxUnavailable), ...notMoreThan100Percent(`${path}.maxSurge`, ru.maxSurge));
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable ?? 0) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge ?? 0) !== 0;
      if (hasUnavailable && hasSurge) errs.push(invalid(`${path}.maxSurge`, intOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(required(`${path}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
    }
  } else if (type !== 'OnDelete') {
    errs.push(notSupported('spec.updateStrategy', new GoText(`apps.DaemonSetUpdateStrategy{Type:${goQuote(type)}, RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}`), ['RollingUpdate', 'OnDelete']));
  }
  errs.push(...nonNegative('spec.revisionHistoryLimit', spec.revisionHistoryLimit));
  return errs;
}

export const daemonsets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  singular: 'daemonset',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  hasGeneration: true,
  subresources: { status: true },
  strategy: {
    prepareForCreate(ds) {
      defaultDaemonSet(ds);
      child(ds.metadata, 'annotations')[TEMPLATE_GENERATION] = '1';
      ds.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    },
    prepareForUpdate(ds, old) {
      defaultDaemonSet(ds);
      // The template generation is the server's: kept, and bumped when the template changes.
      const prev = Number(old.metadata.annotations?.[TEMPLATE_GENERATION] ?? '1') || 1;
      const changed = !jsonEqual(get(ds, 'spec.template'), get(old, 'spec.template'));
      child(ds.metadata, 'annotations')[TEMPLATE_GENERATION] = String(changed ? prev + 1 : prev);
    },
    validate: (ds) => [...validateObjectMeta(ds.metadata, META), ...validateDaemonSetSpec(ds)],
    validateUpdate: (ds, old) => [...validateObjectMetaUpdate(ds.metadata, old.metadata), ...validateDaemonSetSpec(ds), ...immutableSelector(ds, old)],
  },
  columns: [
    integerColumn('Desired', 'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).', 0, (o) => num(get(o, 'status.desiredNumberScheduled'))),
    integerColumn('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', 0, (o) => num(get(o, 'status.currentNumberScheduled'))),
    integerColumn('Ready', 'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.', 0, (o) => num(get(o, 'status.numberReady'))),
    integerColumn('Up-to-date', 'The total number of nodes that are running updated daemon pod', 0, (o) => num(get(o, 'status.updatedNumberScheduled'))),
    integerColumn('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)', 0, (o) => num(get(o, 'status.numberAvailable'))),
    stringColumn('Node Selector', "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node.", 0, (o) => formatNodeSelector(get(o, 'spec.template.spec.nodeSelector'))),
    ageColumn,
    ...templateWideColumns("A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels."),
  ],
};

function formatNodeSelector(sel: unknown): string {
  if (!isObj(sel) || Object.keys(sel).length === 0) return '<none>';
  return Object.keys(sel)
    .sort()
    .map((k) => `${k}=${String(sel[k])}`)
    .join(',');
}

// ---- controllerrevisions ----

function validateControllerRevision(cr: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(cr.metadata, META);
  if (cr.data === undefined || cr.data === null) errs.push(required('data', 'data is mandatory'));
  const rev = cr.revision;
  if (typeof rev === 'number' && rev < 0) errs.push(invalid('revision', rev, NEGATIVE));
  return errs;
}

/** The owner that controls the object as `kind.group/name` (formatResourceName with the kind). */
export function controllerOf(o: KubeObject): string {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const group = ref.apiVersion.includes('/') ? ref.apiVersion.slice(0, ref.apiVersion.indexOf('/')) : '';
  const gk = group ? `${ref.kind}.${group}` : ref.kind;
  return gk ? `${gk.toLowerCase()}/${ref.name}` : ref.name;
}

export const controllerrevisions: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  plural: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  strategy: {
    validate: validateControllerRevision,
    validateUpdate: (cr, old) => {
      const errs = [...validateObjectMetaUpdate(cr.metadata, old.metadata), ...validateControllerRevision(cr)];
      if (!jsonEqual(cr.data, old.data)) errs.push(invalid('data', cr.data ?? null, 'field is immutable'));
      return errs;
    },
  },
  columns: [
    stringColumn('Controller', 'Controller of the object', 0, controllerOf),
    { name: 'Revision', type: 'string', description: 'Revision indicates the revision of the state represented by Data.', priority: 0, cell: (o) => num(o.revision) ?? 0 },
    ageColumn,
  ],
};

export const appsResources: readonly ResourceDef[] = [deployments, replicasets, statefulsets, daemonsets, controllerrevisions];
