// Workload and cluster controllers without a kubelet: the suite reports pod status itself, as a kubelet would (Job, CronJob, DaemonSet, StatefulSet, Endpoints, node lifecycle).
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeConfig, kubectl, kubectlOk, uniqueName } from './kubectl.ts';

const ns = uniqueName('ctl-work');
const nodeLabel = uniqueName('wl');
/** Plain Node objects (no kubelet behind them) that only this suite's DaemonSet selects. */
const nodes = [`${nodeLabel}-a`, `${nodeLabel}-b`];
const taintedNode = `${nodeLabel}-tainted`;
const kc = kubeConfig();
const core = kc.makeApiClient(k8s.CoreV1Api);

interface Obj {
  metadata: { name: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>; finalizers?: string[]; deletionTimestamp?: string; creationTimestamp?: string };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

function getJson<T = { items: Obj[] }>(args: string[], namespaced = true): T {
  return JSON.parse(kubectlOk([...args, ...(namespaced ? ['-n', ns] : []), '-o', 'json'])) as T;
}

function tryGet(args: string[]): Obj | undefined {
  const r = kubectl([...args, '-n', ns, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as Obj) : undefined;
}

type Conditions = Array<{ type: string; status: string; reason?: string; message?: string }>;
const conditions = (o: Obj | undefined): Conditions => (o?.status?.conditions as Conditions | undefined) ?? [];

/** Reports a pod's state as a kubelet would: phase, Ready condition, container state, optionally an IP. */
async function reportPod(name: string, phase: 'Running' | 'Succeeded' | 'Failed', ready: boolean, podIP?: string): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const pod = await core.readNamespacedPod({ name, namespace: ns });
    const now = new Date();
    const terminated = phase === 'Running' ? undefined : { exitCode: phase === 'Succeeded' ? 0 : 1, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: now, finishedAt: now };
    pod.status = {
      ...pod.status,
      phase,
      ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
      startTime: pod.status?.startTime ?? now,
      conditions: ['Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: type === 'Initialized' || ready ? 'True' : 'False', lastTransitionTime: now })),
      containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
        name: c.name, image: c.image ?? '', imageID: '', ready, restartCount: 0, started: phase === 'Running',
        state: terminated ? { terminated } : { running: { startedAt: now } },
      })),
    };
    try {
      await core.replaceNamespacedPodStatus({ name, namespace: ns, body: pod });
      return;
    } catch (e: unknown) {
      if (attempt === 4) throw e;
    }
  }
}

const podsOf = (selector: string): Obj[] => getJson(['get', 'pods', '-l', selector]).items;
const livePods = (selector: string): Obj[] => podsOf(selector).filter((p) => !p.metadata.deletionTimestamp);
const activePods = (selector: string): Obj[] => livePods(selector).filter((p) => !['Succeeded', 'Failed'].includes(String(p.status?.phase)));

/** A pod template no real scheduler can place, so that on a real cluster no kubelet overwrites the status this suite reports. */
const unschedulable = `nodeSelector: { tskube-conformance: nowhere }`;

beforeAll(async () => {
  kubectlOk(['create', 'namespace', ns]);
  for (const name of [...nodes, taintedNode]) {
    await core.createNode({ body: { metadata: { name, labels: { 'conformance-workloads': nodeLabel } } } });
  }
  kubectlOk(['taint', 'node', taintedNode, 'dedicated=infra:NoSchedule']);
});

afterAll(async () => {
  kubectl(['delete', 'namespace', ns, '--wait=false']);
  for (const name of [...nodes, taintedNode]) await core.deleteNode({ name }).catch(() => undefined);
});

