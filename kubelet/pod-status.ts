// Pure computation of a pod's API status from the runtime's view of it (upstream's generateAPIPodStatus, in short).
import type { CachedContainer, PodRuntime } from './runtime-cache.ts';
import type { Container, ContainerStateValue, ContainerStatus, Pod, PodCondition, PodStatus } from './types.ts';

/** What the pod worker knows beyond the runtime: why a container waits, probe results. */
export interface WorkerView {
  /** container name → waiting reason/message to show instead of the runtime state (CrashLoopBackOff, ErrImagePull …). */
  waiting: ReadonlyMap<string, { reason: string; message: string }>;
  /** container id → readiness (absent: not yet probed). */
  ready: ReadonlyMap<string, boolean>;
  /** container id → startup probe has succeeded. */
  started: ReadonlyMap<string, boolean>;
  hostIP: string;
  /** The pod reached a terminal phase the worker decided (init container failed with Never, …). */
  terminalPhase?: 'Succeeded' | 'Failed';
  /** When the worker first saw the pod. */
  startTime: string;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function terminated(c: CachedContainer): NonNullable<ContainerStateValue['terminated']> {
  const reason = c.reason || (c.exitCode === 0 ? 'Completed' : 'Error');
  return {
    exitCode: c.exitCode,
    reason,
    ...(c.message ? { message: c.message } : {}),
    startedAt: c.startedAtMs ? rfc3339(c.startedAtMs) : undefined,
    finishedAt: c.finishedAtMs ? rfc3339(c.finishedAtMs) : undefined,
    containerID: `containerd://${c.id}`,
  };
}

function stateOf(c: CachedContainer): ContainerStateValue {
  if (c.state === 'CONTAINER_RUNNING') return { running: { startedAt: rfc3339(c.startedAtMs || c.createdAtMs) } };
  if (c.state === 'CONTAINER_EXITED') return { terminated: terminated(c) };
  if (c.state === 'CONTAINER_CREATED') return { waiting: { reason: 'ContainerCreating' } };
  return { waiting: { reason: 'ContainerCreating' } };
}

/** One container's status; `instances` are its containers in the runtime, newest first. */
export function containerStatusOf(spec: Container, instances: CachedContainer[], view: WorkerView, defaultWaiting: string, hasReadiness: boolean, hasStartup: boolean): ContainerStatus {
  const [latest, previous] = instances;
  const override = view.waiting.get(spec.name);
  const status: ContainerStatus = {
    name: spec.name, state: { waiting: { reason: defaultWaiting } }, lastState: {}, ready: false, restartCount: 0,
    image: spec.image ?? '', imageID: '', started: false,
  };
  if (!latest) {
    if (override) status.state = { waiting: { reason: override.reason, ...(override.message ? { message: override.message } : {}) } };
    return status;
  }
  status.restartCount = latest.restartCount;
  status.image = latest.image || status.image;
  status.imageID = latest.imageRef;
  status.containerID = `containerd://${latest.id}`;
  if (override && latest.state !== 'CONTAINER_RUNNING') {
    status.state = { waiting: { reason: override.reason, ...(override.message ? { message: override.message } : {}) } };
    if (latest.state === 'CONTAINER_EXITED') status.lastState = { terminated: terminated(latest) };
    return status;
  }
  status.state = stateOf(latest);
  if (previous && previous.state === 'CONTAINER_EXITED') status.lastState = { terminated: terminated(previous) };
  const running = latest.state === 'CONTAINER_RUNNING';
  status.started = running && (!hasStartup || view.started.get(latest.id) === true);
  status.ready = running && status.started && (!hasReadiness ? true : view.ready.get(latest.id) === true);
  return status;
}

function instancesOf(runtime: PodRuntime, name: string): CachedContainer[] {
  return runtime.containers.filter((c) => c.name === name);
}

/** Upstream's pod phase from container states (getPhase), given whether init containers are done. */
export function podPhase(pod: Pod, init: ContainerStatus[], containers: ContainerStatus[], view: WorkerView): NonNullable<PodStatus['phase']> {
  if (view.terminalPhase) return view.terminalPhase;
  const policy = pod.spec.restartPolicy ?? 'Always';
  const initDone = init.every((s) => s.state.terminated?.exitCode === 0);
  if (!initDone) {
    const failed = init.some((s) => (s.state.terminated && s.state.terminated.exitCode !== 0) || (s.lastState.terminated && s.state.waiting));
    return failed && policy === 'Never' ? 'Failed' : 'Pending';
  }
  let running = 0, waiting = 0, succeeded = 0, failed = 0, unknown = 0;
  for (const s of containers) {
    if (s.state.running) running++;
    else if (s.state.terminated) {
      if (s.state.terminated.exitCode === 0) succeeded++;
      else failed++;
    } else if (s.state.waiting) {
      if (s.lastState.terminated) {
        if (s.lastState.terminated.exitCode === 0) succeeded++;
        else failed++;
      } else waiting++;
    } else unknown++;
  }
  if (waiting > 0 || unknown > 0) return running > 0 || succeeded > 0 || failed > 0 ? (waiting > 0 ? 'Pending' : 'Running') : 'Pending';
  if (running > 0) return 'Running';
  if (policy === 'Always') return 'Running';
  if (policy === 'OnFailure') return failed > 0 ? 'Running' : 'Succeeded';
  return failed > 0 ? 'Failed' : 'Succeeded';
}

function condition(old: PodCondition[] | undefined, type: string, status: PodCondition['status'], now: string, reason?: string, message?: string): PodCondition {
  const prev = old?.find((c) => c.type === type);
  return {
    type, status, lastProbeTime: null,
    lastTransitionTime: prev && prev.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : now,
    ...(reason ? { reason } : {}), ...(message ? { message } : {}),
  };
}

/**
 * The status the kubelet reports for `pod`: phase, conditions (PodReadyToStartContainers, Initialized,
 * Ready, ContainersReady; PodScheduled and foreign conditions kept), IPs, startTime and container statuses.
 */
export function computePodStatus(pod: Pod, runtime: PodRuntime, view: WorkerView, nowMs = Date.now()): PodStatus {
  const now = rfc3339(nowMs);
  const old = pod.status ?? {};
  const sandbox = runtime.sandboxes[0];
  const sandboxReady = sandbox?.state === 'SANDBOX_READY';
  const inCurrentOrOlder = (name: string): CachedContainer[] => instancesOf(runtime, name);
  const initSpecs = pod.spec.initContainers ?? [];
  const init = initSpecs.map((c) => containerStatusOf(c, inCurrentOrOlder(c.name), view, 'PodInitializing', false, false));
  const initDone = init.every((s) => s.state.terminated?.exitCode === 0);
  const containers = pod.spec.containers.map((c) => containerStatusOf(c, initDone ? inCurrentOrOlder(c.name) : [], view,
    initSpecs.length > 0 && !initDone ? 'PodInitializing' : 'ContainerCreating', Boolean(c.readinessProbe), Boolean(c.startupProbe)));
  const phase = podPhase(pod, init, containers, view);
  const terminal = phase === 'Succeeded' || phase === 'Failed';
  const ip = sandboxReady ? sandbox.ip : (terminal ? old.podIP ?? '' : '');
  const podIP = pod.spec.hostNetwork ? view.hostIP : ip;

  const conditions: PodCondition[] = [];
  conditions.push(condition(old.conditions, 'PodReadyToStartContainers', sandboxReady ? 'True' : 'False', now));
  const incompleteInit = init.filter((s) => s.state.terminated?.exitCode !== 0).map((s) => s.name);
  conditions.push(incompleteInit.length === 0
    ? condition(old.conditions, 'Initialized', 'True', now)
    : condition(old.conditions, 'Initialized', 'False', now, 'ContainersNotInitialized', `containers with incomplete status: [${incompleteInit.join(' ')}]`));
  const unready = containers.filter((s) => !s.ready).map((s) => s.name);
  const gates = (pod.spec.readinessGates ?? []).filter((g) => old.conditions?.find((c) => c.type === g.conditionType)?.status !== 'True').map((g) => g.conditionType);
  if (terminal) {
    conditions.push(condition(old.conditions, 'Ready', 'False', now, 'PodCompleted'));
    conditions.push(condition(old.conditions, 'ContainersReady', 'False', now, 'PodCompleted'));
  } else if (unready.length > 0) {
    const msg = `containers with unready status: [${unready.join(' ')}]`;
    conditions.push(condition(old.conditions, 'Ready', 'False', now, 'ContainersNotReady', msg));
    conditions.push(condition(old.conditions, 'ContainersReady', 'False', now, 'ContainersNotReady', msg));
  } else if (gates.length > 0) {
    conditions.push(condition(old.conditions, 'Ready', 'False', now, 'ReadinessGatesNotReady', `corresponding condition of pod readiness gate "${gates[0]}" does not exist.`));
    conditions.push(condition(old.conditions, 'ContainersReady', 'True', now));
  } else {
    conditions.push(condition(old.conditions, 'Ready', 'True', now));
    conditions.push(condition(old.conditions, 'ContainersReady', 'True', now));
  }
  const ours = new Set(conditions.map((c) => c.type));
  for (const c of old.conditions ?? []) if (!ours.has(c.type)) conditions.push(c);
  // A pod bound by setting spec.nodeName directly never saw a scheduler: upstream's kubelet adds PodScheduled then.
  if (!conditions.some((c) => c.type === 'PodScheduled')) conditions.push(condition(old.conditions, 'PodScheduled', 'True', now));

  const status: PodStatus = {
    ...old,
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    startTime: old.startTime ?? view.startTime,
    containerStatuses: containers,
  };
  if (podIP) {
    status.podIP = podIP;
    status.podIPs = [{ ip: podIP }];
  } else {
    delete status.podIP;
    delete status.podIPs;
  }
  if (initSpecs.length > 0) status.initContainerStatuses = init;
  else delete status.initContainerStatuses;
  return status;
}
