// RBAC escalation prevention: a role or binding may grant only what its writer holds, unless escalate/bind allow more.
import * as errors from '../../http/errors.ts';
import type { KubeObject } from '../../registry/types.ts';
import { forbiddenFor } from '../authorizer.ts';
import type { Attributes, Authorizer, PolicyRule, UserInfo } from '../types.ts';
import { RBAC_GROUP, type RbacIndex } from '../rbac/index.ts';
import { compactRules, compactString, goQuotedList, rulesOf, uncoveredRules } from '../rbac/rules.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';

function rbacAttrs(user: UserInfo, verb: string, resource: string, namespace: string, name: string): Attributes {
  return { user, verb, isResourceRequest: true, path: '', namespace, apiGroup: RBAC_GROUP, apiVersion: 'v1', resource, subresource: '', name };
}

/**
 * Upstream's ConfirmNoEscalation: the message lists every missing rule (broken down, then compacted, sorted) as
 * `user "x" (groups=["a" "b"]) is attempting to grant RBAC permissions not currently held:\n{…}`.
 */
export function escalationMessage(user: UserInfo, missing: readonly PolicyRule[], resolutionErrors: readonly string[]): string {
  const lines = [...new Set(compactRules(missing).map(compactString))].sort();
  let msg = `user ${JSON.stringify(user.name)} (groups=${goQuotedList(user.groups)}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
  if (resolutionErrors.length) msg += `; resolution errors: [${resolutionErrors.join(' ')}]`;
  return msg;
}

/** Validating plugin on roles, clusterroles, rolebindings and clusterrolebindings. */
export function rbacEscalation(index: RbacIndex, authorizer: Authorizer): AdmissionPlugin {
  const allowed = (a: Attributes): boolean => authorizer.authorize(a).decision === 'allow';
  const confirm = (a: AdmissionAttributes, rules: PolicyRule[]): void => {
    const held = index.rulesFor(a.user, a.namespace);
    const missing = uncoveredRules(held.rules, rules);
    if (missing.length === 0) return;
    throw forbiddenFor({ group: RBAC_GROUP, resource: a.def.plural }, a.object.metadata.name ?? '', escalationMessage(a.user, missing, held.errors));
  };
  return {
    name: 'RBACEscalation',
    validate(a) {
      if (a.def.group !== RBAC_GROUP || a.subresource) return;
      const obj = a.object;
      const name = obj.metadata.name ?? '';
      switch (a.def.plural) {
        case 'roles':
        case 'clusterroles': {
          if (a.operation === 'UPDATE' && JSON.stringify(obj.rules ?? []) === JSON.stringify(a.oldObject?.rules ?? []) && JSON.stringify(obj.aggregationRule ?? null) === JSON.stringify(a.oldObject?.aggregationRule ?? null)) return;
          if (allowed(rbacAttrs(a.user, 'escalate', a.def.plural, a.namespace, name))) return;
          if (a.def.plural === 'clusterroles' && obj.aggregationRule) {
            throw forbiddenFor({ group: RBAC_GROUP, resource: 'clusterroles' }, name, 'must have cluster-admin privileges to use the aggregationRule');
          }
          confirm(a, rulesOf(obj));
          return;
        }
        case 'rolebindings':
        case 'clusterrolebindings': {
          if (a.operation === 'UPDATE' && JSON.stringify(obj.roleRef) === JSON.stringify(a.oldObject?.roleRef)) return;
          const ref = (obj.roleRef ?? {}) as { kind?: string; name?: string };
          const roleResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
          if (allowed(rbacAttrs(a.user, 'bind', roleResource, a.namespace, ref.name ?? ''))) return;
          const role: KubeObject | undefined = ref.kind === 'Role' ? index.role(a.namespace, ref.name ?? '') : index.clusterRole(ref.name ?? '');
          if (!role) {
            const what = ref.kind === 'Role' ? 'roles' : 'clusterroles';
            throw errors.notFound({ group: RBAC_GROUP, plural: what }, ref.name ?? '');
          }
          confirm(a, rulesOf(role));
          return;
        }
      }
    },
  };
}
