// Create-only, never-stored review resources (authentication.k8s.io, authorization.k8s.io) and TokenRequest.
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as errors from './errors.ts';
import { decodeBody, readBody } from './negotiate.ts';
import { writeJson } from './respond.ts';
import type { ResourceRequestInfo } from './request-info.ts';
import type { GenericStore } from '../registry/store.ts';
import type { Catalogue } from '../registry/catalogue.ts';
import type { FieldError, KubeObject, ResourceDef } from '../registry/types.ts';
import type { Security } from '../auth/security.ts';
import type { Attributes, UserInfo } from '../auth/types.ts';

const BODY_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'] as const;

export interface VirtualContext {
  req: IncomingMessage;
  res: ServerResponse;
  info: ResourceRequestInfo;
  def: ResourceDef;
  user: UserInfo;
  security: Security;
  store: GenericStore;
  catalogue: Catalogue;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Rec) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

async function readReview(ctx: VirtualContext, kind: string, apiVersion: string): Promise<KubeObject> {
  const body = decodeBody(await readBody(ctx.req), ctx.req.headers['content-type'], BODY_TYPES);
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw errors.badRequest(`Object 'Kind' is missing in '${JSON.stringify(body)}'`);
  const obj = body as KubeObject;
  if (obj.kind !== undefined && obj.kind !== kind) throw errors.badRequest(`${obj.kind} in version "v1" cannot be handled as a ${kind}: no kind "${obj.kind}" is registered for version "${obj.apiVersion ?? ''}"`);
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) throw errors.badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`);
  obj.metadata = rec(obj.metadata);
  return obj;
}

function respond(ctx: VirtualContext, obj: KubeObject, status: Rec): void {
  const metadata = { ...obj.metadata, creationTimestamp: null };
  writeJson(ctx.res, 201, { kind: ctx.def.kind, apiVersion: `${ctx.def.group}/${ctx.def.version}`, metadata, spec: obj.spec ?? {}, status });
}

function invalid(ctx: VirtualContext, errs: FieldError[]): errors.ApiError {
  return errors.invalid(ctx.def.kind, ctx.def.group, '', errs);
}

/** Attributes of a SubjectAccessReview-style spec, or field errors. */
function reviewAttributes(ctx: VirtualContext, spec: Rec, user: UserInfo): Attributes {
  const ra = spec.resourceAttributes === undefined || spec.resourceAttributes === null ? undefined : rec(spec.resourceAttributes);
  const nra = spec.nonResourceAttributes === undefined || spec.nonResourceAttributes === null ? undefined : rec(spec.nonResourceAttributes);
  if (!!ra === !!nra) {
    throw invalid(ctx, [{ type: 'FieldValueInvalid', field: 'spec.resourceAttributes', message: `Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified` }]);
  }
  if (ra) {
    return { user, verb: str(ra.verb), isResourceRequest: true, path: '', namespace: str(ra.namespace), apiGroup: str(ra.group), apiVersion: str(ra.version), resource: str(ra.resource), subresource: str(ra.subresource), name: str(ra.name) };
  }
  return { user, verb: str(nra!.verb), isResourceRequest: false, path: str(nra!.path), namespace: '', apiGroup: '', apiVersion: '', resource: '', subresource: '', name: '' };
}

function accessStatus(ctx: VirtualContext, attrs: Attributes): Rec {
  const r = ctx.security.authorizer.authorize(attrs);
  const status: Rec = { allowed: r.decision === 'allow' };
  if (r.decision === 'deny') status.denied = true;
  if (r.reason) status.reason = r.reason;
  return status;
}

function userInfoJson(u: UserInfo): Rec {
  const out: Rec = { username: u.name };
  if (u.uid) out.uid = u.uid;
  out.groups = u.groups;
  if (u.extra && Object.keys(u.extra).length) out.extra = u.extra;
  return out;
}

async function selfSubjectAccessReview(ctx: VirtualContext): Promise<void> {
  const obj = await readReview(ctx, 'SelfSubjectAccessReview', 'authorization.k8s.io/v1');
  respond(ctx, obj, accessStatus(ctx, reviewAttributes(ctx, rec(obj.spec), ctx.user)));
}

async function subjectAccessReview(ctx: VirtualContext, local: boolean): Promise<void> {
  const kind = local ? 'LocalSubjectAccessReview' : 'SubjectAccessReview';
  const obj = await readReview(ctx, kind, 'authorization.k8s.io/v1');
  const spec = rec(obj.spec);
  const groups = strs(spec.groups);
  if (!str(spec.user) && groups.length === 0) {
    throw invalid(ctx, [{ type: 'FieldValueInvalid', field: 'spec.user', message: 'Invalid value: "": at least one of user or group must be specified' }]);
  }
  const subject: UserInfo = { name: str(spec.user), uid: str(spec.uid), groups };
  const extra = rec(spec.extra);
  if (Object.keys(extra).length) subject.extra = Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, strs(v)]));
  const attrs = reviewAttributes(ctx, spec, subject);
  if (local) {
    const ns = ctx.info.namespace;
    if (!attrs.isResourceRequest) throw invalid(ctx, [{ type: 'FieldValueInvalid', field: 'spec.nonResourceAttributes', message: 'Invalid value: "": disallowed on this kind of request' }]);
    if (attrs.namespace !== ns) {
      throw invalid(ctx, [{ type: 'FieldValueInvalid', field: 'spec.resourceAttributes.namespace', message: `Invalid value: ${JSON.stringify(attrs.namespace)}: must match metadata.namespace` }]);
    }
    obj.metadata.namespace = ns;
  }
  respond(ctx, obj, accessStatus(ctx, attrs));
}

async function selfSubjectRulesReview(ctx: VirtualContext): Promise<void> {
  const obj = await readReview(ctx, 'SelfSubjectRulesReview', 'authorization.k8s.io/v1');
  const ns = str(rec(obj.spec).namespace);
  const { rules, errors: resolution } = ctx.security.rbac.rulesFor(ctx.user, ns);
  const resourceRules: Rec[] = [];
  const nonResourceRules: Rec[] = [];
  for (const r of rules) {
    if (r.nonResourceURLs?.length) nonResourceRules.push({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs });
    else {
      const rr: Rec = { verbs: r.verbs, apiGroups: r.apiGroups ?? [], resources: r.resources ?? [] };
      if (r.resourceNames?.length) rr.resourceNames = r.resourceNames;
      resourceRules.push(rr);
    }
  }
  const status: Rec = { resourceRules, nonResourceRules, incomplete: resolution.length > 0 };
  if (resolution.length) status.evaluationError = resolution.join(', ');
  respond(ctx, obj, status);
}

async function selfSubjectReview(ctx: VirtualContext): Promise<void> {
  const obj = await readReview(ctx, 'SelfSubjectReview', 'authentication.k8s.io/v1');
  const metadata = { ...obj.metadata, creationTimestamp: null };
  writeJson(ctx.res, 201, { kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', metadata, status: { userInfo: userInfoJson(ctx.user) } });
}

async function tokenReview(ctx: VirtualContext): Promise<void> {
  const obj = await readReview(ctx, 'TokenReview', 'authentication.k8s.io/v1');
  const spec = rec(obj.spec);
  const token = str(spec.token);
  if (!token) throw invalid(ctx, [{ type: 'FieldValueRequired', field: 'spec.token', message: 'Required value' }]);
  const audiences = strs(spec.audiences);
  const found = await ctx.security.authenticator.authenticateToken(token, audiences.length ? audiences : undefined);
  const status: Rec = found ? { authenticated: true, user: userInfoJson(found.user), audiences: found.audiences } : { user: {}, error: '[invalid bearer token, token lookup failed]' };
  respond(ctx, obj, status);
}

/** POST serviceaccounts/{name}/token: a bound token for the service account (optionally bound to a pod, secret or node). */
export async function tokenRequest(ctx: VirtualContext): Promise<void> {
  if (ctx.info.verb !== 'create') throw errors.methodNotAllowed();
  const obj = await readReview(ctx, 'TokenRequest', 'authentication.k8s.io/v1');
  const spec = rec(obj.spec);
  const ns = ctx.info.namespace;
  const saDef = ctx.catalogue.find('', 'v1', 'serviceaccounts')!;
  const sa = await ctx.store.get(saDef, ns, ctx.info.name);
  const expirationSeconds = spec.expirationSeconds === undefined || spec.expirationSeconds === null ? 3600 : Number(spec.expirationSeconds);
  const errs: FieldError[] = [];
  if (!Number.isInteger(expirationSeconds) || expirationSeconds < 600) errs.push({ type: 'FieldValueInvalid', field: 'spec.expirationSeconds', message: `Invalid value: ${String(spec.expirationSeconds)}: may not specify a duration less than 10 minutes` });
  else if (expirationSeconds > 2 ** 32) errs.push({ type: 'FieldValueTooLong', field: 'spec.expirationSeconds', message: `Invalid value: ${expirationSeconds}: may not specify a duration larger than 2^32 seconds` });
  if (errs.length) throw errors.invalid('TokenRequest', 'authentication.k8s.io', ctx.info.name, errs);
  const audiences = strs(spec.audiences).length ? strs(spec.audiences) : [...ctx.security.serviceAccountTokens.apiAudiences];
  const bound = spec.boundObjectRef === undefined || spec.boundObjectRef === null ? undefined : rec(spec.boundObjectRef);
  const issue: Parameters<typeof ctx.security.serviceAccountTokens.issue>[0] = {
    namespace: ns,
    serviceAccount: { name: sa.metadata.name!, uid: sa.metadata.uid! },
    audiences,
    expirationSeconds,
  };
  if (bound) {
    const kind = str(bound.kind);
    if (kind !== 'Pod' && kind !== 'Secret' && kind !== 'Node') {
      throw errors.badRequest(`cannot bind token for serviceaccount "${ctx.info.name}" to object of kind "${kind}"`);
    }
    const name = str(bound.name);
    const uid = await ctx.security.lookup.uidOf(kind, ns, name);
    const plural = `${kind.toLowerCase()}s`;
    if (uid === undefined) throw errors.notFound({ group: '', plural }, name);
    if (str(bound.uid) && str(bound.uid) !== uid) {
      throw errors.conflict({ group: '', plural }, name, `the UID in the bound object reference (${str(bound.uid)}) does not match the UID in record. The object might have been deleted and then recreated`);
    }
    const ref = { name, uid };
    if (kind === 'Pod') issue.pod = ref;
    else if (kind === 'Secret') issue.secret = ref;
    else issue.node = ref;
    bound.uid = uid;
  }
  const { token, expiresAt } = await ctx.security.serviceAccountTokens.issue(issue);
  const outSpec: Rec = { audiences, expirationSeconds, boundObjectRef: bound ?? null };
  writeJson(ctx.res, 201, {
    kind: 'TokenRequest',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { name: ctx.info.name, namespace: ns, creationTimestamp: null },
    spec: outSpec,
    status: { token, expirationTimestamp: expiresAt.toISOString().replace(/\.\d{3}Z$/, 'Z') },
  });
}

const HANDLERS: Readonly<Record<string, (ctx: VirtualContext) => Promise<void>>> = {
  'authentication.k8s.io/tokenreviews': tokenReview,
  'authentication.k8s.io/selfsubjectreviews': selfSubjectReview,
  'authorization.k8s.io/selfsubjectaccessreviews': selfSubjectAccessReview,
  'authorization.k8s.io/selfsubjectrulesreviews': selfSubjectRulesReview,
  'authorization.k8s.io/subjectaccessreviews': (ctx) => subjectAccessReview(ctx, false),
  'authorization.k8s.io/localsubjectaccessreviews': (ctx) => subjectAccessReview(ctx, true),
};

/**
 * The handler for a virtual (create-only, never stored) resource or subresource, if the request addresses one:
 * the review kinds, and `serviceaccounts/{name}/token`. Anything else goes to the generic resource handlers.
 */
export function virtualHandler(info: ResourceRequestInfo, def: ResourceDef): ((ctx: VirtualContext) => Promise<void>) | undefined {
  if (def.group === '' && def.plural === 'serviceaccounts' && info.subresource === 'token' && info.name) return tokenRequest;
  const h = HANDLERS[`${def.group}/${def.plural}`];
  if (!h) return undefined;
  return async (ctx) => {
    if (ctx.info.verb !== 'create' || ctx.info.name || ctx.info.subresource) throw errors.methodNotAllowed();
    await h(ctx);
  };
}
