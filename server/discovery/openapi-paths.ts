// REST paths and operations of each resource, rendered as Swagger 2.0 or OpenAPI 3.0 path items.
import type { ResourceDef } from '../registry/types.ts';
import {
  DELETE_COLLECTION_PARAMS, DELETE_PARAMS, LIST_PARAMS, nameParam, P, PATCH_PARAMS, WRITE_PARAMS, type Param,
} from './openapi-params.ts';
import { definitionName, META } from './openapi-models.ts';
import { refPrefix, type Dialect, type GVK, type Schema } from './openapi-schemas.ts';
import { subresourcesOf, verbsOf, type ExtraSubresource, type Subresource } from './subresources.ts';

type Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

/** A response body: a definition name, or `string` (logs, connect streams). */
type Body = { def: string } | 'string';

interface Op {
  method: Method;
  id: string;
  description: string;
  action: 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection' | 'connect';
  gvk: GVK;
  params: readonly Param[];
  request?: Body | 'patch';
  responses: readonly (readonly [code: '200' | '201' | '202', body: Body])[];
  watchable?: boolean;
}

export interface PathSpec {
  path: string;
  /** The operations' tag, e.g. `apps_v1`. */
  tag: string;
  ops: Op[];
  params: readonly Param[];
}

const pascal = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** `AppsV1`, `CoreV1`, `RbacAuthorizationV1`: the group-version part of upstream operation ids. */
export function gvPascal(group: string, version: string): string {
  const g = group === '' ? 'core' : group.replace(/\.k8s\.io$/, '');
  return g.split('.').map(pascal).join('') + pascal(version);
}

/** `apps_v1`, `core_v1`, `rbacAuthorization_v1`: upstream's operation tags. */
export function gvTag(group: string, version: string): string {
  const parts = (group === '' ? 'core' : group.replace(/\.k8s\.io$/, '')).split('.');
  return `${parts[0]!}${parts.slice(1).map(pascal).join('')}_${version}`;
}

