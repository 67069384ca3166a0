// core/v1 persistentvolumes and persistentvolumeclaims: defaults, initial status, validation and printers.
import type { Column, FieldError, KubeObject, ResourceDef } from './types.ts';
import { arr, child, defaultString, get, isObj, jsonEqual, obj, str, type Obj } from './object.ts';
import { ageColumn, stringColumn } from './columns.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta-validation.ts';
import { canonicalizeResourceList, parseQuantity } from './quantity.ts';
import { forbidden, fp, key, notSupported, required } from './validation.ts';

const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];
const VOLUME_MODES = ['Block', 'Filesystem'];
const PV_SOURCES = [
  'gcePersistentDisk', 'awsElasticBlockStore', 'hostPath', 'glusterfs', 'nfs', 'rbd', 'iscsi', 'cinder', 'cephfs', 'fc', 'flocker',
  'flexVolume', 'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'local',
  'storageos', 'csi',
];

function nowRFC3339(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** helper.GetAccessModesAsString: RWO, ROX, RWX, RWOP in that order, duplicates removed. */
export function accessModesString(modes: unknown): string {
  const m = new Set(arr(modes).map(String));
  const out: string[] = [];
  if (m.has('ReadWriteOnce')) out.push('RWO');
  if (m.has('ReadOnlyMany')) out.push('ROX');
  if (m.has('ReadWriteMany')) out.push('RWX');
  if (m.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** The storage class: the beta annotation wins over spec.storageClassName, as upstream's helpers. */
function storageClassOf(o: KubeObject): string {
  return o.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? str(get(o, 'spec.storageClassName'));
}

function validateAccessModes(modes: unknown, field: string, requiredDetail: string): FieldError[] {
  const list = arr(modes);
  if (list.length === 0) return [required(field, requiredDetail)];
  return list.filter((m) => !ACCESS_MODES.includes(String(m))).map((m) => notSupported(field, m, ACCESS_MODES));
}

function validateVolumeMode(spec: Obj, field: string): FieldError[] {
  const mode = spec.volumeMode;
  return mode !== undefined && mode !== null && !VOLUME_MODES.includes(String(mode)) ? [notSupported(field, mode, VOLUME_MODES)] : [];
}

// ---- persistentvolumes ----

function defaultPV(pv: KubeObject): void {
  const spec = child(pv, 'spec');
  defaultString(spec, 'persistentVolumeReclaimPolicy', 'Retain');
  defaultString(spec, 'volumeMode', 'Filesystem');
  canonicalizeResourceList(spec.capacity);
}

function validatePV(pv: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(pv.metadata, { namespaced: false, name: nameIsDNSSubdomain });
  const spec = obj(pv.spec) ?? {};
  errs.push(...validateAccessModes(spec.accessModes, 'spec.accessModes', ''));
  const capacity = obj(spec.capacity);
  if (!capacity || Object.keys(capacity).length === 0) errs.push(required('spec.capacity'));
  else if (!('storage' in capacity) || Object.keys(capacity).length > 1) errs.push(notSupported('spec.capacity', capacity, ['storage']));
  const sources = PV_SOURCES.filter((s) => spec[s] !== undefined && spec[s] !== null);
  if (sources.length === 0) errs.push(required('spec', 'must specify a volume type'));
  for (const extra of sources.slice(1)) errs.push(forbidden(fp('spec', extra), 'may not specify more than 1 volume type'));
  const policy = str(spec.persistentVolumeReclaimPolicy);
  if (policy && !RECLAIM_POLICIES.includes(policy)) errs.push(notSupported('spec.persistentVolumeReclaimPolicy', policy, RECLAIM_POLICIES));
  errs.push(...validateVolumeMode(spec, 'spec.volumeMode'));
  return errs;
}

function pvSource(pv: Readonly<KubeObject>): Obj {
  const spec = obj(pv.spec) ?? {};
  const out: Obj = {};
  for (const s of PV_SOURCES) if (spec[s] !== undefined) out[s] = spec[s];
  return out;
}

const PV_COLUMNS: readonly Column[] = [
  stringColumn('Capacity', "capacity is the description of the persistent volume's resources and capacity.", 0, (o) => String(get(o, 'spec.capacity.storage') ?? '0')),
  stringColumn('Access Modes', 'accessModes contains all ways the volume can be mounted.', 0, (o) => accessModesString(get(o, 'spec.accessModes'))),
  stringColumn('Reclaim Policy', 'persistentVolumeReclaimPolicy defines what happens to a persistent volume when released from its claim.', 0, (o) => str(get(o, 'spec.persistentVolumeReclaimPolicy'))),
  stringColumn('Status', 'phase indicates if a volume is available, bound to a claim, or released by a claim.', 0, (o) => (o.metadata.deletionTimestamp ? 'Terminating' : str(get(o, 'status.phase')))),
  stringColumn('Claim', 'claimRef is part of a bi-directional binding between PersistentVolume and PersistentVolumeClaim.', 0, (o) => {
    const ref = obj(get(o, 'spec.claimRef'));
    return ref ? `${str(ref.namespace)}/${str(ref.name)}` : '';
  }),
  stringColumn('StorageClass', 'StorageClass of the pv', 0, storageClassOf),
  stringColumn('VolumeAttributesClass', 'VolumeAttributesClass of the pv', 0, (o) => str(get(o, 'spec.volumeAttributesClassName')) || '<unset>'),
  stringColumn('Reason', 'reason is a brief CamelCase string that describes any failure and is meant for machine parsing and tidy display in the CLI.', 0, (o) => str(get(o, 'status.reason'))),
  ageColumn,
  stringColumn('VolumeMode', 'volumeMode defines if a volume is intended to be used with a formatted filesystem or to remain in raw block state.', 1, (o) => str(get(o, 'spec.volumeMode')) || '<unset>'),
];

/** The finalizers that keep a claim in use by a pod, or a bound volume, from going (StorageObjectInUseProtection). */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

export const persistentvolumes: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolume',
  plural: 'persistentvolumes',
  singular: 'persistentvolume',
  namespaced: false,
  shortNames: ['pv'],
  returnDeletedObject: true,
  subresources: { status: true },
  strategy: {
    prepareForCreate(pv) {
      defaultPV(pv);
      pv.status = { phase: 'Pending', lastPhaseTransitionTime: nowRFC3339() };
    },
    prepareForUpdate: defaultPV,
    validate: validatePV,
    validateUpdate(pv, old) {
      const errs = [...validateObjectMetaUpdate(pv.metadata, old.metadata), ...validatePV(pv)];
      if (!jsonEqual(pvSource(pv), pvSource(old))) errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
      return errs;
    },
  },
  columns: PV_COLUMNS,
};

// ---- persistentvolumeclaims ----

function defaultPVCSpec(spec: Obj): void {
  defaultString(spec, 'volumeMode', 'Filesystem');
  canonicalizeResourceList(get(spec, 'resources.requests'));
  canonicalizeResourceList(get(spec, 'resources.limits'));
}

function defaultPVC(pvc: KubeObject): void {
  defaultPVCSpec(child(pvc, 'spec'));
  canonicalizeResourceList(get(pvc, 'status.capacity'));
}

/** A StatefulSet volumeClaimTemplate as upstream serializes it (apiVersion/kind set, status Pending). */
export function defaultPVCTemplate(pvc: Obj): void {
  pvc.apiVersion = 'v1';
  pvc.kind = 'PersistentVolumeClaim';
  const meta = child(pvc, 'metadata');
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  defaultPVCSpec(child(pvc, 'spec'));
  const status = child(pvc, 'status');
  defaultString(status, 'phase', 'Pending');
}

function validatePVCSpec(spec: Obj): FieldError[] {
  const errs = validateAccessModes(spec.accessModes, 'spec.accessModes', 'at least 1 access mode is required');
  if (get(spec, 'resources.requests.storage') === undefined) errs.push(required(key('spec.resources', 'storage')));
  errs.push(...validateVolumeMode(spec, 'spec.volumeMode'));
  return errs;
}

function validatePVCUpdate(pvc: Readonly<KubeObject>, old: Readonly<KubeObject>): FieldError[] {
  const errs = [...validateObjectMetaUpdate(pvc.metadata, old.metadata), ...validatePVCSpec(obj(pvc.spec) ?? {})];
  const next = structuredClone(obj(pvc.spec) ?? {});
  const prev = structuredClone(obj(old.spec) ?? {});
  // The PV controller binds by setting volumeName; bound claims may grow their storage request.
  if (!str(prev.volumeName)) next.volumeName = prev.volumeName;
  if (next.volumeName === undefined) delete next.volumeName;
  const newStorage = parseQuantity(get(next, 'resources.requests.storage'));
  const oldStorage = parseQuantity(get(prev, 'resources.requests.storage'));
  if (get(old, 'status.phase') === 'Bound' && isObj(get(next, 'resources.requests'))) {
    if (newStorage !== undefined && oldStorage !== undefined && newStorage < oldStorage) {
      errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
    }
    (get(next, 'resources.requests') as Obj).storage = get(prev, 'resources.requests.storage');
  }
  next.volumeAttributesClassName = prev.volumeAttributesClassName;
  if (prev.volumeAttributesClassName === undefined) delete next.volumeAttributesClassName;
  if (!jsonEqual(next, prev)) errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  return errs;
}

const PVC_COLUMNS: readonly Column[] = [
  stringColumn('Status', 'phase represents the current phase of PersistentVolumeClaim.', 0, (o) => (o.metadata.deletionTimestamp ? 'Terminating' : str(get(o, 'status.phase')))),
  stringColumn('Volume', 'volumeName is the binding reference to the PersistentVolume backing this claim.', 0, (o) => str(get(o, 'spec.volumeName'))),
  stringColumn('Capacity', 'capacity represents the actual resources of the underlying volume.', 0, (o) => (str(get(o, 'spec.volumeName')) ? String(get(o, 'status.capacity.storage') ?? '0') : '')),
  stringColumn('Access Modes', 'accessModes contains the actual access modes the volume backing the PVC has.', 0, (o) => (str(get(o, 'spec.volumeName')) ? accessModesString(get(o, 'status.accessModes')) : '')),
  stringColumn('StorageClass', 'StorageClass of the pvc', 0, storageClassOf),
  stringColumn('VolumeAttributesClass', 'VolumeAttributesClass of the pvc', 0, (o) => str(get(o, 'spec.volumeAttributesClassName')) || '<unset>'),
  ageColumn,
  stringColumn('VolumeMode', 'volumeMode defines what type of volume is required by the claim.', 1, (o) => str(get(o, 'spec.volumeMode')) || '<unset>'),
];

export const persistentvolumeclaims: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'PersistentVolumeClaim',
  plural: 'persistentvolumeclaims',
  singular: 'persistentvolumeclaim',
  namespaced: true,
  shortNames: ['pvc'],
  returnDeletedObject: true,
  subresources: { status: true },
  strategy: {
    prepareForCreate(pvc) {
      defaultPVCSpec(child(pvc, 'spec'));
      pvc.status = { phase: 'Pending' };
    },
    prepareForUpdate: defaultPVC,
    validate: (pvc) => [...validateObjectMeta(pvc.metadata, { namespaced: true, name: nameIsDNSSubdomain }), ...validatePVCSpec(obj(pvc.spec) ?? {})],
    validateUpdate: validatePVCUpdate,
  },
  columns: PVC_COLUMNS,
};
