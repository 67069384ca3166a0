// REST handlers for resource paths: one straight line per verb (resolve → negotiate → read body → store → respond).
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as errors from './errors.ts';
import { decodeBody, mediaTypeOf, negotiateRendering, readBody, type Rendering } from './negotiate.ts';
import { writeRendered } from './respond.ts';
import { toTable, partialObjectMetadata } from './table.ts';
import type { ResourceRequestInfo } from './request-info.ts';
import { serveWatch } from './watch.ts';
import { buildListFilter } from './list-options.ts';
import { APPLY_CONTENT_TYPE, decodePatch, fieldValidationOf, PATCH_CONTENT_TYPES } from './patch.ts';
import { readScale, writeScale } from './scale.ts';
import { bindPod } from './binding.ts';
import { handlePodLog } from './pod-streams.ts';
import { evictPod } from './eviction.ts';
import { handleNamespaceFinalize } from './namespace-finalize.ts';
import { validateBody } from '../validation/request.ts';
import { checkPatchOptions, managerOf, updateHook } from '../apply/request.ts';
import { applyObject, decodeApplied } from '../apply/apply.ts';
import type { DeleteOptions, GenericStore } from '../registry/store.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';
import { groupVersion } from '../registry/types.ts';

export interface ResourceContext {
  req: IncomingMessage;
  res: ServerResponse;
  info: ResourceRequestInfo;
  def: ResourceDef;
  query: URLSearchParams;
  store: GenericStore;
}

const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'] as const;

/** The dryRun query parameter: true when given; only `All` is accepted (400 otherwise, upstream's text). */
export function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All') throw errors.badRequest(`Invalid dry run value: "${v}": valid values are "All"`);
  return values.length > 0;
}

function intParam(query: URLSearchParams, name: string): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw errors.badRequest(`strconv.ParseInt: parsing "${raw}": invalid syntax`);
  return Number(raw);
}

function rendering(ctx: ResourceContext): Rendering {
  return negotiateRendering(ctx.req.headers.accept, ctx.query.get('includeObject'));
}

/** One object in the representation the client asked for. */
function renderOne(ctx: ResourceContext, r: Rendering, obj: KubeObject): unknown {
  if (r.as === 'Table') return toTable(ctx.def, [obj], r.includeObject, { resourceVersion: obj.metadata.resourceVersion });
  if (r.as === 'PartialObjectMetadata' || r.as === 'PartialObjectMetadataList') return partialObjectMetadata(obj);
  return obj;
}

/**
 * Decodes a write body and checks that it is the kind this path serves, as upstream's decoder does; unknown
 * fields are dropped and, with duplicates, reported per `fieldValidation` (Strict: 400, Warn: `warnings`).
 */
async function readObject(ctx: ResourceContext, warnings: string[] = []): Promise<KubeObject> {
  const raw = await readBody(ctx.req);
  const body = decodeBody(raw, ctx.req.headers['content-type'], BODY_TYPES);
  const obj = expectKind(ctx.def, body, ctx.def.kind);
  const isJson = mediaTypeOf(ctx.req.headers['content-type'], 'application/json') === 'application/json';
  warnings.push(...validateBody(ctx.def, obj, fieldValidationOf(ctx.query), isJson ? raw : undefined));
  return obj;
}

