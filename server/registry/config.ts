// core/v1 configmaps, secrets and serviceaccounts: key rules, size limits, `immutable`, secret types and printers.
import type { FieldError, KubeObject, ResourceDef } from './types.ts';
import { arr, isObj, jsonEqual, obj, str } from './object.ts';
import { ageColumn, integerColumn, stringColumn } from './columns.ts';
import { nameIsDNSSubdomain, validateObjectMeta, validateObjectMetaUpdate } from './meta-validation.ts';
import { forbidden, invalid, isConfigMapKey, key, required, tooLong } from './validation.ts';

/** core.MaxSecretSize: the limit of a secret's or a config map's data. */
export const MAX_DATA_SIZE = 1024 * 1024;

const META = { namespaced: true, name: nameIsDNSSubdomain } as const;
const IMMUTABLE_WHEN_SET = 'field is immutable when `immutable` is set';

function base64Length(v: unknown): number {
  return typeof v === 'string' ? Buffer.from(v, 'base64').length : 0;
}

function validateKeys(map: unknown, field: string): FieldError[] {
  if (!isObj(map)) return [];
  const errs: FieldError[] = [];
  for (const k of Object.keys(map)) for (const m of isConfigMapKey(k)) errs.push(invalid(key(field, k), k, m));
  return errs;
}

/** The rules that an object with `immutable: true` adds on update. */
function immutableData(next: Readonly<KubeObject>, old: Readonly<KubeObject>, fields: readonly string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (next.immutable !== true) errs.push(forbidden('immutable', IMMUTABLE_WHEN_SET));
  for (const f of fields) if (!jsonEqual(next[f] ?? null, old[f] ?? null)) errs.push(forbidden(f, IMMUTABLE_WHEN_SET));
  return errs;
}

// ---- configmaps ----

function validateConfigMap(cm: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(cm.metadata, META);
  const data = obj(cm.data) ?? {};
  const binary = obj(cm.binaryData) ?? {};
  let total = 0;
  for (const [k, v] of Object.entries(data)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    if (k in binary) errs.push(invalid(key('data', k), k, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  for (const [k, v] of Object.entries(binary)) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('binaryData', k), k, m));
    if (k in data) errs.push(invalid(key('binaryData', k), k, 'duplicate of key present in data'));
    total += base64Length(v);
  }
  if (total > MAX_DATA_SIZE) errs.push(tooLong('', MAX_DATA_SIZE));
  return errs;
}

export const configmaps: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  singular: 'configmap',
  namespaced: true,
  shortNames: ['cm'],
  strategy: {
    validate: validateConfigMap,
    validateUpdate: (cm, old) => [...validateObjectMetaUpdate(cm.metadata, old.metadata), ...immutableData(cm, old, ['data', 'binaryData']), ...validateConfigMap(cm)],
  },
  columns: [
    integerColumn("Data", "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap with the keys in the BinaryData field, this is enforced during validation process.", 0, (o) => Object.keys(obj(o.data) ?? {}).length + Object.keys(obj(o.binaryData) ?? {}).length, 'string'),
    ageColumn,
  ],
};

// ---- secrets ----

const SERVICE_ACCOUNT_NAME_KEY = 'kubernetes.io/service-account.name';

/** v1 → internal conversion: stringData overwrites data (base64-encoded) and is not stored. */
function mergeStringData(secret: KubeObject): void {
  const sd = obj(secret.stringData);
  if (sd) {
    const data = isObj(secret.data) ? secret.data : (secret.data = {});
    for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(typeof v === 'string' ? v : String(v), 'utf8').toString('base64');
  }
  delete secret.stringData;
}

function defaultSecret(secret: KubeObject): void {
  if (!str(secret.type)) secret.type = 'Opaque';
  mergeStringData(secret);
}

function validateSecret(secret: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(secret.metadata, META);
  const data = obj(secret.data) ?? {};
  errs.push(...validateKeys(data, 'data'));
  const total = Object.values(data).reduce<number>((n, v) => n + base64Length(v), 0);
  if (total > MAX_DATA_SIZE) errs.push(tooLong('data', MAX_DATA_SIZE));
  const has = (k: string) => k in data;
  switch (str(secret.type)) {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata.annotations?.[SERVICE_ACCOUNT_NAME_KEY]) errs.push(required(key('metadata.annotations', SERVICE_ACCOUNT_NAME_KEY)));
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) {
        errs.push(required(key('data', k)));
        break;
      }
      try {
        JSON.parse(Buffer.from(String(data[k]), 'base64').toString('utf8'));
      } catch (e: unknown) {
        errs.push(invalid(key('data', k), '<secret contents redacted>', e instanceof Error ? e.message : String(e)));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) errs.push(required(key('data', 'username')), required(key('data', 'password')));
      break;
    case 'kubernetes.io/ssh-auth':
      if (base64Length(data['ssh-privatekey']) === 0) errs.push(required(key('data', 'ssh-privatekey')));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(key('data', 'tls.crt')));
      if (!has('tls.key')) errs.push(required(key('data', 'tls.key')));
      break;
    default:
      break;
  }
  return errs;
}

export const secrets: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  singular: 'secret',
  namespaced: true,
  strategy: {
    prepareForCreate: defaultSecret,
    prepareForUpdate: defaultSecret,
    validate: validateSecret,
    validateUpdate(secret, old) {
      const errs = validateObjectMetaUpdate(secret.metadata, old.metadata);
      if (secret.type !== old.type) errs.push(invalid('type', secret.type ?? '', 'field is immutable'));
      return [...errs, ...immutableData(secret, old, ['data']), ...validateSecret(secret)];
    },
  },
  fieldSelectors: { type: (o) => str(o.type) },
  columns: [
    stringColumn('Type', 'Used to facilitate programmatic handling of secret data.', 0, (o) => str(o.type)),
    integerColumn('Data', 'Data contains the secret data. Each key must consist of alphanumeric characters, \'-\', \'_\' or \'.\'. The serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly non-string) data value here.', 0, (o) => Object.keys(obj(o.data) ?? {}).length, 'string'),
    ageColumn,
  ],
};

// ---- serviceaccounts ----

function validateServiceAccount(sa: Readonly<KubeObject>): FieldError[] {
  return validateObjectMeta(sa.metadata, META);
}

export const serviceaccounts: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  singular: 'serviceaccount',
  namespaced: true,
  shortNames: ['sa'],
  returnDeletedObject: true,
  strategy: {
    validate: validateServiceAccount,
    validateUpdate: (sa, old) => [...validateObjectMetaUpdate(sa.metadata, old.metadata), ...validateServiceAccount(sa)],
  },
  columns: [
    integerColumn('Secrets', 'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.', 0, (o) => arr(o.secrets).length, 'string'),
    ageColumn,
  ],
};
