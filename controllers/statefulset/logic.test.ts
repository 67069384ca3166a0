// StatefulSet ordering: OrderedReady creates one ordinal at a time, Parallel all at once, scale-down and updates go from the top.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../runtime/index.ts';
import { planSync, statefulClaims, statefulPod, type Step } from './logic.ts';

const sts = (spec: Record<string, unknown> = {}): KubeObject => ({
  metadata: { name: 'web', namespace: 'ns', uid: 'u' },
  spec: { replicas: 3, serviceName: 'svc', selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c' }] } }, ...spec },
});
const pod = (ord: number, rev = 'r1', ready = true, deleting = false): KubeObject => ({
  metadata: { name: `web-${ord}`, labels: { 'controller-revision-hash': rev }, ...(deleting ? { deletionTimestamp: 'x' } : {}) },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const summary = (steps: Step[]): string[] => steps.map((s) => (s.kind === 'create' ? `create ${s.ordinal}` : s.kind === 'delete' ? `delete ${s.pod.metadata.name}` : 'wait'));

describe('planSync', () => {
  it('creates web-0 first under OrderedReady and waits for it to be ready before web-1', () => {
    expect(summary(planSync(sts(), [], 'r1', 'r1', 0, Date.now()))).toEqual(['create 0']);
    expect(summary(planSync(sts(), [pod(0, 'r1', false)], 'r1', 'r1', 0, Date.now()))).toEqual(['wait']);
    expect(summary(planSync(sts(), [pod(0)], 'r1', 'r1', 0, Date.now()))).toEqual(['create 1']);
  });

  it('creates every ordinal at once under Parallel', () => {
    expect(summary(planSync(sts({ podManagementPolicy: 'Parallel' }), [], 'r1', 'r1', 0, Date.now()))).toEqual(['create 0', 'create 1', 'create 2']);
  });

  it('scales down from the highest ordinal, one at a time', () => {
    expect(summary(planSync(sts({ replicas: 1 }), [pod(0), pod(1), pod(2)], 'r1', 'r1', 0, Date.now()))).toEqual(['delete web-2']);
  });

  it('rolls out from the highest ordinal down to the partition', () => {
    const pods = [pod(0), pod(1), pod(2)];
    expect(summary(planSync(sts(), pods, 'r2', 'r1', 3, Date.now()))).toEqual(['delete web-2']);
    const partitioned = sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    expect(summary(planSync(partitioned, [pod(0), pod(1), pod(2, 'r2')], 'r2', 'r1', 2, Date.now()))).toEqual([]);
  });

  it('recreates a missing ordinal below the partition from the current revision', () => {
    const partitioned = sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } });
    const [step] = planSync(partitioned, [pod(1), pod(2, 'r2')], 'r2', 'r1', 2, Date.now());
    expect(step).toEqual({ kind: 'create', ordinal: 0, revision: 'current' });
  });
});

describe('stable identity', () => {
  it('names pods and claims by ordinal and labels them', () => {
    const s = sts({ volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'] } }] });
    const p = statefulPod(s, (s.spec as Record<string, unknown>).template, 'web-abc', 1);
    expect(p.metadata.name).toBe('web-1');
    expect(p.metadata.labels).toEqual({ app: 'web', 'controller-revision-hash': 'web-abc', 'statefulset.kubernetes.io/pod-name': 'web-1', 'apps.kubernetes.io/pod-index': '1' });
    expect(p.spec).toMatchObject({ hostname: 'web-1', subdomain: 'svc', volumes: [{ name: 'www', persistentVolumeClaim: { claimName: 'www-web-1' } }] });
    expect(statefulClaims(s, 1).map((c) => [c.metadata.name, c.metadata.labels])).toEqual([['www-web-1', { app: 'web' }]]);
  });
});
