// The runtime steps of a pod worker: image, container start, container and pod kill, and clean-up of what a pod leaves on the host.
import { existsSync, mkdirSync, readdirSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isNotFound } from './cri/errors.ts';
import type { PodSandboxConfig } from './cri/types.ts';
import type { KubeletContext } from './context.ts';
import { ContainerConfigError, containerEnv, type RuntimeFacts } from './env.ts';
import { ANNOTATION_PRESTOP, containerConfigOf, gracePeriodOf, podLogDir } from './pod-config.ts';
import { runHandler } from './probes.ts';
import type { CachedContainer, CachedSandbox } from './runtime-cache.ts';
import type { Container, Handler, Pod } from './types.ts';
import { hostsMountFor } from './hosts.ts';
import { terminationMessageMount } from './termination.ts';
import { containerMounts, podDir, tearDownVolumes } from './volumes.ts';

/** A container that cannot start yet: the waiting reason and message to report. */
export class StartError extends Error {
  override readonly name = 'StartError';
  constructor(readonly reason: string, message: string) {
    super(message);
  }
}

const MIN_GRACE_SECONDS = 2;

/** Upstream's default pull policy: Always for `:latest` or no tag, IfNotPresent otherwise. */
export function pullPolicyOf(c: Container): 'Always' | 'IfNotPresent' | 'Never' {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? '';
  const afterSlash = image.slice(image.lastIndexOf('/') + 1);
  if (image.includes('@')) return 'IfNotPresent';
  const tag = afterSlash.includes(':') ? afterSlash.slice(afterSlash.indexOf(':') + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

/**
 * Makes the image present. ImageStatus comes first (as upstream), so images imported offline work with
 * IfNotPresent, Never, and also Always: a present image is used without a pull, because no registry is
 * reachable for local images (documented divergence: upstream would pull).
 * @throws StartError ErrImageNeverPull / ErrImagePull.
 */
export async function ensureImage(ctx: KubeletContext, pod: Pod, c: Container): Promise<string> {
  const image = c.image ?? '';
  const present = await ctx.cri.imageStatus(image);
  if (present) {
    containerEvent(ctx, pod, c, 'Normal', 'Pulled', `Container image "${image}" already present on machine`);
    return image;
  }
  if (pullPolicyOf(c) === 'Never') {
    const msg = `Container image "${image}" is not present with pull policy of Never`;
    containerEvent(ctx, pod, c, 'Warning', 'ErrImageNeverPull', msg);
    throw new StartError('ErrImageNeverPull', msg);
  }
  containerEvent(ctx, pod, c, 'Normal', 'Pulling', `Pulling image "${image}"`);
  const started = Date.now();
  try {
    await ctx.cri.pullImage(image, undefined, undefined, { timeoutMs: 120_000 });
  } catch (e: unknown) {
    const detail = e instanceof Error ? e.message.replace(/^CRI PullImage: \w+: /, '') : String(e);
    const msg = `Failed to pull image "${image}": ${detail}`;
    containerEvent(ctx, pod, c, 'Warning', 'Failed', msg);
    throw new StartError('ErrImagePull', msg);
  }
  const secs = ((Date.now() - started) / 1000).toFixed(3);
  const size = (await ctx.cri.imageStatus(image).catch(() => null))?.size ?? '0';
  containerEvent(ctx, pod, c, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${secs}s (${secs}s including waiting). Image size: ${size} bytes.`);
  return image;
}

/** The involvedObject of a pod event: the pod (list items come without kind/apiVersion). */
export function refTo(pod: Pod): Pod {
  return { ...pod, kind: 'Pod', apiVersion: 'v1' };
}

/** A container's involvedObject.fieldPath, as upstream: `spec.initContainers{name}` or `spec.containers{name}`. */
export function fieldPathOf(pod: Pod, c: Pick<Container, 'name'>): string {
  const init = (pod.spec.initContainers ?? []).some((x) => x.name === c.name);
  return `spec.${init ? 'initContainers' : 'containers'}{${c.name}}`;
}

/** Records an event about one container of the pod (involvedObject the pod, fieldPath the container). */
export function containerEvent(ctx: KubeletContext, pod: Pod, c: Pick<Container, 'name'>, type: 'Normal' | 'Warning', reason: string, message: string): void {
  ctx.recorder.event(refTo(pod), type, reason, message, fieldPathOf(pod, c));
}

/** Create and start one container in the sandbox, with Created/Started events and the postStart hook. */
export async function startContainer(ctx: KubeletContext, pod: Pod, c: Container, sandbox: CachedSandbox, sandboxConfig: PodSandboxConfig, attempt: number, volumePaths: ReadonlyMap<string, string>): Promise<string> {
  const image = await ensureImage(ctx, pod, c);
  const facts: RuntimeFacts = { podIP: sandbox.ip, podIPs: sandbox.ip ? [sandbox.ip] : [], hostIP: ctx.hostIP, nodeAllocatable: ctx.allocatable };
  let envs;
  try {
    envs = await containerEnv(pod, c, facts, ctx.config);
  } catch (e: unknown) {
    if (e instanceof ContainerConfigError) {
      containerEvent(ctx, pod, c, 'Warning', 'Failed', `Error: ${e.message}`);
      throw new StartError('CreateContainerConfigError', e.message);
    }
    throw e;
  }
  // Upstream's order: the volumes, then the managed /etc/hosts, then this instance's termination message file.
  const dir = podDir(ctx.kubeletRoot, pod.metadata.uid ?? '');
  const mounts = containerMounts(pod, c, volumePaths);
  const hosts = hostsMountFor(dir, pod, c, pod.spec.hostNetwork ? [ctx.hostIP] : facts.podIPs, ctx.dns.clusterDomain);
  if (hosts) mounts.push(hosts);
  const message = terminationMessageMount(dir, c);
  if (message) mounts.push(message);
  const config = containerConfigOf({ pod, container: c, image, attempt, envs, mounts, memoryCapacityBytes: ctx.memoryCapacityBytes });
  mkdirSync(join(podLogDir(ctx.logRoot, pod), c.name), { recursive: true });
  let id: string;
  try {
    id = await ctx.cri.createContainer(sandbox.id, config, sandboxConfig);
  } catch (e: unknown) {
    const msg = e instanceof Error ? e.message : String(e);
    containerEvent(ctx, pod, c, 'Warning', 'Failed', `Error: ${msg}`);
    throw new StartError('CreateContainerError', msg);
  }
  containerEvent(ctx, pod, c, 'Normal', 'Created', `Created container: ${c.name}`);
  try {
    await ctx.cri.startContainer(id);
  } catch (e: unknown) {
    const msg = e instanceof Error ? e.message : String(e);
    containerEvent(ctx, pod, c, 'Warning', 'Failed', `Error: ${msg}`);
    throw new StartError('RunContainerError', msg);
  }
  containerEvent(ctx, pod, c, 'Normal', 'Started', `Started container ${c.name}`);
  if (c.lifecycle?.postStart) {
    const r = await runHandler(ctx.cri, c.lifecycle.postStart, c, id, sandbox.ip, 30);
    if (!r.ok) {
      containerEvent(ctx, pod, c, 'Warning', 'FailedPostStartHook', `PostStartHook failed`);
      await ctx.cri.stopContainer(id, MIN_GRACE_SECONDS).catch(() => undefined);
    }
  }
  return id;
}

/**
 * Stops one container: preStop hook (bounded by the grace period), then StopContainer with what is left
 * of it (at least 2 s, as upstream). `pod` may be undefined for orphans: the hook then comes from the
 * container's annotation.
 */
export async function killContainer(ctx: KubeletContext, pod: Pod | undefined, inst: CachedContainer, graceSeconds: number, message?: string): Promise<void> {
  if (inst.state === 'CONTAINER_EXITED') return;
  const spec = pod ? [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((c) => c.name === inst.name) : undefined;
  if (pod && spec) containerEvent(ctx, pod, spec, 'Normal', 'Killing', message ?? `Stopping container ${inst.name}`);
  const started = Date.now();
  let hook: Handler | undefined = spec?.lifecycle?.preStop;
  if (!hook && inst.annotations[ANNOTATION_PRESTOP]) {
    try {
      hook = JSON.parse(inst.annotations[ANNOTATION_PRESTOP]!) as Handler;
    } catch {
      hook = undefined;
    }
  }
  if (hook && inst.state === 'CONTAINER_RUNNING' && graceSeconds > 0) {
    const sandbox = ctx.cache.pod(inst.podUid).sandboxes.find((s) => s.id === inst.sandboxId);
    await Promise.race([
      runHandler(ctx.cri, hook, spec ?? { name: inst.name }, inst.id, sandbox?.ip ?? '', graceSeconds),
      new Promise((r) => setTimeout(r, graceSeconds * 1000).unref()),
    ]);
  }
  const left = Math.max(MIN_GRACE_SECONDS, Math.ceil(graceSeconds - (Date.now() - started) / 1000));
  try {
    await ctx.cri.stopContainer(inst.id, graceSeconds <= 0 ? 0 : left);
  } catch (e: unknown) {
    if (!isNotFound(e)) throw e;
  }
}

/** Stops every container of the pod in parallel, then its sandboxes. */
export async function killPod(ctx: KubeletContext, pod: Pod | undefined, uid: string, graceSeconds?: number): Promise<void> {
  const rt = ctx.cache.pod(uid);
  const grace = graceSeconds ?? (pod ? gracePeriodOf(pod) : MIN_GRACE_SECONDS);
  await Promise.all(rt.containers.filter((c) => c.state !== 'CONTAINER_EXITED').map((c) => killContainer(ctx, pod, c, grace)));
  for (const s of rt.sandboxes) {
    if (s.state === 'SANDBOX_READY') await ctx.cri.stopPodSandbox(s.id).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
  }
}

/** Removes the pod's containers and sandboxes from the runtime and its volumes, logs and cgroups from the host. */
export async function removePod(ctx: KubeletContext, uid: string, logDir: string | undefined, cgroupParents: string[]): Promise<void> {
  const rt = ctx.cache.pod(uid);
  for (const c of rt.containers) {
    await ctx.cri.removeContainer(c.id).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
    ctx.cache.forgetContainer(c.id);
  }
  for (const s of rt.sandboxes) {
    await ctx.cri.removePodSandbox(s.id).catch((e: unknown) => { if (!isNotFound(e)) throw e; });
    ctx.cache.forgetSandbox(s.id);
  }
  await tearDownVolumes(ctx.kubeletRoot, uid);
  if (logDir) rmSync(logDir, { recursive: true, force: true });
  for (const parent of cgroupParents) removeCgroup(parent);
}

/** rmdir `parent` (and leftover empty children) in every cgroup v1 hierarchy and the unified one; containerd never does (gotcha 4). */
export function removeCgroup(parent: string): void {
  const root = '/sys/fs/cgroup';
  let hierarchies: string[];
  try {
    hierarchies = readdirSync(root).map((h) => join(root, h)).filter((p) => statSync(p).isDirectory());
    if (existsSync(join(root, 'cgroup.controllers'))) hierarchies = [root];
  } catch {
    return;
  }
  const rmTree = (dir: string): void => {
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) rmTree(join(dir, e.name));
      rmdirSync(dir);
    } catch {
      // Busy or gone: teardown.sh sweeps what is left.
    }
  };
  for (const h of hierarchies) {
    const dir = join(h, parent);
    if (existsSync(dir)) rmTree(dir);
  }
}
