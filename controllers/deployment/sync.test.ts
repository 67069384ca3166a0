// One rolling-update sync against recorded writes: the regression cases of the rollout arithmetic.
import { describe, expect, it } from 'vitest';
import type { ApiClient, EventRecorder, Lister } from '../runtime/index.ts';
import type { Pod } from '../replicaset/pod-utils.ts';
import { DeploymentSync } from './sync.ts';
import { computeHash, type Deployment, type RS } from './util.ts';

const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'v2' }] } };

function rs(name: string, replicas: number, available: number, image: string, revision: string, created: string): RS {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name, namespace: 'ns', uid: name, resourceVersion: '1', creationTimestamp: created, labels: { app: 'web' }, annotations: { 'deployment.kubernetes.io/revision': revision, 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' } },
    spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', 'pod-template-hash': name } }, spec: { containers: [{ name: 'app', image }] } } },
    status: { replicas, availableReplicas: available, readyReplicas: available, observedGeneration: 1 },
  };
}

/** Records every write; answers PUTs with the body (a new resourceVersion) as the API server would. */
function recordingClient(writes: Array<{ method: string; path: string; body: unknown }>): ApiClient {
  const stub = {
    async request(method: string, path: string, opts: { body?: unknown } = {}) {
      writes.push({ method, path, body: opts.body });
      return structuredClone(opts.body);
    },
  };
  // The sync only calls request(); the real client's private transport is irrelevant here.
  return stub as unknown as ApiClient;
}

const noEvents = { event: () => undefined } as unknown as EventRecorder;
const noPods = { listNamespace: () => [] } as unknown as Lister<Pod>;

describe('a rolling update sync', () => {
  it('never scales an old ReplicaSet up when its status still counts more available pods than its replicas (regression)', async () => {
    const d: Deployment = {
      metadata: { name: 'web', namespace: 'ns', uid: 'd', generation: 2, annotations: { 'deployment.kubernetes.io/revision': '2' } },
      spec: { replicas: 4, selector: { matchLabels: { app: 'web' } }, template, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }, progressDeadlineSeconds: 600 },
      status: { observedGeneration: 2, replicas: 5, updatedReplicas: 4, availableReplicas: 5 },
    };
    const newRS = rs(`web-${computeHash(template)}`, 4, 3, 'v2', '2', '2024-01-02T00:00:00Z');
    newRS.spec!.template = structuredClone(template);
    const stale = rs('web-old', 1, 2, 'v1', '1', '2024-01-01T00:00:00Z');
    const writes: Array<{ method: string; path: string; body: unknown }> = [];
    const sync = new DeploymentSync({ client: recordingClient(writes), recorder: noEvents, pods: noPods }, d, [stale, newRS]);
    await sync.rolloutRolling().catch(() => undefined);
    const oldWrites = writes.filter((w) => w.method === 'PUT' && w.path.endsWith('/replicasets/web-old')).map((w) => (w.body as RS).spec?.replicas);
    for (const replicas of oldWrites) expect(replicas).toBeLessThanOrEqual(1);
  });
});
