// core/v1 replicationcontrollers and podtemplates: map selectors, template rules, scale and printers.
import type { FieldError, KubeObject, ResourceDef } from './types.ts';
import { child, defaultValue, get, isEmpty, num, obj, strMap } from './object.ts';
import { containerColumns, formatLabels, stringColumn } from './columns.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta-validation.ts';
import { defaultPodTemplate } from './podspec-defaults.ts';
import { templateLabels, validatePodTemplateSpec } from './podspec-validation.ts';
import { mapSelectorMatches } from './selector.ts';
import { replicaColumns } from './apps.ts';
import { SELECTOR_MISMATCH, validateLongRunningTemplate } from './workloads.ts';
import { goStringMap, GoText, invalid, nonNegative, required } from './validation.ts';

const META = { namespaced: true, name: nameIsDNSSubdomain } as const;

// ---- replicationcontrollers ----

/** SetDefaults_ReplicationController: selector and labels from the template's labels, one replica. */
function defaultRC(rc: KubeObject): void {
  const spec = child(rc, 'spec');
  const template = obj(spec.template);
  if (template) defaultPodTemplate(template);
  const labels = templateLabels(template);
  if (labels) {
    if (isEmpty(spec.selector)) spec.selector = { ...labels };
    if (isEmpty(rc.metadata.labels)) rc.metadata.labels = { ...labels };
  }
  defaultValue(spec, 'replicas', 1);
}

function validateRCSpec(rc: Readonly<KubeObject>): FieldError[] {
  const spec = obj(rc.spec) ?? {};
  const errs = nonNegative('spec.minReadySeconds', spec.minReadySeconds);
  const selector = strMap(spec.selector) ?? {};
  const empty = Object.keys(selector).length === 0;
  if (empty) errs.push(required('spec.selector'));
  errs.push(...nonNegative('spec.replicas', spec.replicas));
  if (!obj(spec.template)) return [...errs, required('spec.template')];
  const labels = templateLabels(spec.template);
  if (!empty && !mapSelectorMatches(selector, labels)) {
    errs.push(invalid('spec.template.metadata.labels', new GoText(goStringMap(labels)), SELECTOR_MISMATCH));
  }
  errs.push(...validateLongRunningTemplate(spec, 'spec', 'ReplicationController', false));
  return errs;
}

export const replicationcontrollers: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
  singular: 'replicationcontroller',
  namespaced: true,
  shortNames: ['rc'],
  categories: ['all'],
  storageName: 'controllers',
  hasGeneration: true,
  subresources: { status: true, scale: { specReplicasPath: 'spec.replicas', statusReplicasPath: 'status.replicas' } },
  strategy: {
    prepareForCreate(rc) {
      defaultRC(rc);
      rc.status = { replicas: 0 };
    },
    prepareForUpdate: defaultRC,
    validate: (rc) => [...validateObjectMeta(rc.metadata, META), ...validateRCSpec(rc)],
    validateUpdate: (rc, old) => [...validateObjectMetaUpdate(rc.metadata, old.metadata), ...validateRCSpec(rc)],
  },
  fieldSelectors: { 'status.replicas': (o) => String(num(get(o, 'status.replicas')) ?? 0) },
  columns: replicaColumns('Selector is a label query over pods that should match the Replicas count.', (o) => formatLabels(get(o, 'spec.selector'))),
};

// ---- podtemplates ----

function defaultPodTemplateObject(pt: KubeObject): void {
  defaultPodTemplate(child(pt, 'template'));
}

function validatePodTemplateObject(pt: Readonly<KubeObject>): FieldError[] {
  return validatePodTemplateSpec(pt.template, 'template');
}

export const podtemplates: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PodTemplate',
  plural: 'podtemplates',
  singular: 'podtemplate',
  namespaced: true,
  returnDeletedObject: true,
  strategy: {
    prepareForCreate: defaultPodTemplateObject,
    prepareForUpdate: defaultPodTemplateObject,
    validate: (pt) => [...validateObjectMeta(pt.metadata, META), ...validatePodTemplateObject(pt)],
    validateUpdate: (pt, old) => [...validateObjectMetaUpdate(pt.metadata, old.metadata), ...validatePodTemplateObject(pt)],
  },
  columns: [
    ...containerColumns('template.spec').map((c) => ({ ...c, priority: 0 })),
    stringColumn('Pod Labels', 'The labels for the pod template.', 0, (o) => formatLabels(get(o, 'template.metadata.labels'))),
  ],
};

