// core/v1 limitranges and resourcequotas: defaults, basic rules and the quota printer.
import type { FieldError, KubeObject, ResourceDef } from './types.ts';
import { child, get, obj, records, str } from './object.ts';
import { ageColumn, stringColumn } from './columns.ts';
import { metaOnlyUpdate, nameIsDNSSubdomain, validateObjectMeta } from './meta-validation.ts';
import { canonicalizeResourceList, parseQuantity } from './quantity.ts';
import { fp, idx, invalid, isQualifiedName, key, notSupported } from './validation.ts';

const META = { namespaced: true, name: nameIsDNSSubdomain } as const;
const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

// ---- limitranges ----

/** SetDefaults_LimitRangeItem: container defaults from max, default requests from defaults or min. */
function defaultLimitRange(lr: KubeObject): void {
  for (const item of records(get(lr, 'spec.limits'))) {
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) canonicalizeResourceList(item[k]);
    if (item.type !== 'Container') continue;
    const def = child(item, 'default');
    const defReq = child(item, 'defaultRequest');
    for (const [k, v] of Object.entries(obj(item.max) ?? {})) if (!(k in def)) def[k] = v;
    for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
    for (const [k, v] of Object.entries(obj(item.min) ?? {})) if (!(k in defReq)) defReq[k] = v;
  }
}

function validateLimitRange(lr: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(lr.metadata, META);
  records(get(lr, 'spec.limits')).forEach((item, i) => {
    const path = idx('spec.limits', i);
    const type = str(item.type);
    if (!LIMIT_TYPES.includes(type)) errs.push(notSupported(fp(path, 'type'), type, LIMIT_TYPES));
    for (const kind of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) {
      for (const [name, q] of Object.entries(obj(item[kind]) ?? {})) {
        if (parseQuantity(q) === undefined) errs.push(invalid(key(fp(path, kind), name), String(q), 'must be a valid resource quantity'));
      }
    }
  });
  return errs;
}

export const limitranges: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  plural: 'limitranges',
  singular: 'limitrange',
  namespaced: true,
  shortNames: ['limits'],
  allowCreateOnUpdate: true,
  strategy: {
    prepareForCreate: defaultLimitRange,
    prepareForUpdate: defaultLimitRange,
    validate: validateLimitRange,
    validateUpdate: (lr, old) => [...metaOnlyUpdate()(lr, old), ...validateLimitRange(lr).filter((e) => !e.field.startsWith('metadata.'))],
  },
};

// ---- resourcequotas ----

function validateResourceQuota(rq: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(rq.metadata, META);
  for (const [name, q] of Object.entries(obj(get(rq, 'spec.hard')) ?? {})) {
    for (const m of isQualifiedName(name)) errs.push(invalid(key('spec.hard', name), name, m));
    const v = parseQuantity(q);
    if (v === undefined) errs.push(invalid(key('spec.hard', name), String(q), 'must be a valid resource quantity'));
    else if (v < 0n) errs.push(invalid(key('spec.hard', name), String(q), 'must be greater than or equal to 0'));
  }
  return errs;
}

/** printResourceQuota's REQUEST and LIMIT cells: `name: used/hard` sorted by name; `limits.*` go to LIMIT. */
export function quotaCells(rq: KubeObject): { request: string; limit: string } {
  const hard = obj(get(rq, 'status.hard')) ?? {};
  const used = obj(get(rq, 'status.used')) ?? {};
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const text = `${name}: ${String(used[name] ?? '0')}/${String(hard[name])}`;
    const pieces = name.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(text);
  }
  return { request: request.join(', '), limit: limit.join(', ') };
}

export const resourcequotas: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  singular: 'resourcequota',
  namespaced: true,
  shortNames: ['quota'],
  returnDeletedObject: true,
  subresources: { status: true },
  strategy: {
    prepareForCreate(rq) {
      canonicalizeResourceList(get(rq, 'spec.hard'));
      rq.status = {};
    },
    prepareForUpdate(rq) {
      for (const path of ['spec.hard', 'status.hard', 'status.used']) canonicalizeResourceList(get(rq, path));
    },
    validate: validateResourceQuota,
    validateUpdate: (rq, old) => [...metaOnlyUpdate()(rq, old), ...validateResourceQuota(rq).filter((e) => !e.field.startsWith('metadata.'))],
  },
  columns: [
    stringColumn('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.', 0, (o) => quotaCells(o).request),
    stringColumn('Limit', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.', 0, (o) => quotaCells(o).limit),
    ageColumn,
  ],
};

