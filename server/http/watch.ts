// `?watch=true`: a chunked stream of JSON watch events, one per line, that never lets a slow reader stall the server.
import type { ResourceContext } from './resources.ts';
import type { Rendering } from './negotiate.ts';
import { buildListFilter } from './list-options.ts';
import { toTable, partialObjectMetadata } from './table.ts';
import { bookmarkObject, type ObjectEvent } from '../registry/store.ts';
import * as errors from './errors.ts';

/** Upstream's --min-request-timeout: watches without timeoutSeconds end after 30–60 minutes. */
const MIN_REQUEST_TIMEOUT_S = 1800;
/** How often a bookmark is sent to clients that allow them (upstream: about once a minute). */
export const BOOKMARK_INTERVAL_MS = Number(process.env.TSKUBE_BOOKMARK_INTERVAL_MS ?? 60_000);
/** A watcher this far behind (bytes waiting in the socket) is cut off instead of buffering without bound. */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;

export async function serveWatch(ctx: ResourceContext, r: Rendering): Promise<void> {
  const { def, info, query, store, req, res } = ctx;
  const { filter } = buildListFilter(def, query, info.name);
  const timeoutParam = query.get('timeoutSeconds');
  let timeoutS = timeoutParam ? Number(timeoutParam) : MIN_REQUEST_TIMEOUT_S * (1 + Math.random());
  if (!Number.isFinite(timeoutS) || timeoutS < 0) throw errors.badRequest(`invalid timeoutSeconds: ${timeoutParam}`);
  if (timeoutS === 0) timeoutS = MIN_REQUEST_TIMEOUT_S;
  const allowBookmarks = query.get('allowWatchBookmarks') === 'true';
  const sendInitialEvents = query.get('sendInitialEvents') === 'true';
  if (sendInitialEvents && query.get('resourceVersionMatch') !== 'NotOlderThan') {
    throw errors.invalid('ListOptions', 'meta.k8s.io', '', [{ type: 'FieldValueForbidden', field: 'sendInitialEvents', message: "Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to 'NotOlderThan'" }]);
  }

  let headersSent = false;
  let closed = false;
  let firstTable = true;
  let lastRevision = 0;
  const pending: ObjectEvent[] = [];

  const encode = (event: ObjectEvent): string => {
    let object: unknown = event.object;
    if (event.type !== 'ERROR' && event.type !== 'BOOKMARK') {
      if (r.as === 'Table') {
        object = toTable(def, [event.object], r.includeObject, { resourceVersion: event.object.metadata.resourceVersion }, firstTable);
        firstTable = false;
      } else if (r.as === 'PartialObjectMetadata' || r.as === 'PartialObjectMetadataList') {
        object = partialObjectMetadata(event.object);
      }
    }
    return `${JSON.stringify({ type: event.type, object })}\n`;
  };

  const send = (event: ObjectEvent): void => {
    if (closed) return;
    if (event.type !== 'ERROR') {
      const rv = Number(event.object.metadata?.resourceVersion ?? 0);
      if (rv > lastRevision) lastRevision = rv;
    }
    if (!headersSent) {
      pending.push(event);
      return;
    }
    res.write(encode(event));
    if (res.writableLength > MAX_PENDING_BYTES) finish();
  };

  let handle: { cancel(): void } | undefined;
  let timeout: NodeJS.Timeout | undefined;
  let bookmarks: NodeJS.Timeout | undefined;
  const startStream = (): void => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
    headersSent = true;
    if (pending.length) res.write(pending.map(encode).join(''));
    else res.flushHeaders();
    pending.length = 0;
  };
  const finish = (): void => {
    if (closed) return;
    // An ERROR found while starting (e.g. 410 Expired) still goes out inside a stream, as upstream sends it.
    if (!headersSent && !res.destroyed && pending.length) startStream();
    closed = true;
    handle?.cancel();
    clearTimeout(timeout);
    clearInterval(bookmarks);
    if (!res.writableEnded) res.end();
  };
  req.on('close', finish);
  res.on('close', finish);

  // Start the watch before the headers so that a bad resourceVersion can still be a plain Status answer.
  const started = await store.watch(def, info.namespace, {
    filter,
    resourceVersion: query.get('resourceVersion') ?? undefined,
    sendInitialEvents,
    onEvent: send,
    onEnd: finish,
  });
  handle = started;
  lastRevision = Math.max(lastRevision, started.revision);
  if (closed) {
    handle.cancel();
    return;
  }
  startStream();
  timeout = setTimeout(finish, timeoutS * 1000);
  if (allowBookmarks) {
    bookmarks = setInterval(() => send({ type: 'BOOKMARK', object: bookmarkObject(def, lastRevision) }), BOOKMARK_INTERVAL_MS);
    bookmarks.unref();
  }
  timeout.unref();
}
