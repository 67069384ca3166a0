// storage.k8s.io/v1 storageclasses: the classes PersistentVolumeClaims name (the binder reads volumeBindingMode).
import type { FieldError, KubeObject, ResourceDef } from './types.ts';
import { defaultString, jsonEqual, str } from './object.ts';
import { ageColumn, NAME_DESCRIPTION, stringColumn } from './columns.ts';
import { metaOnlyUpdate, nameIsDNSSubdomain, validateObjectMeta } from './meta-validation.ts';
import { forbidden, invalid, notSupported, required } from './validation.ts';
import { isQualifiedName } from '../selectors/validation.ts';

const RECLAIM_POLICIES = ['Delete', 'Retain'];
const BINDING_MODES = ['Immediate', 'WaitForFirstConsumer'];
/** The annotation that makes a class the cluster's default (printed as "<name> (default)"). */
export const DEFAULT_CLASS_ANNOTATION = 'storageclass.kubernetes.io/is-default-class';

function validateStorageClass(sc: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(sc.metadata, { namespaced: false, name: nameIsDNSSubdomain });
  const provisioner = str(sc.provisioner);
  if (!provisioner) errs.push(required('provisioner', ''));
  else for (const msg of isQualifiedName(provisioner.toLowerCase())) errs.push(invalid('provisioner', provisioner, msg));
  if (!RECLAIM_POLICIES.includes(str(sc.reclaimPolicy))) errs.push(notSupported('reclaimPolicy', sc.reclaimPolicy ?? '', RECLAIM_POLICIES));
  if (sc.volumeBindingMode === undefined || sc.volumeBindingMode === null) errs.push(required('volumeBindingMode', ''));
  else if (!BINDING_MODES.includes(str(sc.volumeBindingMode))) errs.push(notSupported('volumeBindingMode', sc.volumeBindingMode, BINDING_MODES));
  return errs;
}

function defaults(sc: KubeObject): void {
  defaultString(sc, 'reclaimPolicy', 'Delete');
  defaultString(sc, 'volumeBindingMode', 'Immediate');
}

const isDefaultClass = (o: KubeObject): boolean => o.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] === 'true' || o.metadata.annotations?.['storageclass.beta.kubernetes.io/is-default-class'] === 'true';

export const storageclasses: ResourceDef = {
  group: 'storage.k8s.io',
  version: 'v1',
  kind: 'StorageClass',
  plural: 'storageclasses',
  singular: 'storageclass',
  namespaced: false,
  shortNames: ['sc'],
  strategy: {
    prepareForCreate: defaults,
    prepareForUpdate: defaults,
    validate: validateStorageClass,
    validateUpdate(sc, old) {
      const errs = [...metaOnlyUpdate()(sc, old), ...validateStorageClass(sc).filter((e) => !e.field.startsWith('metadata.'))];
      if (!jsonEqual(sc.parameters ?? {}, old.parameters ?? {})) errs.push(forbidden('parameters', 'updates to parameters are forbidden.'));
      if (sc.provisioner !== old.provisioner) errs.push(forbidden('provisioner', 'updates to provisioner are forbidden.'));
      if (sc.reclaimPolicy !== old.reclaimPolicy) errs.push(forbidden('reclaimPolicy', 'updates to reclaimPolicy are forbidden.'));
      if (sc.volumeBindingMode !== old.volumeBindingMode) errs.push(invalid('volumeBindingMode', sc.volumeBindingMode ?? null, 'field is immutable'));
      return errs;
    },
  },
  columns: [
    { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0, cell: (o) => `${o.metadata.name ?? ''}${isDefaultClass(o) ? ' (default)' : ''}` },
    stringColumn('Provisioner', 'provisioner indicates the type of the provisioner.', 0, (o) => str(o.provisioner)),
    stringColumn('ReclaimPolicy', 'reclaimPolicy controls the reclaimPolicy for dynamically provisioned PersistentVolumes of this storage class. Defaults to Delete.', 0, (o) => str(o.reclaimPolicy)),
    stringColumn('VolumeBindingMode', 'volumeBindingMode indicates how PersistentVolumeClaims should be provisioned and bound.  When unset, VolumeBindingImmediate is used. This field is only honored by servers that enable the VolumeScheduling feature.', 0, (o) => str(o.volumeBindingMode)),
    { name: 'AllowVolumeExpansion', type: 'string', description: 'allowVolumeExpansion shows whether the storage class allow volume expand.', priority: 0, cell: (o) => String(o.allowVolumeExpansion === true) },
    ageColumn,
  ],
};
