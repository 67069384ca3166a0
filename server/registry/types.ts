// The shape of one resource declaration: every layer (storage keys, REST, discovery, tables, validation) reads it.

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [extra: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any API object as JSON. Specific fields are read with the helpers in object.ts. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** The `reason` of a metav1.StatusCause, as upstream's field.ErrorType names them. */
export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'FieldValueNotFound';

/** One validation failure; a non-empty list becomes one 422 Invalid Status with these as causes. */
export interface FieldError {
  type: FieldErrorType;
  /** JSON path as upstream prints it, e.g. `metadata.name`, `spec.template.spec.containers[0].image`. */
  field: string;
  /** The whole message upstream puts in the cause, e.g. `Required value` or `Invalid value: "Foo": a lowercase RFC 1123 …`. */
  message: string;
}

/**
 * Per-resource behaviour hooks, run by the generic store in a fixed order:
 * create: prepareForCreate → (generic meta) → validate → canonicalize;
 * update: prepareForUpdate → (generic meta) → validateUpdate → canonicalize.
 * Only the prepare hooks and canonicalize may mutate.
 */
export interface Strategy {
  /** Defaults and clearing of fields the client may not set on create (e.g. status). */
  prepareForCreate?(obj: KubeObject): void;
  /** Carry over what an update of this endpoint may not change (e.g. status on the main resource). */
  prepareForUpdate?(obj: KubeObject, old: Readonly<KubeObject>): void;
  validate?(obj: Readonly<KubeObject>): FieldError[];
  validateUpdate?(obj: Readonly<KubeObject>, old: Readonly<KubeObject>): FieldError[];
  /** Non-fatal remarks returned as `Warning:` headers. */
  warnings?(obj: Readonly<KubeObject>): string[];
  canonicalize?(obj: KubeObject): void;
}

/** A printed column of `kubectl get`, as metav1.TableColumnDefinition plus how to compute the cell. */
export interface Column {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  format?: string;
  description: string;
  /** 0: always shown; 1: only with `-o wide`. */
  priority: number;
  cell(obj: KubeObject, now: Date): string | number | boolean | null;
}

/** Where the scale subresource reads and writes replicas (dotted paths into the object). */
export interface ScaleDef {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  /** Lower-case plural, the REST path segment and the storage key segment (unless storageName says otherwise). */
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: readonly string[];
  categories?: readonly string[];
  /** Default: all eight verbs. */
  verbs?: readonly Verb[];
  /** PUT of a missing object creates it (upstream's AllowCreateOnUpdate: endpoints, events, leases, RBAC …). */
  allowCreateOnUpdate?: boolean;
  /** Deletion is graceful (pods): deletionTimestamp is set and the kubelet removes the object. */
  gracefulDelete?: (obj: Readonly<KubeObject>) => number | undefined;
  /** DELETE answers with the deleted object instead of a Success Status (upstream: pods, …). */
  returnDeletedObject?: boolean;
  /**
   * The resource is stored in another shape (events.k8s.io/v1 events live as core/v1 events): every write is
   * converted with toStorage, every read with fromStorage.
   */
  storageShape?: { toStorage(obj: KubeObject): KubeObject; fromStorage(obj: KubeObject): KubeObject };
  /** Key segment under /registry when it differs from plural (upstream: e.g. services → services/specs). */
  storageName?: string;
  /** metadata.generation is set to 1 on create and bumped when anything outside metadata/status changes. */
  hasGeneration?: boolean;
  subresources?: {
    /** The `status` field is written only through /status; the main endpoint keeps it. */
    status?: boolean;
    scale?: ScaleDef;
    /** pods/binding (create only). */
    binding?: boolean;
  };
  strategy?: Strategy;
  /** Extra field selectors beyond metadata.name / metadata.namespace: label → value extractor. */
  fieldSelectors?: Readonly<Record<string, (obj: KubeObject) => string | undefined>>;
  /** Table columns after NAME (NAME is always first); default: AGE. */
  columns?: readonly Column[];
}

/** The group/version string as it appears in apiVersion: `v1` for core, `apps/v1` otherwise. */
export function groupVersion(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** `deployments.apps` or `pods`: how upstream names a resource in error messages. */
export function qualifiedResource(def: Pick<ResourceDef, 'group' | 'plural'>): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}
