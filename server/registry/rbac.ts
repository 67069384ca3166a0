// rbac.authorization.k8s.io/v1: roles, rolebindings, clusterroles, clusterrolebindings with upstream's rules and printers.
import type { Column, FieldError, KubeObject, ResourceDef } from './types.ts';
import { arr, child, defaultString, get, jsonEqual, obj, records, str } from './object.ts';
import { ageColumn, stringColumn } from './columns.ts';
import { nameIsPathSegment, validateObjectMeta, validateObjectMetaUpdate } from './meta-validation.ts';
import { validateLabelSelector } from './selector.ts';
import { fp, goQuote, goStringSlice, GoText, idx, invalid, isDNS1123Subdomain, notSupported, required } from './validation.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

function validatePolicyRule(rule: Record<string, unknown>, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  if (arr(rule.verbs).length === 0) errs.push(required(fp(field, 'verbs'), 'verbs must contain at least one value'));
  const urls = arr(rule.nonResourceURLs).map(String);
  if (urls.length > 0) {
    if (namespaced) errs.push(invalid(fp(field, 'nonResourceURLs'), new GoText(goStringSlice(urls)), 'namespaced rules cannot apply to non-resource URLs'));
    if (arr(rule.apiGroups).length > 0 || arr(rule.resources).length > 0 || arr(rule.resourceNames).length > 0) {
      errs.push(invalid(fp(field, 'nonResourceURLs'), new GoText(goStringSlice(urls)), 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (arr(rule.apiGroups).length === 0) errs.push(required(fp(field, 'apiGroups'), 'resource rules must supply at least one api group'));
  if (arr(rule.resources).length === 0) errs.push(required(fp(field, 'resources'), 'resource rules must supply at least one resource'));
  return errs;
}

function validateRole(role: Readonly<KubeObject>, namespaced: boolean): FieldError[] {
  const errs = validateObjectMeta(role.metadata, { namespaced, name: nameIsPathSegment });
  arr(role.rules).forEach((r, i) => errs.push(...validatePolicyRule(obj(r) ?? {}, namespaced, idx('rules', i))));
  if (!namespaced) {
    records(get(role, 'aggregationRule.clusterRoleSelectors')).forEach((sel, i) => {
      errs.push(...validateLabelSelector(sel, idx('aggregationRule.clusterRoleSelectors', i)));
    });
  }
  return errs;
}

function validateSubject(s: Record<string, unknown>, namespaced: boolean, field: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = str(s.name);
  if (!name) errs.push(required(fp(field, 'name')));
  const apiGroup = str(s.apiGroup);
  switch (s.kind) {
    case 'ServiceAccount':
      if (name) for (const m of isDNS1123Subdomain(name)) errs.push(invalid(fp(field, 'name'), name, m));
      if (apiGroup) errs.push(notSupported(fp(field, 'apiGroup'), apiGroup, ['']));
      if (!namespaced && !str(s.namespace)) errs.push(required(fp(field, 'namespace')));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) errs.push(notSupported(fp(field, 'apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(notSupported(fp(field, 'kind'), str(s.kind), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function validateBinding(b: Readonly<KubeObject>, namespaced: boolean): FieldError[] {
  const errs = validateObjectMeta(b.metadata, { namespaced, name: nameIsPathSegment });
  const ref = obj(b.roleRef) ?? {};
  const apiGroup = str(ref.apiGroup);
  if (apiGroup !== RBAC_GROUP) errs.push(notSupported('roleRef.apiGroup', apiGroup, [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errs.push(notSupported('roleRef.kind', str(ref.kind), kinds));
  const roleName = str(ref.name);
  if (!roleName) errs.push(required('roleRef.name'));
  else for (const m of nameIsPathSegment(roleName, false)) errs.push(invalid('roleRef.name', roleName, m));
  arr(b.subjects).forEach((s, i) => errs.push(...validateSubject(obj(s) ?? {}, namespaced, idx('subjects', i))));
  return errs;
}

/** roleRef is immutable: upstream prints the new RoleRef as a Go struct. */
function roleRefUnchanged(b: Readonly<KubeObject>, old: Readonly<KubeObject>): FieldError[] {
  if (jsonEqual(b.roleRef, old.roleRef)) return [];
  const r = obj(b.roleRef) ?? {};
  const text = `rbac.RoleRef{APIGroup:${goQuote(str(r.apiGroup))}, Kind:${goQuote(str(r.kind))}, Name:${goQuote(str(r.name))}}`;
  return [invalid('roleRef', new GoText(text), 'cannot change roleRef')];
}

/** SetDefaults_Subject and SetDefaults_*Binding: the API groups left out by clients. */
function defaultBinding(b: KubeObject): void {
  defaultString(child(b, 'roleRef'), 'apiGroup', RBAC_GROUP);
  for (const s of records(b.subjects)) {
    if (str(s.apiGroup)) continue;
    if (s.kind === 'User' || s.kind === 'Group') s.apiGroup = RBAC_GROUP;
    else if (s.kind === 'ServiceAccount') s.apiGroup = '';
  }
}

/** rbac.SubjectsStrings, joined by ", " (users, groups, `namespace/name` of service accounts). */
function subjectsOf(b: KubeObject, kind: string): string {
  return records(b.subjects)
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${str(s.namespace)}/${str(s.name)}` : str(s.name)))
    .join(', ');
}

function bindingColumns(what: string): Column[] {
  return [
    stringColumn('Role', 'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace.', 0, (o) => `${str(get(o, 'roleRef.kind'))}/${str(get(o, 'roleRef.name'))}`),
    ageColumn,
    stringColumn('Users', `Users in the ${what}`, 1, (o) => subjectsOf(o, 'User')),
    stringColumn('Groups', `Groups in the ${what}`, 1, (o) => subjectsOf(o, 'Group')),
    stringColumn('ServiceAccounts', `ServiceAccounts in the ${what}`, 1, (o) => subjectsOf(o, 'ServiceAccount')),
  ];
}

const base = { group: RBAC_GROUP, version: 'v1', allowCreateOnUpdate: true } as const;

export const roles: ResourceDef = {
  ...base,
  kind: 'Role',
  plural: 'roles',
  singular: 'role',
  namespaced: true,
  strategy: {
    validate: (r) => validateRole(r, true),
    validateUpdate: (r, old) => [...validateObjectMetaUpdate(r.metadata, old.metadata), ...validateRole(r, true).filter((e) => !e.field.startsWith('metadata.'))],
  },
};

export const rolebindings: ResourceDef = {
  ...base,
  kind: 'RoleBinding',
  plural: 'rolebindings',
  singular: 'rolebinding',
  namespaced: true,
  strategy: {
    prepareForCreate: defaultBinding,
    prepareForUpdate: defaultBinding,
    validate: (b) => validateBinding(b, true),
    validateUpdate: (b, old) => [...validateObjectMetaUpdate(b.metadata, old.metadata), ...validateBinding(b, true).filter((e) => !e.field.startsWith('metadata.')), ...roleRefUnchanged(b, old)],
  },
  columns: bindingColumns('roleBinding'),
};

export const clusterroles: ResourceDef = {
  ...base,
  kind: 'ClusterRole',
  plural: 'clusterroles',
  singular: 'clusterrole',
  namespaced: false,
  strategy: {
    validate: (r) => validateRole(r, false),
    validateUpdate: (r, old) => [...validateObjectMetaUpdate(r.metadata, old.metadata), ...validateRole(r, false).filter((e) => !e.field.startsWith('metadata.'))],
  },
};

export const clusterrolebindings: ResourceDef = {
  ...base,
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  singular: 'clusterrolebinding',
  namespaced: false,
  strategy: {
    prepareForCreate: defaultBinding,
    prepareForUpdate: defaultBinding,
    validate: (b) => validateBinding(b, false),
    validateUpdate: (b, old) => [...validateObjectMetaUpdate(b.metadata, old.metadata), ...validateBinding(b, false).filter((e) => !e.field.startsWith('metadata.')), ...roleRefUnchanged(b, old)],
  },
  columns: bindingColumns('clusterRoleBinding'),
};

export const rbacResources: readonly ResourceDef[] = [clusterrolebindings, clusterroles, rolebindings, roles];

