// Helpers for the controller suites: a stand-in kubelet that marks pods Running+Ready, and a pod watch that tracks rollout bounds.
import { spawn } from 'node:child_process';
import * as k8s from '@kubernetes/client-node';
import { kubeconfigPath, kubectlBinary } from './kubectl.ts';

export interface FakeKubelet {
  /** Stops marking pods (pods created meanwhile stay not ready). */
  pause(): void;
  resume(): void;
  stop(): void;
  /** How many pods it has marked Ready so far. */
  readonly marked: number;
}

/**
 * Marks every pod of `namespace` that is not Ready yet as Running and Ready, as a kubelet would report it
 * (polling, every 200 ms). Conflicts and vanished pods are ignored; the next round retries.
 */
export function fakeKubelet(kc: k8s.KubeConfig, namespace: string): FakeKubelet {
  const api = kc.makeApiClient(k8s.CoreV1Api);
  let paused = false;
  let stopped = false;
  let marked = 0;
  const tick = async (): Promise<void> => {
    if (paused) return;
    const pods = await api.listNamespacedPod({ namespace });
    for (const pod of pods.items) {
      if (paused || stopped) return;
      if (pod.metadata?.deletionTimestamp) continue;
      if (pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')) continue;
      const now = new Date();
      pod.status = {
        ...pod.status,
        phase: 'Running',
        startTime: now,
        conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
        containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
          name: c.name, image: c.image ?? '', imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: now } },
        })),
      };
      try {
        await api.replaceNamespacedPodStatus({ name: pod.metadata!.name!, namespace, body: pod });
        marked++;
      } catch {
        // Conflict or gone: retried (or irrelevant) next round.
      }
    }
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      await tick().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  void loop();
  return {
    pause: () => (paused = true),
    resume: () => (paused = false),
    stop: () => (stopped = true),
    get marked() {
      return marked;
    },
  };
}

export interface PodBounds {
  /** Most pods (not being deleted) seen at once. */
  maxPods: number;
  /** Fewest Ready pods seen at once after `armReadyCheck()`. */
  minReady: number;
  armReadyCheck(): void;
  stop(): void;
  current(): k8s.V1Pod[];
}

/** Watches the pods of `namespace` (optionally by label selector) and records the bounds a rollout must respect. */
export async function watchPodBounds(kc: k8s.KubeConfig, namespace: string, labelSelector?: string): Promise<PodBounds> {
  const pods = new Map<string, k8s.V1Pod>();
  let armed = false;
  const bounds = {
    maxPods: 0,
    minReady: Number.POSITIVE_INFINITY,
    armReadyCheck: () => {
      armed = true;
    },
    stop: () => ctl.abort(),
    current: () => [...pods.values()],
  };
  const record = (): void => {
    const live = [...pods.values()].filter((p) => !p.metadata?.deletionTimestamp);
    bounds.maxPods = Math.max(bounds.maxPods, live.length);
    if (armed) bounds.minReady = Math.min(bounds.minReady, live.filter((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length);
  };
  const ctl = await new k8s.Watch(kc).watch(
    `/api/v1/namespaces/${namespace}/pods`,
    labelSelector ? { labelSelector } : {},
    (type: string, pod: k8s.V1Pod) => {
      const name = pod.metadata?.name ?? '';
      if (type === 'DELETED') pods.delete(name);
      else if (type === 'ADDED' || type === 'MODIFIED') pods.set(name, pod);
      record();
    },
    () => undefined,
  );
  return bounds;
}

/**
 * kubectl without blocking the event loop (the stand-in kubelet must keep running while e.g. `rollout status` waits).
 * Resolves with the exit code and output; kills kubectl after `timeoutMs`.
 */
export function kubectlAsync(args: readonly string[], opts: { kubeconfig?: string; timeoutMs?: number; stdin?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(kubectlBinary(), args, { env: { ...process.env, KUBECONFIG: opts.kubeconfig ?? kubeconfigPath() } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 70_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}

export interface ReplicaSetBounds {
  /** Largest sum of spec.replicas over the watched ReplicaSets seen at once (what maxSurge bounds). */
  maxDesired: number;
  /** One line per event seen, for failure messages. */
  log: string[];
  stop(): void;
}

/**
 * Watches the ReplicaSets of `namespace` and records the largest total of spec.replicas: upstream bounds
 * that total by replicas + maxSurge. (Pod counts can briefly exceed it while the ReplicaSet controllers of
 * the old and new ReplicaSets act independently, upstream as here.)
 */
export async function watchReplicaSetBounds(kc: k8s.KubeConfig, namespace: string, labelSelector?: string): Promise<ReplicaSetBounds> {
  const sets = new Map<string, number>();
  const bounds = { maxDesired: 0, log: [] as string[], stop: () => ctl.abort() };
  const ctl = await new k8s.Watch(kc).watch(
    `/apis/apps/v1/namespaces/${namespace}/replicasets`,
    labelSelector ? { labelSelector } : {},
    (type: string, rs: k8s.V1ReplicaSet) => {
      const name = rs.metadata?.name ?? '';
      if (type === 'DELETED') sets.delete(name);
      else if (type === 'ADDED' || type === 'MODIFIED') sets.set(name, rs.spec?.replicas ?? 1);
      const total = [...sets.values()].reduce((a, b) => a + b, 0);
      bounds.log.push(`${type} ${name} rv=${rs.metadata?.resourceVersion} replicas=${rs.spec?.replicas} available=${rs.status?.availableReplicas ?? 0} total=${total}`);
      bounds.maxDesired = Math.max(bounds.maxDesired, total);
    },
    () => undefined,
  );
  return bounds;
}