export function expectKind(def: ResourceDef, body: unknown, kind: string, apiVersion = groupVersion(def)): KubeObject {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest('Object \'Kind\' is missing in \'' + JSON.stringify(body) + '\'');
  const obj = body as KubeObject;
  if (obj.kind !== undefined && obj.kind !== kind) {
    throw errors.badRequest(`${obj.kind} in version "${versionOf(obj.apiVersion)}" cannot be handled as a ${kind}: no kind "${obj.kind}" is registered for version "${obj.apiVersion ?? ''}" in scheme "k8s.io/apimachinery@v1.33.0/pkg/runtime/scheme.go:110"`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
    throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`);
  }
  if (obj.metadata !== undefined && (typeof obj.metadata !== 'object' || obj.metadata === null || Array.isArray(obj.metadata))) {
    throw errors.badRequest(`${kind} in version "${versionOf(apiVersion)}" cannot be handled as a ${kind}: json: cannot unmarshal ${typeof obj.metadata} into Go struct field ${kind}.metadata of type v1.ObjectMeta`);
  }
  obj.metadata ??= {};
  return obj;
}

function versionOf(apiVersion: string | undefined): string {
  if (!apiVersion) return '';
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
}

/** Upstream answers typed lists without apiVersion/kind on the items. */
function listItem(obj: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = obj;
  return rest as KubeObject;
}

export async function handleResource(ctx: ResourceContext): Promise<void> {
  const { info, def } = ctx;
  switch (info.subresource) {
    case '':
      return handleMain(ctx);
    case 'status':
      if (!def.subresources?.status) break;
      return handleStatus(ctx);
    case 'scale':
      if (!def.subresources?.scale) break;
      return handleScale(ctx);
    case 'binding':
      if (!def.subresources?.binding) break;
      if (info.verb !== 'create') throw errors.methodNotAllowed();
      {
        const binding = decodeBody(await readBody(ctx.req), ctx.req.headers['content-type'], BODY_TYPES);
        const status = await bindPod(ctx.store, def, info.namespace, info.name, binding, dryRunOf(ctx.query));
        writeRendered(ctx.res, 201, status, { as: 'object', format: 'json' });
      }
      return;
    case 'eviction':
      if (def.group !== '' || def.plural !== 'pods') break;
      if (info.verb !== 'create') throw errors.methodNotAllowed();
      {
        const eviction = decodeBody(await readBody(ctx.req), ctx.req.headers['content-type'], BODY_TYPES);
        const status = await evictPod(ctx.store, def, info.namespace, info.name, eviction, dryRunOf(ctx.query));
        writeRendered(ctx.res, 201, status, { as: 'object', format: 'json' });
      }
      return;
    case 'finalize':
      if (def.group !== '' || def.plural !== 'namespaces') break;
      return handleNamespaceFinalize(ctx);
    case 'log':
      if (def.plural !== 'pods' || def.group !== '') break;
      return handlePodLog(ctx);
    // Exec/attach/portforward are served by the upgrade listener (pod-streams.ts)
    case 'exec': case 'attach': case 'portforward':
      if (def.plural !== 'pods' || def.group !== '') break;
      throw errors.badRequest('Upgrade request required');
  }
  throw errors.pathNotFound();
}

async function handleMain(ctx: ResourceContext): Promise<void> {
  const { info, def, store, query, res } = ctx;
  const verbs = def.verbs;
  if (verbs && info.verb !== 'proxy' && !verbs.includes(info.verb as never)) throw errors.methodNotAllowed();
  switch (info.verb) {
    case 'get': {
      const r = rendering(ctx);
      const obj = await store.get(def, info.namespace, info.name, query.get('resourceVersion') ?? undefined);
      writeRendered(res, 200, renderOne(ctx, r, obj), r);
      return;
    }
    case 'list':
      return handleList(ctx);
    case 'watch':
      return serveWatch(ctx, rendering(ctx));
    case 'create': {
      if (info.name) throw errors.methodNotAllowed();
      const r = rendering(ctx);
      const warnings: string[] = [];
      const obj = await readObject(ctx, warnings);
      const created = await store.create(def, info.namespace, obj, { dryRun: dryRunOf(query), managedFields: updateHook(def, managerOf(query, ctx.req.headers['user-agent'])) });
      writeRendered(res, 201, renderOne(ctx, r, created), r, [...warnings, ...(def.strategy?.warnings?.(created) ?? [])]);
      return;
    }
    case 'update': {
      const r = rendering(ctx);
      const warnings: string[] = [];
      const obj = await readObject(ctx, warnings);
      const { object, created } = await store.update(def, info.namespace, info.name, obj, { dryRun: dryRunOf(query), managedFields: updateHook(def, managerOf(query, ctx.req.headers['user-agent'])) });
      writeRendered(res, created ? 201 : 200, renderOne(ctx, r, object), r, [...warnings, ...(def.strategy?.warnings?.(object) ?? [])]);
      return;
    }
    case 'patch':
      return handlePatch(ctx, '');
    case 'delete': {
      const r = rendering(ctx);
      const options = await readDeleteOptions(ctx);
      const result = await store.delete(def, info.namespace, info.name, options);
      if (!result.deleted) {
        // Upstream answers 200 with the marked object; 202 only when the (deprecated) orphanDependents=false asked for cascading.
        writeRendered(res, options.orphanDependents === false ? 202 : 200, renderOne(ctx, r, result.object), r);
      } else if (def.returnDeletedObject) {
        writeRendered(res, 200, renderOne(ctx, r, result.object), r);
      } else {
        const m = result.object.metadata;
        writeRendered(res, 200, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: m.name, group: def.group || undefined, kind: def.plural, uid: m.uid } }, r);
      }
      return;
    }
    case 'deletecollection': {
      const r = rendering(ctx);
      const options = await readDeleteOptions(ctx);
      const { filter, hasSelector } = buildListFilter(def, query);
      const page = await store.list(def, info.namespace, { filter, hasSelector });
      const deleted: KubeObject[] = [];
      for (const obj of page.items) {
        try {
          const result = await store.delete(def, obj.metadata.namespace ?? '', obj.metadata.name!, options);
          deleted.push(result.object);
        } catch (e: unknown) {
          // Already gone between list and delete: nothing to do, as upstream.
          if (!(e instanceof errors.ApiError && e.code === 404)) throw e;
        }
      }
      writeRendered(res, 200, { apiVersion: groupVersion(def), kind: `${def.kind}List`, metadata: { resourceVersion: page.resourceVersion }, items: deleted.map(listItem) }, r);
      return;
    }
    default:
      throw errors.methodNotAllowed();
  }
}

async function handleList(ctx: ResourceContext): Promise<void> {
  const { def, info, query, store, res } = ctx;
  const r = rendering(ctx);
  const { filter, hasSelector } = buildListFilter(def, query);
  const limit = intParam(query, 'limit');
  const page = await store.list(def, info.namespace, {
    filter,
    hasSelector,
    limit,
    continueToken: query.get('continue') || undefined,
    resourceVersion: query.get('resourceVersion') ?? undefined,
    resourceVersionMatch: query.get('resourceVersionMatch') ?? undefined,
  });
  const listMeta: { resourceVersion: string; continue?: string; remainingItemCount?: number } = { resourceVersion: page.resourceVersion };
  if (page.continueToken) listMeta.continue = page.continueToken;
  if (page.remainingItemCount !== undefined) listMeta.remainingItemCount = page.remainingItemCount;
  if (r.as === 'Table') {
    writeRendered(res, 200, toTable(def, page.items, r.includeObject, listMeta), r);
  } else if (r.as === 'PartialObjectMetadata' || r.as === 'PartialObjectMetadataList') {
    writeRendered(res, 200, { kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1', metadata: listMeta, items: page.items.map(partialObjectMetadata) }, r);
  } else {
    writeRendered(res, 200, { kind: `${def.kind}List`, apiVersion: groupVersion(def), metadata: listMeta, items: page.items.map(listItem) }, r);
  }
}

async function handlePatch(ctx: ResourceContext, subresource: '' | 'status'): Promise<void> {
  const { def, info, query, store, res, req } = ctx;
  const r = rendering(ctx);
  const contentType = mediaTypeOf(req.headers['content-type']);
  if (!PATCH_CONTENT_TYPES.includes(contentType)) throw errors.unsupportedMediaType(contentType, PATCH_CONTENT_TYPES);
  // Server-side apply and managedFields
  const manager = managerOf(query, req.headers['user-agent']);
  const force = checkPatchOptions(query, contentType === APPLY_CONTENT_TYPE, manager);
  if (contentType === APPLY_CONTENT_TYPE) {
    const applyReq = { def, namespace: info.namespace, name: info.name, manager, force, subresource };
    const applied = decodeApplied(applyReq, await readBody(req));
    const { object, created } = await store.update(def, info.namespace, info.name, (current) => applyObject(applyReq, current, applied), {
      dryRun: dryRunOf(query),
      subresource,
      forceAllowCreate: subresource === '',
    });
    writeRendered(res, created ? 201 : 200, renderOne(ctx, r, object), r, def.strategy?.warnings?.(object));
    return;
  }
  const patch = decodePatch(def, contentType, await readBody(req), fieldValidationOf(query), info.name);
  const { object, created } = await store.update(
    def,
    info.namespace,
    info.name,
    (current) => {
      if (!current) throw errors.notFound(def, info.name);
      return patch.apply(current);
    },
    { dryRun: dryRunOf(query), subresource, managedFields: updateHook(def, manager, subresource) },
  );
  writeRendered(res, created ? 201 : 200, renderOne(ctx, r, object), r, [...patch.warnings, ...(def.strategy?.warnings?.(object) ?? [])]);
}

async function handleStatus(ctx: ResourceContext): Promise<void> {
  const { def, info, store, query, res } = ctx;
  const r = rendering(ctx);
  switch (info.verb) {
    case 'get': {
      writeRendered(res, 200, renderOne(ctx, r, await store.get(def, info.namespace, info.name)), r);
      return;
    }
    case 'update': {
      const obj = await readObject(ctx);
      const { object } = await store.update(def, info.namespace, info.name, obj, { dryRun: dryRunOf(query), subresource: 'status', managedFields: updateHook(def, managerOf(query, ctx.req.headers['user-agent']), 'status') });
      writeRendered(res, 200, renderOne(ctx, r, object), r);
      return;
    }
    case 'patch':
      return handlePatch(ctx, 'status');
    default:
      throw errors.methodNotAllowed();
  }
}

async function handleScale(ctx: ResourceContext): Promise<void> {
  const { def, info, store, query, res, req } = ctx;
  const scaleDef = def.subresources!.scale!;
  const r: Rendering = { as: 'object', format: 'json' };
  switch (info.verb) {
    case 'get':
      writeRendered(res, 200, readScale(def, scaleDef, await store.get(def, info.namespace, info.name)), r);
      return;
    case 'update':
    case 'patch': {
      const contentType = mediaTypeOf(req.headers['content-type']);
      const body = await readBody(req);
      const patch = info.verb === 'patch' ? decodePatch(def, contentType, body, fieldValidationOf(query), info.name, false) : undefined;
      const replacement = patch ? undefined : expectKind(def, decodeBody(body, req.headers['content-type'], BODY_TYPES), 'Scale', 'autoscaling/v1');
      const { object } = await store.update(
        def,
        info.namespace,
        info.name,
        (current) => {
          if (!current) throw errors.notFound(def, info.name);
          const wanted = patch ? patch.apply(readScale(def, scaleDef, current)) : replacement!;
          return writeScale(def, scaleDef, current, wanted);
        },
        { dryRun: dryRunOf(query), managedFields: updateHook(def, managerOf(query, req.headers['user-agent']), 'scale') },
      );
      writeRendered(res, 200, readScale(def, scaleDef, object), r);
      return;
    }
    default:
      throw errors.methodNotAllowed();
  }
}

/** DeleteOptions from the body (if any) with query parameters taking precedence, as upstream. */
async function readDeleteOptions(ctx: ResourceContext): Promise<DeleteOptions> {
  const raw = await readBody(ctx.req);
  let options: DeleteOptions = {};
  if (raw.length > 0) {
    const body = decodeBody(raw, ctx.req.headers['content-type'], BODY_TYPES);
    if (body && typeof body === 'object' && !Array.isArray(body)) options = body as DeleteOptions;
    else throw errors.badRequest('the body of the request must be a DeleteOptions object');
  }
  const grace = intParam(ctx.query, 'gracePeriodSeconds');
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = ctx.query.get('propagationPolicy');
  if (policy) options.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  const orphan = ctx.query.get('orphanDependents');
  if (orphan) options.orphanDependents = orphan === 'true';
  if (ctx.query.getAll('dryRun').length) options.dryRun = ctx.query.getAll('dryRun');
  if (options.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)) {
    throw errors.invalid('DeleteOptions', '', '', [{ type: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"` }]);
  }
  if (options.propagationPolicy && options.orphanDependents !== undefined) {
    throw errors.invalid('DeleteOptions', '', '', [{ type: 'FieldValueInvalid', field: 'propagationPolicy', message: `Invalid value: "${options.propagationPolicy}": orphanDependents and deletionPropagation cannot be both set` }]);
  }
  dryRunOf(ctx.query);
  return options;
}