describe('Job', () => {
  it('with completions=3 and parallelism=2 runs at most two pods at a time and completes', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], {
      stdin: `
apiVersion: batch/v1
kind: Job
metadata: { name: three }
spec:
  completions: 3
  parallelism: 2
  template:
    spec:
      ${unschedulable}
      restartPolicy: Never
      containers: [{ name: work, image: busybox }]
`,
    });
    const finished = new Set<string>();
    await eventually(async () => {
      const active = activePods('batch.kubernetes.io/job-name=three');
      expect(active.length).toBeLessThanOrEqual(2);
      for (const p of active) {
        if (finished.has(p.metadata.name)) continue;
        await reportPod(p.metadata.name, 'Succeeded', false);
        finished.add(p.metadata.name);
      }
      const job = tryGet(['get', 'job', 'three']);
      return conditions(job).some((c) => c.type === 'Complete' && c.status === 'True') ? job : undefined;
    }, 40_000, 300);
    const job = getJson<Obj>(['get', 'job', 'three']);
    expect(job.status).toMatchObject({ succeeded: 3, ready: 0, uncountedTerminatedPods: {} });
    expect(job.status?.active ?? 0).toBe(0);
    expect(job.status?.completionTime).toBeTruthy();
    expect(job.status?.startTime).toBeTruthy();
    expect(conditions(job).find((c) => c.type === 'Complete')).toMatchObject({ status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
    expect(conditions(job).find((c) => c.type === 'SuccessCriteriaMet')).toMatchObject({ status: 'True', reason: 'CompletionsReached' });
    const pods = podsOf('batch.kubernetes.io/job-name=three');
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^three-[a-z0-9]{5}$/);
      expect(p.metadata.labels).toMatchObject({ 'job-name': 'three', 'batch.kubernetes.io/job-name': 'three', 'controller-uid': job.metadata.uid, 'batch.kubernetes.io/controller-uid': job.metadata.uid });
      expect(p.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'Job', name: 'three', controller: true })]);
    }
    // The tracking finalizer comes off once each pod is counted.
    await eventually(() => podsOf('batch.kubernetes.io/job-name=three').every((p) => !(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking')));
    const events = getJson(['get', 'events', '--field-selector', 'involvedObject.name=three']).items.map((e) => `${e.reason}`);
    expect(events).toEqual(expect.arrayContaining(['SuccessfulCreate', 'Completed']));
  });

  it('that keeps failing stops at backoffLimit with reason BackoffLimitExceeded', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], {
      stdin: `
apiVersion: batch/v1
kind: Job
metadata: { name: failing }
spec:
  backoffLimit: 1
  template:
    spec:
      ${unschedulable}
      restartPolicy: Never
      containers: [{ name: work, image: busybox }]
`,
    });
    const failed = new Set<string>();
    const job = await eventually(async () => {
      for (const p of activePods('batch.kubernetes.io/job-name=failing')) {
        if (failed.has(p.metadata.name)) continue;
        await reportPod(p.metadata.name, 'Failed', false);
        failed.add(p.metadata.name);
      }
      const j = tryGet(['get', 'job', 'failing']);
      return conditions(j).some((c) => c.type === 'Failed' && c.status === 'True') ? j : undefined;
    }, 50_000, 300);
    expect(failed.size).toBe(2);
    expect(job.status).toMatchObject({ failed: 2 });
    expect(job.status?.active ?? 0).toBe(0);
    expect(conditions(job).find((c) => c.type === 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    const events = getJson(['get', 'events', '--field-selector', 'involvedObject.name=failing']).items;
    expect(events.map((e) => e.reason)).toContain('BackoffLimitExceeded');
  }, 70_000);
});

describe('DaemonSet', () => {
  it('runs one pod per eligible Node, pinned by node affinity, and reports it in status', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], {
      stdin: `
apiVersion: apps/v1
kind: DaemonSet
metadata: { name: agent }
spec:
  selector: { matchLabels: { app: agent } }
  template:
    metadata: { labels: { app: agent } }
    spec:
      nodeSelector: { conformance-workloads: ${nodeLabel} }
      containers: [{ name: agent, image: busybox }]
`,
    });
    const pods = await eventually(() => {
      const ps = livePods('app=agent');
      return ps.length === 2 ? ps : undefined;
    });
    const targets = pods.map((p) => {
      const terms = (p.spec?.affinity as { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: Array<{ matchFields: Array<{ key: string; operator: string; values: string[] }> }> } } }).nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
      expect(terms).toHaveLength(1);
      expect(terms[0]!.matchFields[0]).toMatchObject({ key: 'metadata.name', operator: 'In' });
      return terms[0]!.matchFields[0]!.values[0];
    });
    expect(targets.sort()).toEqual([...nodes].sort());
    for (const p of pods) {
      expect(p.metadata.labels?.['controller-revision-hash']).toBeTruthy();
      const tolerations = (p.spec?.tolerations as Array<{ key: string; effect: string; operator: string }>).map((t) => `${t.key}:${t.effect}`);
      expect(tolerations).toEqual(expect.arrayContaining(['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unschedulable:NoSchedule']));
    }
    const ds = await eventually(() => {
      const d = getJson<Obj>(['get', 'ds', 'agent']);
      return d.status?.desiredNumberScheduled === 2 && d.status?.currentNumberScheduled === 2 ? d : undefined;
    });
    expect(ds.status).toMatchObject({ numberMisscheduled: 0, updatedNumberScheduled: 2, observedGeneration: 1 });
    const revisions = getJson(['get', 'controllerrevisions', '-l', 'app=agent']).items;
    expect(revisions).toHaveLength(1);
    expect(revisions[0]).toMatchObject({ revision: 1 });
  });
});

