import { describe, expect, it } from 'vitest';
import type { KubeObject } from './types.ts';
import { summarizePod } from './pod-columns.ts';
import { pods } from './pods.ts';
import { cells } from './test-helpers.ts';

const now = new Date('2024-01-01T01:00:00Z');

function pod(spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return { metadata: { name: 'p', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z', ...meta }, spec, status };
}

const one = { containers: [{ name: 'c', image: 'x' }] };
const running = { ready: true, restartCount: 0, state: { running: { startedAt: '2024-01-01T00:00:10Z' } } };

describe('pod STATUS, READY and RESTARTS', () => {
  it.each([
    ['a pending pod', one, { phase: 'Pending' }, { ready: '0/1', status: 'Pending', restarts: '0' }],
    ['a running ready pod', one, { phase: 'Running', containerStatuses: [{ name: 'c', ...running }] }, { ready: '1/1', status: 'Running', restarts: '0' }],
    [
      'a crash-looping container',
      one,
      {
        phase: 'Running',
        containerStatuses: [{ name: 'c', ready: false, restartCount: 4, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, finishedAt: '2024-01-01T00:58:00Z' } } }],
      },
      { ready: '0/1', status: 'CrashLoopBackOff', restarts: '4 (2m ago)' },
    ],
    ['a completed container', one, { phase: 'Succeeded', containerStatuses: [{ name: 'c', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] }, { ready: '0/1', status: 'Completed', restarts: '0' }],
    ['a container killed by a signal', one, { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 137, signal: 9 } } }] }, { ready: '0/1', status: 'Signal:9', restarts: '0' }],
    ['an exit code without reason', one, { phase: 'Failed', containerStatuses: [{ name: 'c', state: { terminated: { exitCode: 2 } } }] }, { ready: '0/1', status: 'ExitCode:2', restarts: '0' }],
    ['an image pull error', one, { phase: 'Pending', containerStatuses: [{ name: 'c', ready: false, state: { waiting: { reason: 'ErrImagePull' } } }] }, { ready: '0/1', status: 'ErrImagePull', restarts: '0' }],
    ['an evicted pod', one, { phase: 'Failed', reason: 'Evicted' }, { ready: '0/1', status: 'Evicted', restarts: '0' }],
    ['a gated pod', one, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }, { ready: '0/1', status: 'SchedulingGated', restarts: '0' }],
  ])('%s', (_n, spec, status, expected) => {
    expect(summarizePod(pod(spec, status), now)).toEqual(expected);
  });

  const withInit = { initContainers: [{ name: 'i1', image: 'x' }, { name: 'i2', image: 'x' }], containers: [{ name: 'c', image: 'x' }] };

  it.each([
    ['the first init container running', { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { running: {} } }, { name: 'i2', state: { waiting: { reason: 'PodInitializing' } } }] }, 'Init:0/2'],
    ['the second init container running', { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 0 } } }, { name: 'i2', state: { running: {} } }] }, 'Init:1/2'],
    ['a failing init container', { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 1, reason: 'Error' } } }] }, 'Init:Error'],
    ['an init container in back-off', { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { waiting: { reason: 'CrashLoopBackOff' } } }] }, 'Init:CrashLoopBackOff'],
    ['an init exit code', { phase: 'Pending', initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 3 } } }] }, 'Init:ExitCode:3'],
  ])('init: %s → %s', (_n, status, text) => {
    expect(summarizePod(pod(withInit, status), now).status).toBe(text);
  });

  it('counts sidecar (restartable init) containers in READY', () => {
    const spec = { initContainers: [{ name: 's', image: 'x', restartPolicy: 'Always' }], containers: [{ name: 'c', image: 'x' }] };
    const status = {
      phase: 'Running',
      conditions: [{ type: 'Initialized', status: 'True' }],
      initContainerStatuses: [{ name: 's', started: true, ready: true, restartCount: 1, state: { running: {} } }],
      containerStatuses: [{ name: 'c', ...running }],
    };
    expect(summarizePod(pod(spec, status), now)).toEqual({ ready: '2/2', status: 'Running', restarts: '1' });
  });

  it('shows Running when a completed sidecar-like container leaves one running and ready', () => {
    const spec = { containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] };
    const status = {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [
        { name: 'a', ...running },
        { name: 'b', ready: false, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      ],
    };
    expect(summarizePod(pod(spec, status), now).status).toBe('Running');
    status.conditions = [];
    expect(summarizePod(pod(spec, status), now).status).toBe('NotReady');
  });

  it('shows Terminating for a pod being deleted, and Unknown on a lost node', () => {
    expect(summarizePod(pod(one, { phase: 'Running' }, { deletionTimestamp: '2024-01-01T00:59:00Z' }), now).status).toBe('Terminating');
    expect(summarizePod(pod(one, { phase: 'Succeeded' }, { deletionTimestamp: '2024-01-01T00:59:00Z' }), now).status).toBe('Succeeded');
    expect(summarizePod(pod(one, { phase: 'Running', reason: 'NodeLost' }, { deletionTimestamp: '2024-01-01T00:59:00Z' }), now).status).toBe('Unknown');
  });
});

describe('pod columns', () => {
  it('declares upstream headers and priorities', () => {
    expect(pods.columns!.map((c) => [c.name, c.priority])).toEqual([
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
  });

  it('fills the wide cells with <none> when unset', () => {
    const p = pod({ ...one, readinessGates: [{ conditionType: 'x/ready' }] }, { phase: 'Pending', conditions: [{ type: 'x/ready', status: 'True' }] });
    expect(cells(pods, p, now)).toEqual({ Ready: '0/1', Status: 'Pending', Restarts: '0', Age: '60m', IP: '<none>', Node: '<none>', 'Nominated Node': '<none>', 'Readiness Gates': '1/1' });
  });
});
