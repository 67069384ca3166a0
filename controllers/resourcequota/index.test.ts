import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../runtime/index.ts';
import { computeUsed, kindsFor, parseCountName } from './index.ts';

const quota = (hard: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'ns' }, spec: { hard } });
const podOf = (name: string, cpu: string, phase = 'Running'): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c', resources: { requests: { cpu } } }] }, status: { phase },
});

describe('resource quota controller', () => {
  it('sums non-terminal pods and reports 0 for what nothing uses', () => {
    const objects = new Map([['/pods', [podOf('a', '100m'), podOf('b', '200m'), podOf('c', '1', 'Succeeded')]]]);
    expect(computeUsed(quota({ pods: '5', 'requests.cpu': '2', 'count/pods': '10', configmaps: '3' }), objects)).toEqual({
      pods: '2', 'requests.cpu': '300m', 'count/pods': '3', configmaps: '0',
    });
  });

  it('knows which kinds a quota counts', () => {
    expect(kindsFor(['pods', 'count/deployments.apps', 'services.nodeports', 'configmaps']).sort()).toEqual(['/configmaps', '/pods', '/services', 'apps/deployments']);
    expect(parseCountName('count/deployments.apps')).toEqual({ group: 'apps', plural: 'deployments' });
    expect(parseCountName('count/pods')).toEqual({ group: '', plural: 'pods' });
  });
});
