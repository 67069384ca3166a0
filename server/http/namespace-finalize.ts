// PUT /api/v1/namespaces/{name}/finalize: the namespace controller's way to change spec.finalizers (upstream's FinalizeREST).
import * as errors from './errors.ts';
import { decodeBody, readBody } from './negotiate.ts';
import { writeRendered } from './respond.ts';
import type { ResourceContext } from './resources.ts';
import { dryRunOf, expectKind } from './resources.ts';

const BODY_TYPES = ['application/json', 'application/yaml'] as const;

/**
 * Replaces a namespace's spec and metadata except status (which the finalize strategy keeps), validated as an
 * update. Once deletionTimestamp is set and both spec.finalizers and metadata.finalizers are empty, the store
 * deletes the namespace as part of this write.
 * @throws ApiError 405 for a verb other than update, 404 for a missing namespace, 422 for invalid finalizers.
 */
export async function handleNamespaceFinalize(ctx: ResourceContext): Promise<void> {
  const { def, info, store, query, res } = ctx;
  if (info.verb !== 'update') throw errors.methodNotAllowed();
  const obj = expectKind(def, decodeBody(await readBody(ctx.req), ctx.req.headers['content-type'], BODY_TYPES), def.kind);
  const { object } = await store.update(
    def,
    info.namespace,
    info.name,
    (current) => {
      if (!current) throw errors.notFound(def, info.name);
      const next = structuredClone(obj);
      next.status = structuredClone(current.status);
      next.metadata.labels = { ...next.metadata.labels, 'kubernetes.io/metadata.name': info.name };
      const errs = def.strategy?.validateUpdate?.(next, current) ?? [];
      if (errs.length) throw errors.invalid(def.kind, def.group, info.name, errs);
      return next;
    },
    // A trusted write that skips the main strategy, which would keep spec.finalizers unchanged.
    { subresource: 'trusted', dryRun: dryRunOf(query) },
  );
  writeRendered(res, 200, object, { as: 'object', format: 'json' });
}
