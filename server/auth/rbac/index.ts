// The RBAC authorizer: an in-memory index of Roles, ClusterRoles and their bindings, fed by watches on our own store.
import type { GenericStore } from '../../registry/store.ts';
import { WatchCache } from '../../registry/watch-cache.ts';
import type { Catalogue } from '../../registry/catalogue.ts';
import type { KubeObject } from '../../registry/types.ts';
import type { Attributes, Authorizer, AuthorizerResult, PolicyRule, UserInfo } from '../types.ts';
import { serviceAccountOf } from '../types.ts';
import { ruleAllows, rulesOf } from './rules.ts';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface Binding {
  namespace: string;
  name: string;
  roleKind: string;
  roleName: string;
  subjects: Subject[];
}

function bindingOf(obj: KubeObject): Binding {
  const ref = (obj.roleRef ?? {}) as { kind?: string; name?: string };
  const subjects = Array.isArray(obj.subjects) ? (obj.subjects as Subject[]).filter((s) => s && typeof s === 'object') : [];
  return { namespace: obj.metadata.namespace ?? '', name: obj.metadata.name ?? '', roleKind: ref.kind ?? '', roleName: ref.name ?? '', subjects };
}

/** Upstream's appliesTo: User by name, Group by membership, ServiceAccount by the SA user name (namespace defaulted). */
export function subjectMatches(s: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === user.name;
    case 'Group':
      return user.groups.includes(s.name);
    case 'ServiceAccount': {
      const sa = serviceAccountOf(user.name);
      return !!sa && sa[1] === s.name && sa[0] === (s.namespace || bindingNamespace);
    }
    default:
      return false;
  }
}

/** Keys a user may appear under in the subject index. */
function subjectKeys(user: UserInfo): string[] {
  const keys = [`User:${user.name}`, ...user.groups.map((g) => `Group:${g}`)];
  const sa = serviceAccountOf(user.name);
  if (sa) keys.push(`ServiceAccount:${sa[1]}`);
  return keys;
}

function bindingKeys(b: Binding): string[] {
  return b.subjects.map((s) => (s.kind === 'ServiceAccount' ? `ServiceAccount:${s.name}` : `${s.kind}:${s.name}`));
}

/** A set of bindings indexed by the subjects they name. */
class BindingIndex {
  readonly #byId = new Map<string, Binding>();
  readonly #bySubject = new Map<string, Set<string>>();

  set(id: string, b: Binding | undefined): void {
    const old = this.#byId.get(id);
    if (old) for (const k of bindingKeys(old)) this.#bySubject.get(k)?.delete(id);
    if (!b) {
      this.#byId.delete(id);
      return;
    }
    this.#byId.set(id, b);
    for (const k of bindingKeys(b)) {
      let set = this.#bySubject.get(k);
      if (!set) this.#bySubject.set(k, (set = new Set()));
      set.add(id);
    }
  }

  /** Bindings (optionally only in one namespace) that name this user. */
  forUser(user: UserInfo, namespace?: string): Binding[] {
    const ids = new Set<string>();
    for (const k of subjectKeys(user)) for (const id of this.#bySubject.get(k) ?? []) ids.add(id);
    const out: Binding[] = [];
    for (const id of ids) {
      const b = this.#byId.get(id)!;
      if (namespace !== undefined && b.namespace !== namespace) continue;
      if (b.subjects.some((s) => subjectMatches(s, user, b.namespace))) out.push(b);
    }
    return out.sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1));
  }
}

/** Rules a user holds, with the resolution errors (bindings to missing roles) upstream reports. */
export interface ResolvedRules {
  rules: PolicyRule[];
  errors: string[];
}

/**
 * The RBAC policy in memory. `start` lists and watches the four RBAC resources through the store and resolves
 * once the current state is loaded; afterwards every committed change is applied as its watch event arrives.
 */
