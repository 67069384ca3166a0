// The authorization chain (system:masters → Node → RBAC) and upstream's 403 texts; request → Attributes.
import * as errors from '../http/errors.ts';
import type { RequestInfo } from '../http/request-info.ts';
import type { Attributes, Authorizer, AuthorizerResult, UserInfo } from './types.ts';
import { MASTERS_GROUP } from './types.ts';

/**
 * Builds authorizer attributes from a parsed request. Like upstream's RequestInfoFactory, a list or watch whose
 * field selector pins `metadata.name` is treated as addressing that name (so resourceNames rules apply).
 */
export function attributesOf(user: UserInfo, info: RequestInfo, query: URLSearchParams): Attributes {
  if (!info.isResourceRequest) {
    return { user, verb: info.verb, isResourceRequest: false, path: info.path, namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '' };
  }
  let name = info.name;
  if (!name && (info.verb === 'list' || info.verb === 'watch')) {
    const fs = query.get('fieldSelector') ?? '';
    const m = /^metadata\.name==?([^,]*)$/.exec(fs);
    if (m) name = m[1];
  }
  let namespace = info.namespace;
  // /api/v1/namespaces/{name} addresses the namespace object: upstream puts its name in both fields.
  if (info.resource === 'namespaces' && !namespace && info.name) namespace = info.name;
  return {
    user,
    verb: info.verb,
    isResourceRequest: true,
    path: info.path,
    namespace,
    apiGroup: info.group,
    apiVersion: info.version,
    resource: info.resource,
    subresource: info.subresource,
    name,
  };
}

/** Upstream's privileged-group authorizer: system:masters may do anything. */
const mastersAuthorizer: Authorizer = {
  authorize: (a) => (a.user.groups.includes(MASTERS_GROUP) ? { decision: 'allow', reason: '' } : { decision: 'noOpinion', reason: '' }),
};

/** Asks each authorizer in turn; the first allow or deny wins; reasons of the others are joined as upstream's union. */
export class UnionAuthorizer implements Authorizer {
  readonly #chain: readonly Authorizer[];

  constructor(chain: readonly Authorizer[]) {
    this.#chain = [mastersAuthorizer, ...chain];
  }

  authorize(attrs: Attributes): AuthorizerResult {
    const reasons: string[] = [];
    for (const a of this.#chain) {
      const r = a.authorize(attrs);
      if (r.decision !== 'noOpinion') return r;
      if (r.reason) reasons.push(r.reason);
    }
    return { decision: 'noOpinion', reason: reasons.join('\n') };
  }
}

/** `User "x" cannot list resource "pods" in API group "" in the namespace "ns"` (upstream's forbiddenMessage). */
export function forbiddenMessage(a: Attributes): string {
  if (!a.isResourceRequest) return `User ${JSON.stringify(a.user.name)} cannot ${a.verb} path ${JSON.stringify(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace ${JSON.stringify(a.namespace)}` : 'at the cluster scope';
  return `User ${JSON.stringify(a.user.name)} cannot ${a.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(a.apiGroup)} ${where}`;
}

/**
 * The 403 Status upstream writes for a denied request: `pods is forbidden: <message>`, `pods "x" is forbidden: …`,
 * `forbidden: …` for non-resource paths; the authorizer's reason is appended after `: `.
 */
export function forbiddenError(a: Attributes, reason: string): errors.ApiError {
  const msg = reason ? `${forbiddenMessage(a)}: ${reason}` : forbiddenMessage(a);
  return forbiddenFor(a.isResourceRequest ? { group: a.apiGroup, resource: a.resource } : undefined, a.name, msg);
}

/** apierrors.NewForbidden: the qualified resource and name lead the message, details name them. */
export function forbiddenFor(gr: { group: string; resource: string } | undefined, name: string, message: string): errors.ApiError {
  if (!gr || !gr.resource) return errors.forbidden(`forbidden: ${message}`, {});
  const qualified = gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
  const head = name ? `${qualified} ${JSON.stringify(name)} is forbidden` : `${qualified} is forbidden`;
  // Field order as upstream's StatusDetails: name, group, kind.
  const details: errors.StatusDetails = {};
  if (name) details.name = name;
  if (gr.group) details.group = gr.group;
  details.kind = gr.resource;
  return errors.forbidden(`${head}: ${message}`, details);
}
