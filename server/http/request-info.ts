// Parses a request path + method into what it addresses, as upstream's RequestInfoFactory does.

export type RequestVerb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'proxy'
  // non-resource requests use the lower-cased HTTP method
  | 'head'
  | 'options';

export interface ResourceRequestInfo {
  isResourceRequest: true;
  verb: RequestVerb;
  /** '' for the core group. */
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
  subresource: string;
  /** Path segments after the subresource (e.g. pods/x/proxy/a/b). */
  parts: string[];
  path: string;
}

export interface NonResourceRequestInfo {
  isResourceRequest: false;
  verb: string;
  path: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

const WATCH_TRUE = new Set(['true', '1']);

/**
 * Upstream's rules: `/api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]` and the same under
 * `/apis/{group}/{version}`; `/namespaces/{name}` itself addresses the namespace; a legacy `watch/` prefix and
 * `?watch=true` turn get/list into watch.
 */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const segments = path.replace(/^\/+|\/+$/g, '').split('/');
  const lowerMethod = method.toLowerCase();
  let rest: string[];
  let group = '';
  if (segments[0] === 'api' && segments.length >= 2) {
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    group = segments[1];
    rest = segments.slice(3);
  } else {
    return { isResourceRequest: false, verb: lowerMethod, path };
  }
  const version = segments[0] === 'api' ? segments[1] : segments[2];
  if (rest.length === 0) return { isResourceRequest: false, verb: lowerMethod, path };

  let verb: RequestVerb;
  switch (method) {
    case 'POST': verb = 'create'; break;
    case 'GET': case 'HEAD': verb = 'get'; break;
    case 'PUT': verb = 'update'; break;
    case 'PATCH': verb = 'patch'; break;
    case 'DELETE': verb = 'delete'; break;
    default: verb = lowerMethod as RequestVerb;
  }
  if (rest[0] === 'watch') {
    verb = 'watch';
    rest = rest.slice(1);
  } else if (rest[0] === 'proxy') {
    verb = 'proxy';
    rest = rest.slice(1);
  }

  let namespace = '';
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    // /namespaces/{ns} and /namespaces/{ns}/status address the namespace object itself
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2])) rest = rest.slice(2);
  }
  const resource = rest[0] ?? '';
  const name = rest[1] ?? '';
  const subresource = rest[2] ?? '';
  const parts = rest.slice(3);

  if (!name && verb === 'get') verb = 'list';
  if (!name && verb === 'delete') verb = 'deletecollection';
  if ((verb === 'list' || verb === 'get') && WATCH_TRUE.has(query.get('watch') ?? '')) verb = 'watch';
  return { isResourceRequest: true, verb, group, version, namespace, resource, name, subresource, parts, path };
}

/** Subresources of a namespace object itself (`/api/v1/namespaces/{ns}/status`). */
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
