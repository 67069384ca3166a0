// One worker per pod: a serial, level-based sync of the pod's desired state (API) against its runtime state (PLEG cache).
import { isConflict, isNotFound } from '../controllers/runtime/index.ts';
import type { PodSandboxConfig } from './cri/types.ts';
import { goDuration } from './backoff.ts';
import type { KubeletContext } from './context.ts';
import type { RuntimeFacts } from './env.ts';
import { cgroupParentOf, gracePeriodOf, podLogDir, sandboxConfigOf } from './pod-config.ts';
import { containerEvent, killContainer, killPod, refTo, removePod, startContainer, StartError } from './pod-actions.ts';
import { computePodStatus, rfc3339, type WorkerView } from './pod-status.ts';
import type { CachedContainer, CachedSandbox } from './runtime-cache.ts';
import { podDesc, type Container, type Pod, type PodStatus } from './types.ts';
import { setUpVolumes, VolumeError } from './volumes.ts';

const RESYNC_MS = 10_000;
const VOLUME_REFRESH_MS = 60_000;

/**
 * Syncs one pod. `update()` marks it dirty; syncs never overlap and coalesce. After a sync the worker
 * re-arms a timer (back-off expiry or the periodic resync). `done` resolves true once the pod is gone
 * from both the API and the runtime, when the manager drops the worker.
 */
export class PodWorker {
  readonly uid: string;
  pod: Pod | undefined;
  /** The pod was deleted from the API (or never seen there: an orphan). */
  gone = false;
  #ctx: KubeletContext;
  #dirty = false;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #waiting = new Map<string, { reason: string; message: string }>();
  #terminalPhase: 'Succeeded' | 'Failed' | undefined;
  #startTime = rfc3339(Date.now());
  #lastStatus = '';
  #volumePaths = new Map<string, string>();
  #volumesAt = 0;
  #finished = false;
  #stopped = false;
  /** Wall-clock marks of the pod's first start, logged once at debug level ("pod start-up") for benchmarks. */
  #startup: { seen: number; synced?: number; volumes?: number; sandbox?: number; containers?: number; logged?: boolean } = { seen: Date.now() };
  onFinished: () => void = () => {};

  constructor(ctx: KubeletContext, uid: string) {
    this.#ctx = ctx;
    this.uid = uid;
  }

  update(): void {
    if (this.#stopped) return;
    this.#dirty = true;
    this.#running ??= this.#loop().finally(() => (this.#running = undefined));
  }

  /** Stops scheduling (kubelet shutdown); containers keep running. */
  stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    return this.#running ?? Promise.resolve();
  }

