// The scheduler proper: feeds the queue and cache from informers, runs one decision at a time, binds asynchronously.
import { isConflict, isNotFound, keyOf, objectPath, Resources, type ApiClient, type EventRecorder, type Informer, type KubeObject } from '../controllers/runtime/index.ts';
import type { Logger } from '../server/log.ts';
import { schedulePod, ErrNoNodesAvailable, type ScheduleContext } from './algorithm.ts';
import { Nominator, SchedulerCache } from './cache.ts';
import { fitErrorMessage, type Profile } from './framework.ts';
import { newPodInfo, type PodInfo } from './node-info.ts';
import { preempt, type Candidate } from './preemption.ts';
import { SchedulingQueue, type QueuedPod } from './queue.ts';
import type { Node, Pod, PodCondition, PodDisruptionBudget, PriorityClass } from './types.ts';

export interface SchedulerDeps {
  client: ApiClient;
  pods: Informer<Pod>;
  nodes: Informer<Node>;
  priorityClasses: Informer<PriorityClass>;
  pdbs: Informer<PodDisruptionBudget>;
  recorder: EventRecorder;
  profile: Profile;
  log: Logger;
  random?: () => number;
}

const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * One scheduler profile over shared informers. Guarantees: only pods with an empty spec.nodeName and our
 * schedulerName are scheduled; a decision is counted in the cache (assumed) before its binding is sent, so
 * later decisions see it; a failed binding is forgotten and the pod retried after backoff.
 */
export class Scheduler {
  readonly #d: SchedulerDeps;
  readonly cache = new SchedulerCache();
  readonly nominator = new Nominator();
  readonly queue: SchedulingQueue;
  readonly #ctx: ScheduleContext;
  readonly #bindings = new Set<Promise<void>>();
  readonly #unsubscribe: Array<() => void> = [];
  /** Pods bound by this scheduler since start (benchmarks). */
  scheduledCount = 0;

