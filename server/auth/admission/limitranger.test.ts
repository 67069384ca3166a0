import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../registry/types.ts';
import { aggregateMessage, applyContainerDefaults, claimViolations, maxConstraint, minConstraint, podViolations, ratioConstraint } from './limitranger.ts';

const lr = (limits: unknown[]): KubeObject => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'lr' }, spec: { limits } });
const pod = (containers: unknown[], initContainers?: unknown[]): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers, initContainers } });

describe('LimitRanger defaults', () => {
  it('fills missing requests and limits and names them as upstream annotates', () => {
    const p = pod([{ name: 'a', resources: { requests: { cpu: '200m' } } }, { name: 'b' }]);
    const notes = applyContainerDefaults(lr([{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m', memory: '128Mi' } }]), p);
    expect(notes).toEqual(['memory request for container a', 'cpu, memory limit for container a', 'cpu, memory request for container b', 'cpu, memory limit for container b']);
    const [a, b] = (p.spec as { containers: { resources: unknown }[] }).containers;
    expect(a!.resources).toEqual({ requests: { cpu: '200m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(b!.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
  });

  it('labels init containers as such and leaves pods alone when no Container item has defaults', () => {
    const p = pod([{ name: 'c', resources: { requests: { cpu: '1' }, limits: { cpu: '1' } } }], [{ name: 'i' }]);
    expect(applyContainerDefaults(lr([{ type: 'Container', default: { cpu: '1' }, defaultRequest: { cpu: '1' } }]), p)).toEqual(['cpu request for init container i', 'cpu limit for init container i']);
    expect(applyContainerDefaults(lr([{ type: 'Pod', max: { cpu: '2' } }]), pod([{ name: 'c' }]))).toEqual([]);
  });
});

describe('LimitRanger constraints', () => {
  it.each([
    ['min request below', () => minConstraint('Container', 'cpu', '100m', { cpu: '50m' }, {}), 'minimum cpu usage per Container is 100m, but request is 50m'],
    ['min without request', () => minConstraint('Container', 'cpu', '100m', {}, {}), 'minimum cpu usage per Container is 100m.  No request is specified'],
    ['min limit below', () => minConstraint('Container', 'cpu', '100m', { cpu: '100m' }, { cpu: '0.05' }), 'minimum cpu usage per Container is 100m, but limit is 50m'],
    ['max limit above', () => maxConstraint('Container', 'memory', '1Gi', {}, { memory: '2Gi' }), 'maximum memory usage per Container is 1Gi, but limit is 2Gi'],
    ['max without limit', () => maxConstraint('Container', 'memory', '1Gi', { memory: '1Gi' }, {}), 'maximum memory usage per Container is 1Gi.  No limit is specified'],
    ['ratio above', () => ratioConstraint('Container', 'cpu', '2', { cpu: '100m' }, { cpu: '500m' }), 'cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000'],
    ['ratio without request', () => ratioConstraint('Container', 'cpu', '2', {}, { cpu: '1' }), 'cpu max limit to request ratio per Container is 2, but no request is specified or request is 0'],
    ['satisfied', () => maxConstraint('Container', 'cpu', '1', { cpu: '500m' }, { cpu: '1000m' }), ''],
  ])('%s', (_name, run, want) => {
    expect(run()).toBe(want);
  });

  it('aggregates several violations in brackets, in upstream order (min, max, ratio), de-duplicated', () => {
    const range = lr([{ type: 'Container', min: { cpu: '100m' }, max: { memory: '1Gi' } }]);
    const p = pod([{ name: 'x', resources: { requests: { cpu: '50m' }, limits: { memory: '2Gi' } } }]);
    expect(aggregateMessage(podViolations(range, p))).toBe('[minimum cpu usage per Container is 100m, but request is 50m, maximum memory usage per Container is 1Gi, but limit is 2Gi]');
    expect(aggregateMessage(['a', 'a'])).toBe('a');
  });

  it('checks Pod items against the sum of containers', () => {
    const range = lr([{ type: 'Pod', max: { cpu: '1' } }]);
    const p = pod([{ name: 'a', resources: { limits: { cpu: '600m' } } }, { name: 'b', resources: { limits: { cpu: '600m' } } }]);
    expect(podViolations(range, p)).toEqual(['maximum cpu usage per Pod is 1, but limit is 1200m']);
  });

  it('checks claims only against their storage requests', () => {
    const range = lr([{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '2Gi' } }]);
    const pvc = (storage: string): KubeObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'c' }, spec: { resources: { requests: { storage } } } });
    expect(claimViolations(range, pvc('3Gi'))).toEqual(['maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 3Gi']);
    expect(claimViolations(range, pvc('500Mi'))).toEqual(['minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi']);
    expect(claimViolations(range, pvc('1Gi'))).toEqual([]);
  });
});
