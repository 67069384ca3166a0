// PodDisruptionBudget arithmetic: expected pods, desired healthy and allowed disruptions.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../runtime/index.ts';
import { budget, pdbPods } from './index.ts';
import { terminatedOverThreshold } from '../podgc/index.ts';

const pod = (ready: boolean, labels = { app: 'a' }): KubeObject => ({ metadata: { name: 'p', labels }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] } });
const pdb = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'b' }, spec: { selector: { matchLabels: { app: 'a' } }, ...spec } });

describe('budget', () => {
  it.each([
    [{ minAvailable: 2 }, [true, true, true], { expected: 3, desired: 2, current: 3, allowed: 1 }],
    [{ minAvailable: 2 }, [true, false, true], { expected: 3, desired: 2, current: 2, allowed: 0 }],
    [{ minAvailable: '50%' }, [true, true, true, true], { expected: 4, desired: 2, current: 4, allowed: 2 }],
    [{ maxUnavailable: 1 }, [true, true, true, true], { expected: 4, desired: 3, current: 4, allowed: 1 }],
    [{ maxUnavailable: '50%' }, [true, true, true], { expected: 3, desired: 1, current: 3, allowed: 2 }],
  ])('%j over %j', (spec, ready, want) => {
    const pods = ready.map((r) => pod(r));
    expect(budget(pdb(spec), pods, () => pods.length)).toEqual(want);
  });

  it('selects pods by the label selector', () => {
    expect(pdbPods(pdb({}), [pod(true), pod(true, { app: 'b' })])).toHaveLength(1);
  });
});

describe('pod gc threshold', () => {
  it('picks the oldest terminated pods beyond the threshold', () => {
    const p = (name: string, phase: string, created: string): KubeObject => ({ metadata: { name, creationTimestamp: created }, status: { phase } });
    const pods = [p('a', 'Succeeded', '2024-01-03T00:00:00Z'), p('b', 'Failed', '2024-01-01T00:00:00Z'), p('c', 'Running', '2023-01-01T00:00:00Z'), p('d', 'Succeeded', '2024-01-02T00:00:00Z')];
    expect(terminatedOverThreshold(pods, 2).map((x) => x.metadata.name)).toEqual(['b']);
    expect(terminatedOverThreshold(pods, 0)).toEqual([]);
  });
});