describe('StatefulSet', () => {
  it('creates web-0 before web-1 under OrderedReady, with stable names, labels and claims', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], {
      stdin: `
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: web }
spec:
  replicas: 2
  serviceName: web
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      ${unschedulable}
      containers: [{ name: web, image: busybox }]
  volumeClaimTemplates:
  - metadata: { name: www }
    spec:
      accessModes: [ReadWriteOnce]
      resources: { requests: { storage: 1Mi } }
`,
    });
    const web0 = await eventually(() => tryGet(['get', 'pod', 'web-0']));
    expect(web0.metadata.labels).toMatchObject({ app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-0', 'apps.kubernetes.io/pod-index': '0' });
    expect(web0.spec).toMatchObject({ hostname: 'web-0', subdomain: 'web' });
    expect(web0.spec?.volumes).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'www', persistentVolumeClaim: { claimName: 'www-web-0' } })]));
    await eventually(() => tryGet(['get', 'pvc', 'www-web-0']));
    // web-1 must wait for web-0 to be Running and Ready.
    await new Promise((r) => setTimeout(r, 2000));
    expect(tryGet(['get', 'pod', 'web-1'])).toBeUndefined();
    await reportPod('web-0', 'Running', true);
    const web1 = await eventually(() => tryGet(['get', 'pod', 'web-1']));
    expect(Date.parse(web1.metadata.creationTimestamp!)).toBeGreaterThanOrEqual(Date.parse(web0.metadata.creationTimestamp!));
    await reportPod('web-1', 'Running', true);
    const sts = await eventually(() => {
      const s = getJson<Obj>(['get', 'sts', 'web']);
      return s.status?.readyReplicas === 2 ? s : undefined;
    });
    expect(sts.status).toMatchObject({ replicas: 2, currentReplicas: 2, updatedReplicas: 2, observedGeneration: 1 });
    expect(sts.status?.updateRevision).toBe(web0.metadata.labels?.['controller-revision-hash']);
    expect(sts.status?.currentRevision).toBe(sts.status?.updateRevision);
  });
});

describe('Endpoints and EndpointSlices', () => {
  it('follow pod readiness, resolving named target ports', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], {
      stdin: `
apiVersion: v1
kind: Service
metadata: { name: echo }
spec:
  selector: { app: echo }
  ports: [{ name: http, port: 80, targetPort: web }]
---
apiVersion: v1
kind: Pod
metadata: { name: echo-1, labels: { app: echo } }
spec:
  nodeName: ${nodes[0]}
  containers: [{ name: echo, image: busybox, ports: [{ name: web, containerPort: 8080 }] }]
`,
    });
    await reportPod('echo-1', 'Running', false, '10.244.7.7');
    const notReady = await eventually(() => {
      const ep = tryGet(['get', 'endpoints', 'echo']);
      const subsets = ep?.subsets as Array<Record<string, unknown>> | undefined;
      return subsets?.[0]?.notReadyAddresses ? subsets : undefined;
    });
    expect(notReady).toEqual([{ notReadyAddresses: [expect.objectContaining({ ip: '10.244.7.7', nodeName: nodes[0], targetRef: expect.objectContaining({ kind: 'Pod', name: 'echo-1', namespace: ns }) })], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]);
    const sliceOf = (): Obj | undefined => getJson(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=echo']).items.find((s) => ((s.endpoints as unknown[] | undefined) ?? []).length > 0);
    const slice = await eventually(sliceOf);
    expect(slice.metadata.labels).toMatchObject({ 'kubernetes.io/service-name': 'echo', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
    expect(slice).toMatchObject({ addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] });
    expect((slice.endpoints as unknown[])[0]).toMatchObject({ addresses: ['10.244.7.7'], conditions: { ready: false, serving: false, terminating: false }, nodeName: nodes[0], targetRef: { kind: 'Pod', name: 'echo-1' } });

    await reportPod('echo-1', 'Running', true, '10.244.7.7');
    await eventually(() => {
      const subsets = tryGet(['get', 'endpoints', 'echo'])?.subsets as Array<Record<string, unknown>> | undefined;
      return subsets?.[0]?.addresses && !subsets[0].notReadyAddresses;
    });
    await eventually(() => (sliceOf()?.endpoints as Array<{ conditions: { ready: boolean } }> | undefined)?.[0]?.conditions.ready === true);
  });
});

