// RBAC rule semantics: matching requests, covering (escalation) and upstream's compact rule texts.
import { describe, expect, it } from 'vitest';
import type { Attributes, PolicyRule } from '../types.ts';
import { compactRules, compactString, ruleAllows, uncoveredRules } from './rules.ts';
import { escalationMessage } from '../admission/rbac-escalation.ts';
import { forbiddenError } from '../authorizer.ts';

const user = { name: 'jane', uid: '', groups: ['system:authenticated'] };
const req = (over: Partial<Attributes>): Attributes => ({ user, verb: 'get', isResourceRequest: true, path: '', namespace: 'default', apiGroup: '', apiVersion: 'v1', resource: 'pods', subresource: '', name: '', ...over });

describe('ruleAllows', () => {
  it.each<[string, PolicyRule, Partial<Attributes>, boolean]>([
    ['exact verb, group and resource', { verbs: ['list'], apiGroups: [''], resources: ['pods'] }, { verb: 'list' }, true],
    ['another verb', { verbs: ['list'], apiGroups: [''], resources: ['pods'] }, { verb: 'delete' }, false],
    ['verb *', { verbs: ['*'], apiGroups: [''], resources: ['pods'] }, { verb: 'delete' }, true],
    ['another group', { verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, {}, false],
    ['group *', { verbs: ['get'], apiGroups: ['*'], resources: ['pods'] }, {}, true],
    ['a subresource needs its own rule', { verbs: ['get'], apiGroups: [''], resources: ['pods'] }, { subresource: 'log' }, false],
    ['pods/log', { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, { subresource: 'log' }, true],
    ['*/log', { verbs: ['get'], apiGroups: [''], resources: ['*/log'] }, { subresource: 'log' }, true],
    ['resourceNames match the name', { verbs: ['get'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }, { name: 'a' }, true],
    ['resourceNames never match a list', { verbs: ['list'], apiGroups: [''], resources: ['pods'], resourceNames: ['a'] }, { verb: 'list' }, false],
    ['non-resource exact', { verbs: ['get'], nonResourceURLs: ['/healthz'] }, { isResourceRequest: false, path: '/healthz' }, true],
    ['non-resource prefix *', { verbs: ['get'], nonResourceURLs: ['/apis/*'] }, { isResourceRequest: false, path: '/apis/apps/v1' }, true],
    ['non-resource rule never matches resources', { verbs: ['get'], nonResourceURLs: ['*'] }, {}, false],
  ])('%s', (_name, rule, over, allowed) => {
    expect(ruleAllows(req(over), rule)).toBe(allowed);
  });
});

describe('escalation checks', () => {
  it('find what the owner lacks, broken down per verb', () => {
    const owner: PolicyRule[] = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }];
    const missing = uncoveredRules(owner, [{ verbs: ['get', 'create', 'delete'], apiGroups: [''], resources: ['pods', 'secrets'] }]);
    expect(compactRules(missing).map(compactString)).toEqual([
      '{APIGroups:[""], Resources:["pods"], Verbs:["create" "delete"]}',
      '{APIGroups:[""], Resources:["secrets"], Verbs:["get" "create" "delete"]}',
    ]);
  });

  it('treat */subresource and * as covering', () => {
    expect(uncoveredRules([{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], [{ verbs: ['get'], apiGroups: ['x'], resources: ['y/z'] }])).toEqual([]);
    expect(uncoveredRules([{ verbs: ['get'], apiGroups: [''], resources: ['*/log'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }])).toEqual([]);
  });

  it('word the refusal as upstream', () => {
    const msg = escalationMessage({ name: 'jane', uid: '', groups: ['a', 'system:authenticated'] }, [{ verbs: ['list'], apiGroups: [''], resources: ['nodes'] }], []);
    expect(msg).toBe('user "jane" (groups=["a" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["list"]}');
  });
});

describe('403 messages', () => {
  it.each<[Partial<Attributes>, string]>([
    [{ verb: 'list' }, 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"'],
    [{ verb: 'list', namespace: '' }, 'pods is forbidden: User "jane" cannot list resource "pods" in API group "" at the cluster scope'],
    [{ name: 'p', subresource: 'log' }, 'pods "p" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace "default"'],
    [{ apiGroup: 'apps', resource: 'deployments', verb: 'create' }, 'deployments.apps is forbidden: User "jane" cannot create resource "deployments" in API group "apps" in the namespace "default"'],
    [{ isResourceRequest: false, path: '/foo' }, 'forbidden: User "jane" cannot get path "/foo"'],
  ])('%j', (over, message) => {
    const e = forbiddenError(req(over), '');
    expect(e.code).toBe(403);
    expect(e.message).toBe(message);
  });
});
