import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../registry/types.ts';
import { evaluateQuotas } from './resourcequota.ts';
import { addLists, objectUsage, podConstraintsMessage, podUsage, prettyPrint } from './quota-usage.ts';

const quota = (name: string, hard: Record<string, string>, used?: Record<string, string>, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name, namespace: 'ns' }, spec: { hard, ...spec }, status: { hard, ...(used ? { used } : {}) },
});
const pod = (containers: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ metadata: { name: 'p' }, spec: { containers, ...extra } });

describe('quota evaluators', () => {
  it('counts a running pod, its compute resources and count/pods', () => {
    const p = pod([{ name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '500m' } } }, { name: 'b', resources: { requests: { cpu: '250m' } } }]);
    expect(podUsage(p)).toEqual({ 'count/pods': '1', pods: '1', cpu: '500m', 'requests.cpu': '500m', memory: '64Mi', 'requests.memory': '64Mi', 'limits.cpu': '500m' });
  });

  it('counts only count/pods for terminal pods', () => {
    expect(podUsage({ ...pod([{ name: 'a' }]), status: { phase: 'Succeeded' } })).toEqual({ 'count/pods': '1' });
    expect(podUsage({ ...pod([{ name: 'a' }]), status: { phase: 'Failed' } })).toEqual({ 'count/pods': '1' });
  });

  it.each([
    ['', 'configmaps', { 'count/configmaps': '1', configmaps: '1' }],
    ['apps', 'deployments', { 'count/deployments.apps': '1' }],
  ])('counts %s/%s objects by their count names', (group, plural, want) => {
    expect(objectUsage(group, plural, { metadata: { name: 'x' } })).toEqual(want);
  });

  it('counts node ports and load balancers of services', () => {
    expect(objectUsage('', 'services', { spec: { type: 'LoadBalancer', ports: [{ port: 1 }, { port: 2 }] } })).toEqual({
      'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '2',
    });
  });

  it('adds keeping the left operand format and prints sorted pairs', () => {
    expect(addLists({ memory: '1Gi', cpu: '500m' }, { memory: '512Mi', cpu: '500m', pods: '1' })).toEqual({ memory: '1536Mi', cpu: '1', pods: '1' });
    expect(prettyPrint({ pods: '1', 'limits.cpu': '2' })).toBe('limits.cpu=2,pods=1');
  });

  it('names containers missing quota-constrained resources as upstream', () => {
    const p = pod([{ name: 'x' }, { name: 'y', resources: { requests: { cpu: '1' } } }]);
    expect(podConstraintsMessage(p, ['limits.cpu', 'requests.cpu', 'pods'])).toBe('must specify limits.cpu for: x,y; requests.cpu for: x');
  });
});

describe('evaluateQuotas', () => {
  it('refuses a pod over the pods quota with the exceeded-quota text', () => {
    const d = evaluateQuotas('', 'pods', pod([{ name: 'a' }]), [quota('q', { pods: '2' }, { pods: '2' })]);
    expect(d).toEqual({ ok: false, message: 'exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2' });
  });

  it('charges every matching quota with the new usage', () => {
    const d = evaluateQuotas('', 'pods', pod([{ name: 'a' }]), [quota('q', { pods: '2', 'count/configmaps': '1' }, { pods: '1', 'count/configmaps': '0' })]);
    expect(d.ok && d.charged.map((c) => c.used)).toEqual([{ pods: '2', 'count/configmaps': '0' }]);
  });

  it('refuses a pod that does not name quota-constrained compute resources', () => {
    const d = evaluateQuotas('', 'pods', pod([{ name: 'x' }]), [quota('q', { 'limits.cpu': '2', 'requests.cpu': '1' }, { 'limits.cpu': '0', 'requests.cpu': '0' })]);
    expect(d).toEqual({ ok: false, message: 'failed quota: q: must specify limits.cpu for: x; requests.cpu for: x' });
  });

  it('refuses while the quota has no usage yet, and ignores a quota whose status.hard is not set', () => {
    expect(evaluateQuotas('', 'configmaps', {}, [quota('q', { configmaps: '1' })])).toEqual({ ok: false, message: 'status unknown for quota: q, resources: configmaps' });
    const fresh: KubeObject = { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q' }, spec: { hard: { configmaps: '1' } }, status: {} };
    expect(evaluateQuotas('', 'configmaps', {}, [fresh])).toEqual({ ok: true, charged: [] });
  });

  it('checks count/<resource>.<group> names for other groups', () => {
    const d = evaluateQuotas('apps', 'deployments', {}, [quota('q', { 'count/deployments.apps': '1' }, { 'count/deployments.apps': '1' })]);
    expect(d).toEqual({ ok: false, message: 'exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1' });
  });

  it('applies scoped quotas only to pods in scope', () => {
    const scoped = quota('be', { pods: '0' }, { pods: '0' }, { scopes: ['BestEffort'] });
    expect(evaluateQuotas('', 'pods', pod([{ name: 'a', resources: { requests: { cpu: '1' } } }]), [scoped])).toEqual({ ok: true, charged: [] });
    expect(evaluateQuotas('', 'pods', pod([{ name: 'a' }]), [scoped]).ok).toBe(false);
    expect(evaluateQuotas('', 'configmaps', {}, [quota('s', { configmaps: '0' }, { configmaps: '0' }, { scopes: ['BestEffort'] })])).toEqual({ ok: true, charged: [] });
  });
});
