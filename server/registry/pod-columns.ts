// The pod printer of upstream: READY, STATUS (Init:N/M, CrashLoopBackOff, Completed, Terminating …), RESTARTS and the wide columns.
import type { Column, KubeObject } from './types.ts';
import { ageColumn, since, stringColumn } from './columns.ts';
import { get, num, obj, records, str, type Obj } from './object.ts';

export interface PodSummary {
  ready: string;
  status: string;
  restarts: string;
}

function isRestartableInit(c: Obj | undefined): boolean {
  return c?.restartPolicy === 'Always';
}

function hasCondition(conditions: Obj[], type: string): boolean {
  return conditions.some((c) => c.type === type && c.status === 'True');
}

/** The first condition of the type decides (upstream's isPodInitializedConditionTrue). */
function initializedTrue(conditions: Obj[]): boolean {
  const c = conditions.find((x) => x.type === 'Initialized');
  return c?.status === 'True';
}

function finishedAt(status: Obj): number {
  const t = Date.parse(str(get(status, 'lastState.terminated.finishedAt')));
  return Number.isNaN(t) ? 0 : t;
}

function terminatedReason(term: Obj, prefix: string): string {
  const reason = str(term.reason);
  if (reason) return prefix + reason;
  const signal = num(term.signal) ?? 0;
  if (signal !== 0) return `${prefix}Signal:${signal}`;
  return `${prefix}ExitCode:${num(term.exitCode) ?? 0}`;
}

/** printPod's READY, STATUS and RESTARTS cells, following upstream's rules in order. */
export function summarizePod(pod: KubeObject, now: Date): PodSummary {
  const spec = obj(pod.spec) ?? {};
  const status = obj(pod.status) ?? {};
  const conditions = records(status.conditions);
  const containers = records(spec.containers);
  const initContainers = records(spec.initContainers);
  let restarts = 0;
  let restartableInitRestarts = 0;
  let total = containers.length;
  let ready = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  for (const c of conditions) if (c.type === 'PodScheduled' && c.reason === 'SchedulingGated') reason = 'SchedulingGated';

  const initByName = new Map<string, Obj>();
  for (const c of initContainers) {
    initByName.set(str(c.name), c);
    if (isRestartableInit(c)) total++;
  }

  let initializing = false;
  const initStatuses = records(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const count = num(cs.restartCount) ?? 0;
    restarts += count;
    lastRestart = Math.max(lastRestart, finishedAt(cs));
    const restartable = isRestartableInit(initByName.get(str(cs.name)));
    if (restartable) {
      restartableInitRestarts += count;
      lastRestartableInitRestart = Math.max(lastRestartableInitRestart, finishedAt(cs));
    }
    const terminated = obj(get(cs, 'state.terminated'));
    const waiting = obj(get(cs, 'state.waiting'));
    if (terminated && (num(terminated.exitCode) ?? 0) === 0) continue;
    if (restartable && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) reason = terminatedReason(terminated, 'Init:');
    else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing') reason = `Init:${str(waiting.reason)}`;
    else reason = `Init:${i}/${initContainers.length}`;
    initializing = true;
    break;
  }

  if (!initializing || initializedTrue(conditions)) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = records(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += num(cs.restartCount) ?? 0;
      lastRestart = Math.max(lastRestart, finishedAt(cs));
      const waiting = obj(get(cs, 'state.waiting'));
      const terminated = obj(get(cs, 'state.terminated'));
      if (waiting && str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated) reason = terminatedReason(terminated, '');
      else if (cs.ready === true && obj(get(cs, 'state.running'))) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = hasCondition(conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartsText = String(restarts);
  if (restarts !== 0 && lastRestart !== 0) restartsText = `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)`;
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}

const summaries = new WeakMap<KubeObject, { at: number; s: PodSummary }>();

function summary(pod: KubeObject, now: Date): PodSummary {
  const cached = summaries.get(pod);
  if (cached && cached.at === now.getTime()) return cached.s;
  const s = summarizePod(pod, now);
  summaries.set(pod, { at: now.getTime(), s });
  return s;
}

function readinessGates(pod: KubeObject): string {
  const gates = records(get(pod, 'spec.readinessGates'));
  if (gates.length === 0) return '<none>';
  const conditions = records(get(pod, 'status.conditions'));
  let trueCount = 0;
  for (const g of gates) {
    const c = conditions.find((x) => x.type === g.conditionType);
    if (c?.status === 'True') trueCount++;
  }
  return `${trueCount}/${gates.length}`;
}

/** status.podIPs[0].ip, or the legacy status.podIP (upstream's conversion fills one from the other). */
export function podIP(pod: KubeObject): string {
  return str(records(get(pod, 'status.podIPs'))[0]?.ip) || str(get(pod, 'status.podIP'));
}

/** The pod's columns after NAME, as upstream's printPod. */
export const podColumns: readonly Column[] = [
  stringColumn('Ready', 'The aggregate readiness state of this pod for accepting traffic.', 0, (o, now) => summary(o, now).ready),
  stringColumn('Status', 'The aggregate status of the containers in this pod.', 0, (o, now) => summary(o, now).status),
  stringColumn('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.', 0, (o, now) => summary(o, now).restarts),
  ageColumn,
  stringColumn('IP', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1, (o) => podIP(o) || '<none>'),
  stringColumn('Node', 'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.', 1, (o) => str(get(o, 'spec.nodeName')) || '<none>'),
  stringColumn('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.', 1, (o) => str(get(o, 'status.nominatedNodeName')) || '<none>'),
  stringColumn('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True"', 1, readinessGates),
];