  #after(ms: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.update(), ms);
    this.#timer.unref();
  }

  async #loop(): Promise<void> {
    while (this.#dirty && !this.#stopped) {
      this.#dirty = false;
      let nextMs = RESYNC_MS;
      try {
        nextMs = await this.#sync();
      } catch (e: unknown) {
        this.#ctx.log.warn('pod sync failed', { pod: this.pod ? podDesc(this.pod) : this.uid, error: e instanceof Error ? e.message : String(e) });
        nextMs = 2000;
      }
      if (this.#finished) return this.onFinished();
      this.#after(nextMs);
    }
  }

  /** One pass; returns when to look again (ms). */
  async #sync(): Promise<number> {
    const ctx = this.#ctx;
    const pod = this.pod;
    if (!pod || this.gone) {
      await this.#terminate(pod, undefined, false);
      return RESYNC_MS;
    }
    if (pod.metadata.deletionTimestamp) {
      const grace = (pod.metadata.deletionGracePeriodSeconds as number | undefined) ?? gracePeriodOf(pod);
      await this.#terminate(pod, grace, true);
      return RESYNC_MS;
    }
    const reported = pod.status?.phase;
    if (this.#terminalPhase || reported === 'Succeeded' || reported === 'Failed') {
      this.#terminalPhase ??= reported as 'Succeeded' | 'Failed';
      await killPod(ctx, pod, this.uid);
      await ctx.cache.refresh();
      await this.#patchStatus(pod);
      ctx.probes.stopPod(this.uid);
      return RESYNC_MS;
    }
    this.#startup.synced ??= Date.now();
    const next = await this.#syncRunning(pod);
    await this.#patchStatus(pod);
    this.#logStartup(pod);
    return next;
  }

  /** Kill and remove everything of the pod; then, for a pod being deleted, remove its API object (uid precondition). */
  async #terminate(pod: Pod | undefined, grace: number | undefined, deleteObject: boolean): Promise<void> {
    const ctx = this.#ctx;
    ctx.probes.stopPod(this.uid);
    await killPod(ctx, pod, this.uid, grace);
    await ctx.cache.refresh();
    const rt = ctx.cache.pod(this.uid);
    const parents = new Set<string>();
    const ns = pod?.metadata.namespace ?? rt.sandboxes[0]?.namespace;
    const name = pod?.metadata.name ?? rt.sandboxes[0]?.name;
    if (pod) parents.add(cgroupParentOf(pod, ctx.cgroupRoot));
    else for (const q of ['', 'besteffort/', 'burstable/']) parents.add(`/${ctx.cgroupRoot}/${q}pod${this.uid}`);
    const logDir = ns && name ? podLogDir(ctx.logRoot, { metadata: { namespace: ns, name, uid: this.uid } }) : undefined;
    await removePod(ctx, this.uid, logDir, [...parents]);
    ctx.backoff.forgetPrefix(`${this.uid}/`);
    if (pod && deleteObject) {
      try {
        await ctx.client.request('DELETE', `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? '')}/pods/${encodeURIComponent(pod.metadata.name ?? '')}`, {
          body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: this.uid } },
        });
      } catch (e: unknown) {
        if (!isNotFound(e) && !isConflict(e)) throw e;
      }
    }
    if (!deleteObject) this.#finished = true;
  }

  #sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    const ctx = this.#ctx;
    return sandboxConfigOf(pod, { attempt, cgroupRoot: ctx.cgroupRoot, logRoot: ctx.logRoot, dns: ctx.dns });
  }

  async #volumes(pod: Pod, sandbox: CachedSandbox | undefined): Promise<boolean> {
    if (this.#volumePaths.size > 0 && Date.now() - this.#volumesAt < VOLUME_REFRESH_MS) return true;
    const facts: RuntimeFacts = { podIP: sandbox?.ip ?? '', podIPs: sandbox?.ip ? [sandbox.ip] : [], hostIP: this.#ctx.hostIP, nodeAllocatable: this.#ctx.allocatable };
    try {
      this.#volumePaths = await setUpVolumes(pod, this.#ctx.kubeletRoot, facts, this.#ctx.config);
      this.#volumesAt = Date.now();
      return true;
    } catch (e: unknown) {
      if (!(e instanceof VolumeError)) throw e;
      this.#ctx.recorder.event(refTo(pod), 'Warning', 'FailedMount', e.message);
      return false;
    }
  }

  /** Sandbox, then init containers in order, then the app containers; returns when to look again. */
  async #syncRunning(pod: Pod): Promise<number> {
    const ctx = this.#ctx;
    let rt = ctx.cache.pod(this.uid);
    let sandbox = rt.sandboxes[0];
    if (!sandbox || sandbox.state !== 'SANDBOX_READY') {
      if (sandbox) {
        ctx.recorder.event(refTo(pod), 'Normal', 'SandboxChanged', 'Pod sandbox changed, it will be killed and re-created.');
        await killPod(ctx, pod, this.uid, 0);
      }
      if (!(await this.#volumes(pod, undefined))) return 5000;
      this.#startup.volumes ??= Date.now();
      const attempt = sandbox ? sandbox.attempt + 1 : 0;
      const config = this.#sandboxConfig(pod, attempt);
      const run = (): Promise<string> => ctx.cri.runPodSandbox(config);
      let id: string;
      try {
        id = await (ctx.sandboxStarts ? ctx.sandboxStarts.run(run) : run());
      } catch (e: unknown) {
        const msg = e instanceof Error ? e.message : String(e);
        ctx.recorder.event(refTo(pod), 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${msg}`);
        return 5000;
      }
      // Read the new sandbox (and its IP) at once rather than waiting for a relist of the whole runtime.
      await ctx.cache.refreshSandbox(id);
      this.#startup.sandbox ??= Date.now();
      rt = ctx.cache.pod(this.uid);
      sandbox = rt.sandboxes[0];
      if (!sandbox || sandbox.state !== 'SANDBOX_READY') return 1000;
    } else if (!(await this.#volumes(pod, sandbox))) {
      return 5000;
    }
    const sandboxConfig = this.#sandboxConfig(pod, sandbox.attempt);
    const inSandbox = (name: string): CachedContainer | undefined => rt.containers.find((c) => c.name === name && c.sandboxId === sandbox.id);
    const nextAttempt = (name: string): number => {
      const latest = rt.containers.find((c) => c.name === name);
      return latest ? latest.attempt + 1 : 0;
    };
    const policy = pod.spec.restartPolicy ?? 'Always';
    let changed = false;
    let wakeMs = RESYNC_MS;
    /** Starts `c`; a started container is read back at once, a failure leaves its traces to a relist (changed). */
    const start = async (c: Container): Promise<void> => {
      try {
        const id = await startContainer(ctx, pod, c, sandbox, sandboxConfig, nextAttempt(c.name), this.#volumePaths);
        this.#waiting.delete(c.name);
        await ctx.cache.refreshContainer(id, sandbox.id);
        // Sync again right after this pass, so probes and hooks see the running container without a relist.
        this.#dirty = true;
        return;
      } catch (e: unknown) {
        if (!(e instanceof StartError)) throw e;
        const key = `${this.uid}/${c.name}/start`;
        ctx.backoff.next(key);
        this.#waiting.set(c.name, { reason: e.reason, message: e.message });
        wakeMs = Math.min(wakeMs, Math.max(1000, ctx.backoff.get(key)));
      }
      changed = true;
    };
    /** Restart `inst`'s container unless in back-off; returns false while backing off. */
    const restart = async (c: Container, inst: CachedContainer): Promise<void> => {
      const key = `${this.uid}/${c.name}`;
      if (ctx.backoff.inBackoffSince(key, inst.finishedAtMs)) {
        const msg = `back-off ${goDuration(ctx.backoff.get(key))} restarting failed container=${c.name} pod=${podDesc(pod)}`;
        if (this.#waiting.get(c.name)?.reason !== 'CrashLoopBackOff') {
          containerEvent(ctx, pod, c, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podDesc(pod)}`);
        }
        this.#waiting.set(c.name, { reason: 'CrashLoopBackOff', message: msg });
        wakeMs = Math.min(wakeMs, ctx.backoff.remaining(key, inst.finishedAtMs) + 50);
        return;
      }
      ctx.backoff.next(key);
      await start(c);
    };

    // Init containers, in order: each must exit 0 before the next starts.
    for (const c of pod.spec.initContainers ?? []) {
      const inst = inSandbox(c.name);
      if (!inst) {
        await start(c);
        return this.#afterChange(changed, wakeMs);
      }
      if (inst.state !== 'CONTAINER_EXITED') return RESYNC_MS;
      if (inst.exitCode === 0) continue;
      if (policy === 'Never') {
        this.#terminalPhase = 'Failed';
        return 0;
      }
      await restart(c, inst);
      return this.#afterChange(changed, wakeMs);
    }

    const targets = [];
    for (const c of pod.spec.containers) {
      const inst = inSandbox(c.name);
      if (!inst) {
        await start(c);
        continue;
      }
      if (inst.state === 'CONTAINER_RUNNING') {
        if (ctx.probes.livenessFailed.get(inst.id)) {
          const which = c.startupProbe && ctx.probes.started.get(inst.id) !== true ? 'startup' : 'liveness';
          await killContainer(ctx, pod, inst, c.livenessProbe?.terminationGracePeriodSeconds ?? gracePeriodOf(pod), `Container ${c.name} failed ${which} probe, will be restarted`);
          ctx.probes.livenessFailed.delete(inst.id);
          changed = true;
          continue;
        }
        this.#waiting.delete(c.name);
        targets.push({ podUid: this.uid, container: c, containerId: inst.id, podIP: sandbox.ip, startedAtMs: inst.startedAtMs });
        continue;
      }
      if (inst.state === 'CONTAINER_CREATED' || inst.state === 'CONTAINER_UNKNOWN') {
        await ctx.cri.removeContainer(inst.id).catch(() => undefined);
        ctx.cache.forgetContainer(inst.id);
        await start(c);
        continue;
      }
      const again = policy === 'Always' || (policy === 'OnFailure' && inst.exitCode !== 0);
      if (again) await restart(c, inst);
    }
    ctx.probes.sync(this.uid, targets);
    if (this.#startup.containers === undefined) {
      const now = ctx.cache.pod(this.uid).containers;
      if (pod.spec.containers.every((c) => now.some((x) => x.name === c.name && x.sandboxId === sandbox.id && x.state === 'CONTAINER_RUNNING'))) this.#startup.containers = Date.now();
    }
    await this.#garbageCollect();
    return this.#afterChange(changed, wakeMs);
  }

  async #afterChange(changed: boolean, wakeMs: number): Promise<number> {
    if (changed) await this.#ctx.cache.refresh();
    return wakeMs;
  }

  /** Keep the two newest instances of each container (the current one and, for `logs --previous`, the one before). */
  async #garbageCollect(): Promise<void> {
    const rt = this.#ctx.cache.pod(this.uid);
    const seen = new Map<string, number>();
    for (const c of rt.containers) {
      const n = (seen.get(c.name) ?? 0) + 1;
      seen.set(c.name, n);
      if (n > 2 && c.state === 'CONTAINER_EXITED') {
        await this.#ctx.cri.removeContainer(c.id).catch(() => undefined);
        this.#ctx.cache.forgetContainer(c.id);
      }
    }
    const current = rt.sandboxes[0];
    const live = new Set(this.#ctx.cache.pod(this.uid).containers.map((c) => c.sandboxId));
    for (const s of rt.sandboxes) {
      if (s === current || live.has(s.id)) continue;
      await this.#ctx.cri.removePodSandbox(s.id).catch(() => undefined);
      this.#ctx.cache.forgetSandbox(s.id);
    }
  }

  /** One debug line with the marks of the pod's first start, once its containers all ran and the status was sent. */
  #logStartup(pod: Pod): void {
    const t = this.#startup;
    if (t.logged || t.containers === undefined) return;
    t.logged = true;
    this.#ctx.log.debug('pod start-up', { pod: podDesc(pod), uid: this.uid, seen: t.seen, synced: t.synced, volumes: t.volumes, sandbox: t.sandbox, containers: t.containers, reported: Date.now() });
  }

  async #patchStatus(pod: Pod): Promise<void> {
    const ctx = this.#ctx;
    const view: WorkerView = {
      waiting: this.#waiting, ready: ctx.probes.ready, started: ctx.probes.started, hostIP: ctx.hostIP,
      terminalPhase: this.#terminalPhase, startTime: this.#startTime,
    };
    const status = computePodStatus(pod, ctx.cache.pod(this.uid), view);
    if ((status.phase === 'Succeeded' || status.phase === 'Failed') && !this.#terminalPhase) this.#terminalPhase = status.phase;
    const text = JSON.stringify(status);
    // Compare with what we last sent, not with the stored object: the server may normalise fields (null
    // lastProbeTime, key order), and re-sending on every echo of our own patch would never settle.
    if (text === this.#lastStatus) return;
    const body: Record<string, unknown> = { ...status };
    for (const k of Object.keys(pod.status ?? {})) if (!(k in status)) body[k] = null;
    try {
      const updated = await ctx.client.request<Pod>('PATCH', `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? '')}/pods/${encodeURIComponent(pod.metadata.name ?? '')}/status`, {
        body: { metadata: { uid: this.uid }, status: body as PodStatus }, contentType: 'application/merge-patch+json',
      });
      this.#lastStatus = text;
      if (this.pod && this.pod.metadata.uid === updated.metadata.uid && !this.gone) this.pod = updated;
    } catch (e: unknown) {
      if (!isNotFound(e)) throw e;
    }
  }
}
