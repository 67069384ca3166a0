// The PLEG: a relist of CRI sandboxes and containers (every second and on demand) that tells pod workers what changed.
import type { CriClient } from './cri/client.ts';
import { isNotFound } from './cri/errors.ts';
import type { ContainerState, ContainerStatus, PodSandbox, PodSandboxState } from './cri/types.ts';
import { terminationMessageOf } from './termination.ts';
import type { Logger } from '../server/log.ts';

/** Labels on every sandbox and container we create, as upstream's kubelet puts them. */
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';

export interface CachedSandbox {
  id: string;
  podUid: string;
  name: string;
  namespace: string;
  attempt: number;
  state: PodSandboxState;
  createdAtMs: number;
  ip: string;
  labels: Record<string, string>;
}

export interface CachedContainer {
  id: string;
  sandboxId: string;
  podUid: string;
  name: string;
  attempt: number;
  restartCount: number;
  state: ContainerState;
  createdAtMs: number;
  startedAtMs: number;
  finishedAtMs: number;
  exitCode: number;
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  logPath: string;
  annotations: Record<string, string>;
}

export interface PodRuntime {
  /** Newest first. */
  sandboxes: CachedSandbox[];
  /** Newest first. */
  containers: CachedContainer[];
}

/** Nanoseconds since the epoch (decimal string) → milliseconds. */
export function nanosToMs(ns: string): number {
  if (!ns || ns === '0') return 0;
  return Number(BigInt(ns) / 1_000_000n);
}

/** A cache entry for a sandbox from its listing (or status) and its IP. */
function toSandbox(s: PodSandbox, uid: string, ip: string): CachedSandbox {
  return {
    id: s.id, podUid: uid, name: s.metadata?.name ?? '', namespace: s.metadata?.namespace ?? '', attempt: s.metadata?.attempt ?? 0,
    state: s.state, createdAtMs: nanosToMs(s.createdAt), ip, labels: s.labels,
  };
}

/** A cache entry for a container from its CRI status; an exited one carries its termination message (termination.ts). */
function toContainer(detail: ContainerStatus, sandboxId: string, uid: string, listedImage = '', listedImageRef = ''): CachedContainer {
  const annotations = detail.annotations;
  return {
    id: detail.id, sandboxId, podUid: uid, name: detail.metadata?.name ?? detail.labels[LABEL_CONTAINER_NAME] ?? '',
    attempt: detail.metadata?.attempt ?? 0, restartCount: Number(annotations[ANNOTATION_RESTART_COUNT] ?? detail.metadata?.attempt ?? 0),
    state: detail.state, createdAtMs: nanosToMs(detail.createdAt), startedAtMs: nanosToMs(detail.startedAt),
    finishedAtMs: nanosToMs(detail.finishedAt), exitCode: detail.exitCode, reason: detail.reason,
    message: detail.state === 'CONTAINER_EXITED' ? terminationMessageOf(detail) : detail.message,
    image: detail.image?.image ?? listedImage, imageRef: detail.imageRef || listedImageRef, logPath: detail.logPath, annotations,
  };
}

/**
 * Mirrors the runtime's pods. `refresh()` relists now (calls coalesce); `start()` relists every
 * `periodMs`. After each relist, `onChange` is called once per pod uid whose sandboxes or containers
 * appeared, vanished or changed state. `refreshSandbox`/`refreshContainer` read one object at once (a worker
 * after its own CRI call need not wait for a relist); a relist that listed before such a read keeps its entry.
 * Never throws: a failing runtime keeps the last known state.
 */
export class RuntimeCache {
  readonly #cri: CriClient;
  readonly #log: Logger;
  #sandboxes = new Map<string, CachedSandbox>();
  #containers = new Map<string, CachedContainer>();
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #healthy = false;
  /** Bumped by every relist start and every single-object read: an entry read after a relist listed survives it. */
  #seq = 0;
  readonly #readAt = new Map<string, number>();
  onChange: (podUid: string) => void = () => {};

  constructor(cri: CriClient, log: Logger) {
    this.#cri = cri;
    this.#log = log;
  }

  /** True once a relist has succeeded, and after every later success. */
  get healthy(): boolean {
    return this.#healthy;
  }