  constructor(deps: SchedulerDeps) {
    this.#d = deps;
    this.queue = new SchedulingQueue({ priorityOf: (p) => this.priorityOf(p) });
    this.#ctx = { profile: deps.profile, snapshot: this.cache.snapshot(), nominator: this.nominator, nextStartNodeIndex: 0, random: deps.random };
    this.#unsubscribe.push(
      deps.nodes.addEventHandler({
        onAdd: (n) => {
          this.cache.addOrUpdateNode(n);
          this.queue.moveAllToActiveOrBackoff();
        },
        onUpdate: (old, n) => {
          this.cache.addOrUpdateNode(n);
          if (nodeSchedulingChanged(old, n)) this.queue.moveAllToActiveOrBackoff();
        },
        onDelete: (n) => this.cache.removeNode(n.metadata.name ?? ''),
      }),
      deps.pods.addEventHandler({
        onAdd: (p) => this.#podChanged(undefined, p),
        onUpdate: (old, p) => this.#podChanged(old, p),
        onDelete: (p) => this.#podDeleted(p),
      }),
    );
  }

  /** spec.priority when admission set it, else the PriorityClass's value, else the global default class (or 0). */
  priorityOf(pod: Pod): number {
    if (typeof pod.spec?.priority === 'number') return pod.spec.priority;
    const name = pod.spec?.priorityClassName;
    if (name) return this.#d.priorityClasses.lister.get(name)?.value ?? 0;
    return this.#d.priorityClasses.lister.list().find((pc) => pc.globalDefault)?.value ?? 0;
  }

  #info(pod: Pod): PodInfo {
    return newPodInfo(pod, (p) => this.priorityOf(p));
  }

  #responsible(pod: Pod): boolean {
    return (pod.spec?.schedulerName ?? 'default-scheduler') === this.#d.profile.schedulerName;
  }

  #podChanged(old: Pod | undefined, pod: Pod): void {
    const key = keyOf(pod);
    if (pod.spec?.nodeName) {
      if (!old || !old.spec?.nodeName) this.queue.delete(pod);
      this.nominator.delete(key);
      this.cache.addPod(this.#info(pod), pod.spec.nodeName);
      // A new pod on a node can satisfy affinity or spreading of waiting pods.
      if (!old || JSON.stringify(old.metadata.labels) !== JSON.stringify(pod.metadata.labels)) this.queue.moveAllToActiveOrBackoff();
      return;
    }
    if (!this.#responsible(pod)) return;
    if (pod.metadata.deletionTimestamp) {
      this.queue.delete(pod);
      this.nominator.delete(key);
      return;
    }
    this.nominator.set(this.#info(pod), pod.status?.nominatedNodeName);
    if (old) this.queue.update(pod);
    else this.queue.add(pod);
  }

  #podDeleted(pod: Pod): void {
    const key = keyOf(pod);
    this.nominator.delete(key);
    this.queue.delete(pod);
    if (this.cache.has(key)) {
      this.cache.removePod(key);
      this.queue.moveAllToActiveOrBackoff();
    }
  }

  /** Schedules until `signal` aborts; resolves once bindings in flight have settled. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const q = await this.queue.pop(signal);
      if (!q) break;
      try {
        this.scheduleOne(q);
      } catch (e: unknown) {
        this.#d.log.error('scheduling attempt failed', { pod: q.key, error: e instanceof Error ? e.stack : String(e) });
        this.queue.addBackoff(q);
      }
      // Let informer events and binding answers in between decisions.
      await new Promise<void>((r) => setImmediate(r));
    }
    await Promise.allSettled([...this.#bindings]);
  }

  /** One synchronous scheduling cycle for a popped pod; the binding continues in the background. */
  scheduleOne(q: QueuedPod): void {
    const pod = this.#d.pods.lister.get(q.key) ?? q.pod;
    if (pod.metadata.deletionTimestamp || pod.spec?.nodeName || this.cache.has(q.key) || pod.metadata.uid !== q.pod.metadata.uid) {
      this.queue.done(q.key);
      return;
    }
    q.pod = pod;
    const cycle = this.queue.schedulingCycle;
    const info = this.#info(pod);
    const snapshot = this.cache.snapshot();
    if (snapshot.nodes.length === 0) {
      this.#fail(q, ErrNoNodesAvailable, 'Unschedulable', cycle, undefined);
      return;
    }
    this.#ctx.snapshot = snapshot;
    const decision = schedulePod(this.#ctx, info);
    if (!decision.ok) {
      const outcome = preempt({ profile: this.#d.profile, snapshot, nominator: this.nominator, pdbs: this.#d.pdbs.lister.list() }, info, decision.diagnosis);
      let nominated: string | null | undefined;
      if (outcome.kind === 'nominate') {
        nominated = outcome.candidate.node;
        this.nominator.set(info, nominated);
        this.#track(this.#evictVictims(info, outcome.candidate));
      } else {
        decision.diagnosis.postFilterMsg = outcome.message;
        if (pod.status?.nominatedNodeName) nominated = null;
      }
      this.#fail(q, fitErrorMessage(decision.diagnosis), 'Unschedulable', cycle, nominated);
      return;
    }
    const assumed: Pod = { ...pod, spec: { ...pod.spec, nodeName: decision.node } };
    this.cache.assume(this.#info(assumed), decision.node);
    this.nominator.delete(q.key);
    this.#track(this.#bind(q, pod, decision.node, cycle));
  }

  #track(p: Promise<void>): void {
    this.#bindings.add(p);
    void p.finally(() => this.#bindings.delete(p));
  }

  async #bind(q: QueuedPod, pod: Pod, node: string, cycle: number): Promise<void> {
    const { namespace = '', name = '', uid } = pod.metadata;
    try {
      await this.#d.client.request('POST', objectPath(Resources.Pod, namespace, name, 'binding'), {
        body: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid }, target: { apiVersion: 'v1', kind: 'Node', name: node } },
      });
      this.queue.done(q.key);
      this.scheduledCount++;
      this.#d.recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
    } catch (e: unknown) {
      this.cache.forget(q.key);
      if (isNotFound(e) || isConflict(e)) {
        // Gone, or bound by someone else: the informer tells the rest.
        this.queue.done(q.key);
        return;
      }
      const msg = e instanceof Error ? e.message : String(e);
      this.#d.log.warn('binding failed', { pod: q.key, node, error: msg });
      this.#fail(q, `running Bind plugin "DefaultBinder": ${msg}`, 'SchedulerError', cycle, undefined, true);
    }
  }

  /** Requeues, records FailedScheduling and sets PodScheduled=False (and the nomination) on the pod. */
  #fail(q: QueuedPod, message: string, reason: 'Unschedulable' | 'SchedulerError', cycle: number, nominated: string | null | undefined, isError = false): void {
    if (isError || reason === 'SchedulerError') this.queue.addBackoff(q);
    else this.queue.addUnschedulable(q, cycle);
    this.#d.recorder.event(q.pod, 'Warning', 'FailedScheduling', message);
    this.#track(this.#updateStatus(q.key, { type: 'PodScheduled', status: 'False', reason, message }, nominated));
  }

  async #updateStatus(key: string, cond: PodCondition, nominated: string | null | undefined): Promise<void> {
    const pod = this.#d.pods.lister.get(key);
    if (!pod || pod.spec?.nodeName) return;
    const conditions = [...(pod.status?.conditions ?? [])];
    const i = conditions.findIndex((c) => c.type === cond.type);
    const old = i >= 0 ? conditions[i] : undefined;
    const same = old && old.status === cond.status && old.reason === cond.reason && old.message === cond.message;
    const nominationChanges = nominated !== undefined && (pod.status?.nominatedNodeName ?? null) !== nominated;
    if (same && !nominationChanges) return;
    const next: PodCondition = { ...cond, lastProbeTime: null, lastTransitionTime: old && old.status === cond.status && old.lastTransitionTime ? old.lastTransitionTime : now() };
    if (i >= 0) conditions[i] = next;
    else conditions.push(next);
    const status: Record<string, unknown> = { conditions };
    if (nominationChanges) status.nominatedNodeName = nominated;
    await this.#patchStatus(pod, status);
  }

  async #patchStatus(pod: KubeObject, status: Record<string, unknown>): Promise<void> {
    const { namespace = '', name = '' } = pod.metadata;
    try {
      await this.#d.client.request('PATCH', objectPath(Resources.Pod, namespace, name, 'status'), { body: { status }, contentType: 'application/merge-patch+json' });
    } catch (e: unknown) {
      if (!isNotFound(e)) this.#d.log.warn('could not update pod status', { pod: `${namespace}/${name}`, error: e instanceof Error ? e.message : String(e) });
    }
  }

  /** Upstream's prepareCandidate: mark each victim DisruptionTarget, delete it, record Preempted; drop lower nominations there. */
  async #evictVictims(preemptor: PodInfo, c: Candidate): Promise<void> {
    for (const v of c.victims) {
      const { namespace = '', name = '' } = v.pod.metadata;
      const conditions = (v.pod.status?.conditions ?? []).filter((x) => x.type !== 'DisruptionTarget');
      conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'PreemptionByScheduler', message: `${this.#d.profile.schedulerName}: preempting to accommodate a higher priority pod`, lastTransitionTime: now() });
      await this.#patchStatus(v.pod, { conditions });
      try {
        await this.#d.client.request('DELETE', objectPath(Resources.Pod, namespace, name), { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: v.pod.metadata.uid } } });
      } catch (e: unknown) {
        if (!isNotFound(e) && !isConflict(e)) {
          this.#d.log.warn('could not delete preemption victim', { pod: v.key, error: e instanceof Error ? e.message : String(e) });
          continue;
        }
      }
      this.#d.recorder.event(v.pod, 'Normal', 'Preempted', `Preempted by pod ${preemptor.pod.metadata.uid ?? ''} on node ${c.node}`);
    }
    for (const p of this.nominator.podsOn(c.node)) {
      if (p.key === preemptor.key || p.priority >= preemptor.priority) continue;
      this.nominator.delete(p.key);
      await this.#patchStatus(p.pod, { nominatedNodeName: null });
    }
  }

  /** Detaches from the informers and stops the queue. */
  close(): void {
    for (const u of this.#unsubscribe.splice(0)) u();
    this.queue.close();
  }
}

/** Whether a node update can make a pod fit (allocatable, labels, taints, cordon), not just a heartbeat. */
function nodeSchedulingChanged(old: Node, n: Node): boolean {
  return (
    JSON.stringify(old.status?.allocatable) !== JSON.stringify(n.status?.allocatable) ||
    JSON.stringify(old.metadata.labels) !== JSON.stringify(n.metadata.labels) ||
    JSON.stringify(old.spec) !== JSON.stringify(n.spec)
  );
}