describe.concurrent('slow schedules', () => {
  it('a CronJob every minute creates a Job named after its scheduled time; create job --from works', async () => {
    kubectlOk(['apply', '-n', ns, '-f', '-'], {
      stdin: `
apiVersion: batch/v1
kind: CronJob
metadata: { name: tick }
spec:
  schedule: "*/1 * * * *"
  jobTemplate:
    metadata: { labels: { cron: tick } }
    spec:
      template:
        spec:
          ${unschedulable}
          restartPolicy: Never
          containers: [{ name: tick, image: busybox }]
`,
    });
    kubectlOk(['create', 'job', '-n', ns, 'tick-manual', '--from=cronjob/tick']);
    const manual = getJson<Obj>(['get', 'job', 'tick-manual']);
    expect(manual.metadata.annotations?.['cronjob.kubernetes.io/instantiate']).toBe('manual');
    const job = await eventually(() => getJson(['get', 'jobs', '-l', 'cron=tick']).items.find((j) => j.metadata.name !== 'tick-manual' && j.metadata.ownerReferences?.some((r) => r.kind === 'CronJob' && r.controller)), 75_000, 500);
    const scheduled = job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'];
    expect(scheduled).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$/);
    expect(job.metadata.name).toBe(`tick-${Date.parse(scheduled!) / 60_000}`);
    const cj = await eventually(() => {
      const c = getJson<Obj>(['get', 'cronjob', 'tick']);
      return c.status?.lastScheduleTime ? c : undefined;
    });
    expect(cj.status?.lastScheduleTime).toBe(scheduled);
    expect(cj.status?.active).toEqual([expect.objectContaining({ kind: 'Job', name: job.metadata.name, namespace: ns })]);
    kubectlOk(['patch', 'cronjob', 'tick', '-n', ns, '-p', '{"spec":{"suspend":true}}']);
  }, 90_000);

  it('a Node whose Lease stops renewing becomes Ready=Unknown and tainted unreachable', async () => {
    const name = `${nodeLabel}-silent`;
    const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
    await core.createNode({ body: { metadata: { name } } });
    try {
      const node = await core.readNode({ name });
      const now = new Date();
      node.status = {
        ...node.status,
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: now, lastTransitionTime: now }],
      };
      await core.replaceNodeStatus({ name, body: node });
      await coordination.createNamespacedLease({
        namespace: 'kube-node-lease',
        body: { metadata: { name, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata!.uid! }] }, spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new k8s.V1MicroTime() } },
      });
      // One renewal, then silence.
      await new Promise((r) => setTimeout(r, 2000));
      const lease = await coordination.readNamespacedLease({ name, namespace: 'kube-node-lease' });
      lease.spec!.renewTime = new k8s.V1MicroTime();
      await coordination.replaceNamespacedLease({ name, namespace: 'kube-node-lease', body: lease });
      const silent = await eventually(async () => {
        const n = await core.readNode({ name });
        const ready = n.status?.conditions?.find((c) => c.type === 'Ready');
        const taints = (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
        return ready?.status === 'Unknown' && taints.includes('node.kubernetes.io/unreachable:NoExecute') && taints.includes('node.kubernetes.io/unreachable:NoSchedule') ? n : undefined;
      }, 80_000, 1000);
      const ready = silent.status!.conditions!.find((c) => c.type === 'Ready')!;
      expect(ready).toMatchObject({ reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
      expect(silent.spec?.taints?.find((t) => t.effect === 'NoExecute')?.timeAdded).toBeTruthy();
    } finally {
      await coordination.deleteNamespacedLease({ name, namespace: 'kube-node-lease' }).catch(() => undefined);
      await core.deleteNode({ name }).catch(() => undefined);
    }
  }, 100_000);
});