export function gvBasePath(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

const STATUS: Body = { def: `${META}.Status` };

function subresourceOps(def: ResourceDef, s: Subresource, ns: string, gvp: string): Op[] {
  const kindDef: Body = { def: definitionName(s.group, s.version, s.kind) };
  const gvk = { group: s.group, version: s.version, kind: s.kind };
  const suffix = `${ns}${def.kind}${pascal(s.name)}`;
  if (s.connect) {
    const methods: Method[] = s.verbs.flatMap((v): Method[] =>
      v === 'get' ? ['get'] : v === 'create' ? ['post'] : v === 'update' ? ['put'] : v === 'delete' ? ['delete'] : v === 'patch' ? ['patch'] : [],
    );
    return methods.map((method) => ({
      method,
      id: `connect${gvp}${pascal(method)}${suffix}`,
      description: `connect ${method.toUpperCase()} requests to ${s.name} of ${def.kind}`,
      action: 'connect',
      gvk,
      params: [],
      responses: [['200', 'string']],
    }));
  }
  const ops: Op[] = [];
  for (const verb of s.verbs) {
    if (verb === 'get') {
      const body: Body = s.name === 'log' ? 'string' : kindDef;
      ops.push({ method: 'get', id: `read${gvp}${suffix}`, description: `read ${s.name} of the specified ${def.kind}`, action: 'get', gvk, params: [], responses: [['200', body]] });
    } else if (verb === 'update') {
      ops.push({ method: 'put', id: `replace${gvp}${suffix}`, description: `replace ${s.name} of the specified ${def.kind}`, action: 'put', gvk, params: WRITE_PARAMS, request: kindDef, responses: [['200', kindDef], ['201', kindDef]] });
    } else if (verb === 'patch') {
      ops.push({ method: 'patch', id: `patch${gvp}${suffix}`, description: `partially update ${s.name} of the specified ${def.kind}`, action: 'patch', gvk, params: PATCH_PARAMS, request: 'patch', responses: [['200', kindDef], ['201', kindDef]] });
    } else if (verb === 'create') {
      ops.push({ method: 'post', id: `create${gvp}${suffix}`, description: `create ${s.name} of a ${def.kind}`, action: 'post', gvk, params: WRITE_PARAMS, request: kindDef, responses: [['200', kindDef], ['201', kindDef], ['202', kindDef]] });
    }
  }
  return ops;
}

/**
 * The paths upstream serves for one resource (collection, item, all-namespaces list, subresources), each
 * operation present only when the resource supports its verb. Deprecated `/watch/` paths are not published.
 */
export function resourcePaths(def: ResourceDef, extras: readonly ExtraSubresource[] = []): PathSpec[] {
  const verbs = new Set(verbsOf(def));
  const gvp = gvPascal(def.group, def.version);
  const ns = def.namespaced ? 'Namespaced' : '';
  const gvk = { group: def.group, version: def.version, kind: def.kind };
  const kindDef: Body = { def: definitionName(def.group, def.version, def.kind) };
  const listDef: Body = { def: definitionName(def.group, def.version, `${def.kind}List`) };
  const base = gvBasePath(def.group, def.version);
  const collection = def.namespaced ? `${base}/namespaces/{namespace}/${def.plural}` : `${base}/${def.plural}`;
  const scope: Param[] = def.namespaced ? [P.namespace] : [];
  const tag = gvTag(def.group, def.version);
  const out: PathSpec[] = [];

  const coll: Op[] = [];
  if (verbs.has('list')) coll.push({ method: 'get', id: `list${gvp}${ns}${def.kind}`, description: `list or watch objects of kind ${def.kind}`, action: 'list', gvk, params: LIST_PARAMS, responses: [['200', listDef]], watchable: true });
  if (verbs.has('create')) coll.push({ method: 'post', id: `create${gvp}${ns}${def.kind}`, description: `create a ${def.kind}`, action: 'post', gvk, params: WRITE_PARAMS, request: kindDef, responses: [['200', kindDef], ['201', kindDef], ['202', kindDef]] });
  if (verbs.has('deletecollection')) coll.push({ method: 'delete', id: `delete${gvp}Collection${ns}${def.kind}`, description: `delete collection of ${def.kind}`, action: 'deletecollection', gvk, params: DELETE_COLLECTION_PARAMS, request: { def: `${META}.DeleteOptions` }, responses: [['200', STATUS]] });
  if (coll.length > 0) out.push({ path: collection, tag, ops: coll, params: [...scope, P.pretty] });

  const item: Op[] = [];
  if (verbs.has('get')) item.push({ method: 'get', id: `read${gvp}${ns}${def.kind}`, description: `read the specified ${def.kind}`, action: 'get', gvk, params: [], responses: [['200', kindDef]] });
  if (verbs.has('update')) item.push({ method: 'put', id: `replace${gvp}${ns}${def.kind}`, description: `replace the specified ${def.kind}`, action: 'put', gvk, params: WRITE_PARAMS, request: kindDef, responses: [['200', kindDef], ['201', kindDef]] });
  if (verbs.has('delete')) item.push({ method: 'delete', id: `delete${gvp}${ns}${def.kind}`, description: `delete a ${def.kind}`, action: 'delete', gvk, params: DELETE_PARAMS, request: { def: `${META}.DeleteOptions` }, responses: [['200', STATUS], ['202', STATUS]] });
  if (verbs.has('patch')) item.push({ method: 'patch', id: `patch${gvp}${ns}${def.kind}`, description: `partially update the specified ${def.kind}`, action: 'patch', gvk, params: PATCH_PARAMS, request: 'patch', responses: [['200', kindDef], ['201', kindDef]] });
  if (item.length > 0) out.push({ path: `${collection}/{name}`, tag, ops: item, params: [nameParam(def.kind), ...scope, P.pretty] });

  for (const s of subresourcesOf(def, extras)) {
    const ops = subresourceOps(def, s, ns, gvp);
    if (ops.length > 0) out.push({ path: `${collection}/{name}/${s.name}`, tag, ops, params: [nameParam(s.kind), ...scope, P.pretty] });
  }

  if (def.namespaced && verbs.has('list')) {
    out.push({
      path: `${base}/${def.plural}`,
      tag,
      ops: [{ method: 'get', id: `list${gvp}${def.kind}ForAllNamespaces`, description: `list or watch objects of kind ${def.kind}`, action: 'list', gvk, params: [], responses: [['200', listDef]], watchable: true }],
      params: [...LIST_PARAMS.slice(0, 5), P.pretty, ...LIST_PARAMS.slice(5)],
    });
  }
  return out;
}

/** `/apis/apps/v1/` (or `/api/v1/`): the group-version's APIResourceList. */
export function groupVersionRootPath(group: string, version: string): PathSpec {
  return {
    path: `${gvBasePath(group, version)}/`,
    tag: gvTag(group, version),
    ops: [{ method: 'get', id: `get${gvPascal(group, version)}APIResources`, description: 'get available resources', action: 'get', gvk: { group: '', version: '', kind: '' }, params: [], responses: [['200', { def: `${META}.APIResourceList` }]] }],
    params: [],
  };
}

const RESPONSE_NAMES = { '200': 'OK', '201': 'Created', '202': 'Accepted' } as const;
const PATCH_TYPES = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'];

function renderParam(p: Param, d: Dialect): Schema {
  if (d === 'v2') {
    const s: Schema = { uniqueItems: true, type: p.type, description: p.description, name: p.name, in: p.in };
    if (p.required) s.required = true;
    return s;
  }
  const s: Schema = { name: p.name, in: p.in, description: p.description };
  if (p.required) s.required = true;
  s.schema = { type: p.type, uniqueItems: true };
  return s;
}

function bodySchema(b: Body, d: Dialect): Schema {
  return b === 'string' ? { type: 'string' } : { $ref: refPrefix(d) + b.def };
}

/** Every definition an operation list refers to (for the document's schema closure). */
export function referencedDefinitions(paths: readonly PathSpec[]): Set<string> {
  const out = new Set<string>([`${META}.Patch`]);
  for (const p of paths) {
    for (const op of p.ops) {
      if (op.request && op.request !== 'patch' && op.request !== 'string') out.add(op.request.def);
      for (const [, b] of op.responses) if (b !== 'string') out.add(b.def);
    }
  }
  return out;
}

function renderOp(op: Op, tag: string, d: Dialect): Schema {
  const gvkExt = op.gvk.kind === '' ? undefined : { group: op.gvk.group, kind: op.gvk.kind, version: op.gvk.version };
  const params = op.params.map((p) => renderParam(p, d));
  const o: Schema = {};
  if (d === 'v2') {
    o.description = op.description;
    o.consumes = op.request === 'patch' ? PATCH_TYPES.slice(1).concat(PATCH_TYPES[0]!) : ['*/*'];
    o.produces = op.responses.some(([, b]) => b === 'string') ? ['*/*'] : ['application/json', 'application/yaml', ...(op.watchable ? ['application/json;stream=watch'] : [])];
    o.schemes = ['https'];
    o.tags = [tag];
    o.operationId = op.id;
    const bodyParam = op.request === undefined ? [] : [{ name: 'body', in: 'body', required: true, schema: op.request === 'patch' ? { $ref: `#/definitions/${META}.Patch` } : bodySchema(op.request, d) }];
    if (bodyParam.length + params.length > 0) o.parameters = [...bodyParam, ...params];
    o.responses = {
      ...Object.fromEntries(op.responses.map(([code, b]) => [code, { description: RESPONSE_NAMES[code], schema: bodySchema(b, d) }])),
      '401': { description: 'Unauthorized' },
    };
  } else {
    o.tags = [tag];
    o.description = op.description;
    o.operationId = op.id;
    if (params.length > 0) o.parameters = params;
    if (op.request === 'patch') {
      o.requestBody = { content: Object.fromEntries(PATCH_TYPES.map((t) => [t, { schema: { $ref: `#/components/schemas/${META}.Patch` } }])) };
    } else if (op.request !== undefined) {
      o.requestBody = { content: { '*/*': { schema: bodySchema(op.request, d) } } };
    }
    const media = (b: Body): string[] => (b === 'string' ? ['*/*'] : ['application/json', ...(op.watchable ? ['application/json;stream=watch'] : []), 'application/yaml']);
    o.responses = {
      ...Object.fromEntries(
        op.responses.map(([code, b]) => [code, { description: RESPONSE_NAMES[code], content: Object.fromEntries(media(b).map((m) => [m, { schema: bodySchema(b, d) }])) }]),
      ),
      '401': { description: 'Unauthorized' },
    };
  }
  // Discovery roots (`/apis/apps/v1/`) carry no action or kind upstream.
  if (gvkExt) {
    o['x-kubernetes-action'] = op.action;
    o['x-kubernetes-group-version-kind'] = gvkExt;
  }
  return o;
}

/** Renders path specs as a `paths` object (keys sorted, as upstream marshals its map). */
export function renderPaths(specs: readonly PathSpec[], d: Dialect): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const spec of [...specs].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    const item: Schema = {};
    for (const op of spec.ops) item[op.method] = renderOp(op, spec.tag, d);
    if (spec.params.length > 0) item.parameters = spec.params.map((p) => renderParam(p, d));
    out[spec.path] = item;
  }
  return out;
}
