// Impersonation headers (kubectl --as/--as-group/--as-uid): each asserted attribute needs the `impersonate` verb.
import type { IncomingMessage } from 'node:http';
import * as errors from '../http/errors.ts';
import { forbiddenError } from './authorizer.ts';
import type { Attributes, Authorizer, UserInfo } from './types.ts';
import { ANONYMOUS_USER, AUTHENTICATED_GROUP, SERVICE_ACCOUNTS_GROUP, UNAUTHENTICATED_GROUP, serviceAccountOf } from './types.ts';

function headerValues(req: IncomingMessage, name: string): string[] {
  const v = req.headers[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((x) => x.split(',')).map((x) => x.trim()).filter((x) => x !== '');
}

function impersonateAttrs(user: UserInfo, resource: string, name: string, namespace = '', apiGroup = '', subresource = ''): Attributes {
  return { user, verb: 'impersonate', isResourceRequest: true, path: '', namespace, apiGroup, apiVersion: '', resource, subresource, name };
}

/**
 * Applies impersonation headers, as upstream's WithImpersonation filter: returns the identity to act as (the
 * authenticated user when there are no headers). Throws 403 with upstream's wording when the requester may not
 * impersonate one of the asserted attributes, 400 when groups/extras/uid come without a user.
 */
export function impersonate(req: IncomingMessage, requester: UserInfo, authorizer: Authorizer): UserInfo {
  const userHeader = req.headers['impersonate-user'];
  const groups = headerValues(req, 'impersonate-group');
  const uidHeader = req.headers['impersonate-uid'];
  const extraKeys = Object.keys(req.headers).filter((h) => h.startsWith('impersonate-extra-'));
  if (userHeader === undefined && groups.length === 0 && uidHeader === undefined && extraKeys.length === 0) return requester;
  const name = Array.isArray(userHeader) ? userHeader[0] : userHeader;
  if (!name) throw errors.badRequest(`requested impersonation of groups, uid or extra without impersonating a user`);
  const check = (a: Attributes): void => {
    const r = authorizer.authorize(a);
    if (r.decision !== 'allow') throw forbiddenError(a, r.reason);
  };
  const sa = serviceAccountOf(name);
  if (sa) check(impersonateAttrs(requester, 'serviceaccounts', sa[1], sa[0]));
  else check(impersonateAttrs(requester, 'users', name));
  for (const g of groups) check(impersonateAttrs(requester, 'groups', g));
  const uid = Array.isArray(uidHeader) ? uidHeader[0] : uidHeader;
  if (uid) check(impersonateAttrs(requester, 'uids', uid, '', 'authentication.k8s.io'));
  const extra: Record<string, string[]> = {};
  for (const h of extraKeys) {
    const key = decodeURIComponent(h.slice('impersonate-extra-'.length));
    const values = headerValues(req, h);
    for (const v of values) check(impersonateAttrs(requester, 'userextras', v, '', 'authentication.k8s.io', key));
    extra[key] = values;
  }
  let resultGroups = [...groups];
  if (sa && groups.length === 0) resultGroups = [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${sa[0]}`];
  if (name === ANONYMOUS_USER) {
    if (!resultGroups.includes(UNAUTHENTICATED_GROUP)) resultGroups.push(UNAUTHENTICATED_GROUP);
  } else if (!resultGroups.includes(AUTHENTICATED_GROUP)) {
    resultGroups.push(AUTHENTICATED_GROUP);
  }
  const out: UserInfo = { name, uid: uid ?? '', groups: resultGroups };
  if (Object.keys(extra).length) out.extra = extra;
  return out;
}