export class RbacIndex implements Authorizer {
  #roles: WatchCache | undefined;
  #clusterRoles: WatchCache | undefined;
  readonly #roleBindings = new BindingIndex();
  readonly #clusterRoleBindings = new BindingIndex();
  #caches: WatchCache[] = [];
  readonly #clusterRoleListeners: (() => void)[] = [];

  async start(store: GenericStore, catalogue: Catalogue): Promise<void> {
    const cacheOf = (plural: string): WatchCache => WatchCache.of(store, catalogue, RBAC_GROUP, 'v1', plural);
    const id = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const roles = cacheOf('roles');
    const clusterRoles = cacheOf('clusterroles');
    clusterRoles.onChange(() => {
      for (const l of this.#clusterRoleListeners) l();
    });
    const roleBindings = cacheOf('rolebindings');
    roleBindings.onChange((t, o) => this.#roleBindings.set(id(o), t === 'set' ? bindingOf(o) : undefined));
    const clusterRoleBindings = cacheOf('clusterrolebindings');
    clusterRoleBindings.onChange((t, o) => this.#clusterRoleBindings.set(id(o), t === 'set' ? bindingOf(o) : undefined));
    this.#roles = roles;
    this.#clusterRoles = clusterRoles;
    this.#caches = [roles, clusterRoles, roleBindings, clusterRoleBindings];
    // A watch that ends (storage hiccup, compaction) is re-listed by its cache; meanwhile the last policy stays.
    await Promise.all(this.#caches.map((c) => c.start()));
  }

  stop(): void {
    for (const c of this.#caches.splice(0)) c.stop();
  }

  /** Called after every ClusterRole change (the aggregation loop listens). */
  onClusterRoleChange(listener: () => void): void {
    this.#clusterRoleListeners.push(listener);
  }

  clusterRoles(): KubeObject[] {
    return this.#clusterRoles?.list('') ?? [];
  }

  clusterRole(name: string): KubeObject | undefined {
    return this.#clusterRoles?.get('', name);
  }

  role(namespace: string, name: string): KubeObject | undefined {
    return this.#roles?.get(namespace, name);
  }

  #roleRules(b: Binding, errors: string[]): PolicyRule[] {
    if (b.roleKind === 'ClusterRole') {
      const r = this.clusterRole(b.roleName);
      if (!r) errors.push(`clusterrole.rbac.authorization.k8s.io "${b.roleName}" not found`);
      return rulesOf(r);
    }
    if (b.roleKind === 'Role') {
      const r = this.role(b.namespace, b.roleName);
      if (!r) errors.push(`role.rbac.authorization.k8s.io "${b.roleName}" not found`);
      return rulesOf(r);
    }
    return [];
  }

  /** Every rule the user holds cluster-wide plus, with a namespace, in that namespace (upstream's RulesFor). */
  rulesFor(user: UserInfo, namespace: string): ResolvedRules {
    const errors: string[] = [];
    const rules: PolicyRule[] = [];
    for (const b of this.#clusterRoleBindings.forUser(user)) rules.push(...this.#roleRules(b, errors));
    if (namespace) for (const b of this.#roleBindings.forUser(user, namespace)) rules.push(...this.#roleRules(b, errors));
    return { rules, errors };
  }

  authorize(attrs: Attributes): AuthorizerResult {
    const errors: string[] = [];
    for (const b of this.#clusterRoleBindings.forUser(attrs.user)) {
      for (const rule of this.#roleRules(b, errors)) if (ruleAllows(attrs, rule)) return { decision: 'allow', reason: '' };
    }
    if (attrs.namespace) {
      for (const b of this.#roleBindings.forUser(attrs.user, attrs.namespace)) {
        for (const rule of this.#roleRules(b, errors)) if (ruleAllows(attrs, rule)) return { decision: 'allow', reason: '' };
      }
    }
    return { decision: 'noOpinion', reason: errors.length === 0 ? '' : `RBAC: ${errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`}` };
  }
}