  start(periodMs = 1000): void {
    const loop = (): void => {
      this.#timer = setTimeout(() => void this.refresh().finally(loop), periodMs);
      this.#timer.unref();
    };
    loop();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  /** Relist now; resolves once a relist that started after this call has finished. */
  refresh(): Promise<void> {
    if (!this.#running) {
      this.#running = this.#relist().finally(() => (this.#running = undefined));
      return this.#running;
    }
    this.#queued ??= this.#running.then(() => {
      this.#queued = undefined;
      return this.refresh();
    });
    return this.#queued;
  }

  /** Everything known about one pod. */
  pod(uid: string): PodRuntime {
    const sandboxes = [...this.#sandboxes.values()].filter((s) => s.podUid === uid).sort((a, b) => b.createdAtMs - a.createdAtMs);
    const containers = [...this.#containers.values()].filter((c) => c.podUid === uid).sort((a, b) => b.createdAtMs - a.createdAtMs || b.attempt - a.attempt);
    return { sandboxes, containers };
  }

  /** Uids of every pod that has a sandbox or container in the runtime. */
  podUids(): Set<string> {
    const uids = new Set<string>();
    for (const s of this.#sandboxes.values()) uids.add(s.podUid);
    for (const c of this.#containers.values()) uids.add(c.podUid);
    return uids;
  }

  /** Reads one sandbox's status now into the cache; undefined when the runtime no longer has it. */
  async refreshSandbox(id: string): Promise<CachedSandbox | undefined> {
    let status;
    try {
      status = (await this.#cri.podSandboxStatus(id, false, { timeoutMs: 10_000 })).status;
    } catch (e: unknown) {
      if (!isNotFound(e)) throw e;
    }
    if (!status) return undefined;
    const uid = status.labels[LABEL_POD_UID] ?? status.metadata?.uid ?? '';
    const entry = toSandbox(status, uid, status.state === 'SANDBOX_READY' ? status.network?.ip ?? '' : '');
    this.#sandboxes.set(id, entry);
    this.#readAt.set(id, ++this.#seq);
    return entry;
  }

  /** Reads one container's status now into the cache (`sandboxId`: the sandbox it was created in); undefined when gone. */
  async refreshContainer(id: string, sandboxId: string): Promise<CachedContainer | undefined> {
    let detail;
    try {
      detail = (await this.#cri.containerStatus(id, false, { timeoutMs: 10_000 })).status;
    } catch (e: unknown) {
      if (!isNotFound(e)) throw e;
    }
    if (!detail) return undefined;
    const entry = toContainer(detail, sandboxId, detail.labels[LABEL_POD_UID] ?? '');
    this.#containers.set(id, entry);
    this.#readAt.set(id, ++this.#seq);
    return entry;
  }

  /** Forget a container at once (after we removed it), so a sync does not see it again before the next relist. */
  forgetContainer(id: string): void {
    this.#containers.delete(id);
    this.#readAt.delete(id);
  }

  forgetSandbox(id: string): void {
    this.#sandboxes.delete(id);
    this.#readAt.delete(id);
  }

  async #relist(): Promise<void> {
    const listedAt = ++this.#seq;
    try {
      const [sandboxes, containers] = await Promise.all([this.#cri.listPodSandbox(undefined, { timeoutMs: 10_000 }), this.#cri.listContainers(undefined, { timeoutMs: 10_000 })]);
      const changed = new Set<string>();
      const nextSandboxes = new Map<string, CachedSandbox>();
      for (const s of sandboxes) {
        const uid = s.labels[LABEL_POD_UID] ?? s.metadata?.uid ?? '';
        if (!uid) continue;
        const prev = this.#sandboxes.get(s.id);
        let ip = prev?.ip ?? '';
        if (s.state === 'SANDBOX_READY' && !ip) {
          try {
            ip = (await this.#cri.podSandboxStatus(s.id, false, { timeoutMs: 10_000 })).status?.network?.ip ?? '';
          } catch (e: unknown) {
            if (!isNotFound(e)) throw e;
          }
        }
        const next = toSandbox(s, uid, ip);
        if (!prev || prev.state !== next.state || prev.ip !== next.ip) changed.add(uid);
        nextSandboxes.set(s.id, next);
      }
      for (const [id, s] of this.#sandboxes) if (!nextSandboxes.has(id) && (this.#readAt.get(id) ?? 0) <= listedAt) changed.add(s.podUid);

      const nextContainers = new Map<string, CachedContainer>();
      for (const c of containers) {
        const uid = c.labels[LABEL_POD_UID] ?? '';
        if (!uid) continue;
        const prev = this.#containers.get(c.id);
        if (prev && prev.state === c.state) {
          nextContainers.set(c.id, prev);
          continue;
        }
        let detail;
        try {
          detail = (await this.#cri.containerStatus(c.id, false, { timeoutMs: 10_000 })).status;
        } catch (e: unknown) {
          if (isNotFound(e)) continue;
          throw e;
        }
        if (!detail) continue;
        const next = toContainer(detail, c.podSandboxId, uid, c.image?.image ?? '', c.imageRef);
        nextContainers.set(c.id, next);
        // A container read by refreshContainer in the same state was already seen by its worker.
        const current = this.#containers.get(c.id);
        if (!current || current.state !== next.state) changed.add(uid);
      }
      for (const [id, c] of this.#containers) if (!nextContainers.has(id) && (this.#readAt.get(id) ?? 0) <= listedAt) changed.add(c.podUid);
      // What a worker read after this relist listed is at least as new as the listing: it wins.
      for (const [id, at] of this.#readAt) {
        if (at <= listedAt) {
          this.#readAt.delete(id);
          continue;
        }
        const sb = this.#sandboxes.get(id);
        if (sb) nextSandboxes.set(id, sb);
        const ct = this.#containers.get(id);
        if (ct) nextContainers.set(id, ct);
      }
      this.#sandboxes = nextSandboxes;
      this.#containers = nextContainers;
      this.#healthy = true;
      for (const uid of changed) this.onChange(uid);
    } catch (e: unknown) {
      if (this.#healthy) this.#log.warn('relist failed', { error: e instanceof Error ? e.message : String(e) });
      this.#healthy = false;
    }
  }
}
