// Pod volumes on the host: emptyDir, hostPath, configMap, secret, downwardAPI, projected, PVC → hostPath/local; container mounts with subPath.
import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { promisify } from 'node:util';
import { dirname, join, normalize } from 'node:path';
import type { Mount } from './cri/types.ts';
import { fieldRefValue, resourceFieldValue, type RuntimeFacts } from './env.ts';
import type { Container, DownwardAPIVolumeFile, KeyToPath, Pod, Volume } from './types.ts';

const run = promisify(execFile);

/** Reads what volumes project: data as bytes (ConfigMap data + binaryData, Secret data decoded), undefined when absent. */
export interface VolumeSource {
  configMapFiles(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  secretFiles(namespace: string, name: string): Promise<Record<string, Buffer> | undefined>;
  /** hostPath (or local path) of the PersistentVolume bound to the claim; undefined when unbound or absent. */
  claimPath(namespace: string, claim: string): Promise<string | undefined>;
  /** A TokenRequest for the pod's service account, bound to the pod (deleting the pod invalidates it). */
  serviceAccountToken(pod: Pod, request: { expirationSeconds: number; audience?: string }): Promise<string>;
}

/** A volume set-up failure; becomes a FailedMount event with upstream's "MountVolume.SetUp failed for volume" text. */
export class VolumeError extends Error {
  override readonly name = 'VolumeError';
  constructor(readonly volume: string, message: string) {
    super(`MountVolume.SetUp failed for volume "${volume}" : ${message}`);
  }
}

export function podDir(kubeletRoot: string, uid: string): string {
  return join(kubeletRoot, 'pods', uid);
}

const DEFAULT_MODE = 0o644;

/**
 * Writes `files` under `dir` the way upstream's atomic writer does: a timestamped directory, a `..data`
 * symlink to it swapped with rename (readers never see a half-written set), and top-level symlinks
 * through `..data`. Does nothing when the content is unchanged.
 */
export function atomicWrite(dir: string, files: Map<string, { data: Buffer; mode: number }>): void {
  mkdirSync(dir, { recursive: true });
  const dataLink = join(dir, '..data');
  if (existsSync(dataLink)) {
    const current = join(dir, readlinkSync(dataLink));
    let same = true;
    for (const [path, f] of files) {
      try {
        if (!readFileSync(join(current, path)).equals(f.data)) same = false;
      } catch {
        same = false;
      }
      if (!same) break;
    }
    if (same && countFiles(current) === files.size) return;
  }
  const stamp = `..${new Date().toISOString().replace(/[-:.TZ]/g, '_')}${Math.random().toString(36).slice(2, 8)}`;
  const tsDir = join(dir, stamp);
  mkdirSync(tsDir, { recursive: true });
  for (const [path, f] of files) {
    const target = join(tsDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.data);
    chmodSync(target, f.mode);
  }
  const old = existsSync(dataLink) ? readlinkSync(dataLink) : undefined;
  const tmpLink = join(dir, '..data_tmp');
  rmSync(tmpLink, { force: true });
  symlinkSync(stamp, tmpLink);
  renameSync(tmpLink, dataLink);
  const top = new Set([...files.keys()].map((p) => p.split('/')[0]!));
  for (const name of top) {
    const link = join(dir, name);
    if (!existsSync(link)) symlinkSync(join('..data', name), link);
  }
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith('..')) continue;
    if (!top.has(entry)) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  if (old && old !== stamp) rmSync(join(dir, old), { recursive: true, force: true });
}

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) n += e.isDirectory() ? countFiles(join(dir, e.name)) : 1;
  return n;
}

function checkPath(volume: string, path: string): string {
  const n = normalize(path);
  if (n.startsWith('..') || n.startsWith('/') || n.includes('/../')) throw new VolumeError(volume, `invalid path ${JSON.stringify(path)}`);
  return n;
}

/** Keys (or the listed items) of a ConfigMap/Secret as files; a listed key that is missing fails unless optional. */
function keyFiles(volume: string, kind: string, ref: string, data: Record<string, Buffer>, items: KeyToPath[] | undefined, mode: number, optional: boolean): Map<string, { data: Buffer; mode: number }> {
  const out = new Map<string, { data: Buffer; mode: number }>();
  if (!items?.length) {
    for (const [k, v] of Object.entries(data)) out.set(k, { data: v, mode });
    return out;
  }
  for (const it of items) {
    const v = data[it.key];
    if (v === undefined) {
      if (optional) continue;
      throw new VolumeError(volume, `configmap references non-existent config key: ${it.key}`.replace('configmap', kind === 'Secret' ? 'secret' : 'configmap'));
    }
    out.set(checkPath(volume, it.path), { data: v, mode: it.mode ?? mode });
  }
  void ref;
  return out;
}

function downwardFiles(volume: string, pod: Pod, items: DownwardAPIVolumeFile[], mode: number, facts: RuntimeFacts): Map<string, { data: Buffer; mode: number }> {
  const out = new Map<string, { data: Buffer; mode: number }>();
  for (const it of items) {
    let value = '';
    if (it.fieldRef) value = fieldRefValue(pod, it.fieldRef.fieldPath, facts) ?? '';
    else if (it.resourceFieldRef) value = resourceFieldValue(pod, it.resourceFieldRef, it.resourceFieldRef.containerName ?? '', facts);
    out.set(checkPath(volume, it.path), { data: Buffer.from(value), mode: it.mode ?? mode });
  }
  return out;
}

async function projectedFiles(v: Volume, pod: Pod, facts: RuntimeFacts, source: VolumeSource): Promise<Map<string, { data: Buffer; mode: number }>> {
  const ns = pod.metadata.namespace ?? 'default';
  const mode = v.projected?.defaultMode ?? DEFAULT_MODE;
  // The sources are fetched in parallel (a token request and a ConfigMap read are the usual pair); merged, and
  // their first failure reported, in the sources' order.
  const parts = await Promise.allSettled((v.projected?.sources ?? []).map(async (s) => {
    let part = new Map<string, { data: Buffer; mode: number }>();
    if (s.configMap) {
      const data = await source.configMapFiles(ns, s.configMap.name ?? '');
      if (!data) {
        if (!s.configMap.optional) throw new VolumeError(v.name, `configmap "${s.configMap.name ?? ''}" not found`);
      } else part = keyFiles(v.name, 'ConfigMap', s.configMap.name ?? '', data, s.configMap.items, mode, s.configMap.optional ?? false);
    } else if (s.secret) {
      const data = await source.secretFiles(ns, s.secret.name ?? '');
      if (!data) {
        if (!s.secret.optional) throw new VolumeError(v.name, `secret "${s.secret.name ?? ''}" not found`);
      } else part = keyFiles(v.name, 'Secret', s.secret.name ?? '', data, s.secret.items, mode, s.secret.optional ?? false);
    } else if (s.downwardAPI) {
      part = downwardFiles(v.name, pod, s.downwardAPI.items ?? [], mode, facts);
    } else if (s.serviceAccountToken) {
      const { path, expirationSeconds = 3600, audience } = s.serviceAccountToken;
      try {
        const token = await source.serviceAccountToken(pod, { expirationSeconds, audience });
        part.set(path, { data: Buffer.from(token), mode });
      } catch (e: unknown) {
        throw new VolumeError(v.name, `failed to fetch token: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return part;
  }));
  const out = new Map<string, { data: Buffer; mode: number }>();
  for (const r of parts) {
    if (r.status === 'rejected') throw r.reason;
    for (const [k, f] of r.value) out.set(k, f);
  }
  return out;
}

/**
 * Makes every volume of the pod exist on the host (idempotent; re-running refreshes ConfigMap/Secret/downward
 * content) and returns each volume's host path.
 * @throws VolumeError for the first volume that cannot be set up.
 */
export async function setUpVolumes(pod: Pod, kubeletRoot: string, facts: RuntimeFacts, source: VolumeSource): Promise<Map<string, string>> {
  const base = podDir(kubeletRoot, pod.metadata.uid ?? '');
  const ns = pod.metadata.namespace ?? 'default';
  const paths = new Map<string, string>();
  // Volumes are set up in parallel (each waits on the API for its own data); the first failure in spec order is reported.
  const results = await Promise.allSettled((pod.spec.volumes ?? []).map(async (v): Promise<void> => {
    const kind = v.emptyDir ? 'empty-dir' : v.configMap ? 'configmap' : v.secret ? 'secret' : v.downwardAPI ? 'downward-api' : v.projected ? 'projected' : 'other';
    const dir = join(base, 'volumes', `kubernetes.io~${kind}`, v.name);
    try {
      if (v.hostPath) {
        const t = v.hostPath.type ?? '';
        if (t === 'DirectoryOrCreate') mkdirSync(v.hostPath.path, { recursive: true, mode: 0o755 });
        else if (t === 'FileOrCreate' && !existsSync(v.hostPath.path)) {
          mkdirSync(dirname(v.hostPath.path), { recursive: true });
          writeFileSync(v.hostPath.path, '', { mode: 0o644 });
        } else if (t === 'Directory' && !(existsSync(v.hostPath.path) && lstatSync(v.hostPath.path).isDirectory())) {
          throw new VolumeError(v.name, `hostPath type check failed: ${v.hostPath.path} is not a directory`);
        } else if (t === 'File' && !(existsSync(v.hostPath.path) && lstatSync(v.hostPath.path).isFile())) {
          throw new VolumeError(v.name, `hostPath type check failed: ${v.hostPath.path} is not a file`);
        }
        paths.set(v.name, v.hostPath.path);
        return;
      }
      if (v.persistentVolumeClaim) {
        const p = await source.claimPath(ns, v.persistentVolumeClaim.claimName);
        if (!p) throw new VolumeError(v.name, `persistentvolumeclaim "${v.persistentVolumeClaim.claimName}" is not bound to a hostPath or local volume`);
        mkdirSync(p, { recursive: true });
        paths.set(v.name, p);
        return;
      }
      if (v.emptyDir) {
        if (!existsSync(dir)) {
          mkdirSync(dir, { recursive: true, mode: 0o777 });
          chmodSync(dir, 0o777);
          if (v.emptyDir.medium === 'Memory') {
            const size = v.emptyDir.sizeLimit ? [`-o`, `size=${v.emptyDir.sizeLimit.replace(/i$/, '')}`] : [];
            await run('mount', ['-t', 'tmpfs', ...size, 'tmpfs', dir]);
          }
        }
      } else if (v.configMap) {
        const data = await source.configMapFiles(ns, v.configMap.name ?? '');
        if (!data && !v.configMap.optional) throw new VolumeError(v.name, `configmap "${v.configMap.name ?? ''}" not found`);
        atomicWrite(dir, keyFiles(v.name, 'ConfigMap', v.configMap.name ?? '', data ?? {}, v.configMap.items, v.configMap.defaultMode ?? DEFAULT_MODE, v.configMap.optional ?? false));
      } else if (v.secret) {
        const data = await source.secretFiles(ns, v.secret.secretName ?? '');
        if (!data && !v.secret.optional) throw new VolumeError(v.name, `secret "${v.secret.secretName ?? ''}" not found`);
        atomicWrite(dir, keyFiles(v.name, 'Secret', v.secret.secretName ?? '', data ?? {}, v.secret.items, v.secret.defaultMode ?? DEFAULT_MODE, v.secret.optional ?? false));
      } else if (v.downwardAPI) {
        atomicWrite(dir, downwardFiles(v.name, pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, facts));
      } else if (v.projected) {
        atomicWrite(dir, await projectedFiles(v, pod, facts, source));
      } else {
        mkdirSync(dir, { recursive: true });
      }
      paths.set(v.name, dir);
    } catch (e: unknown) {
      if (e instanceof VolumeError) throw e;
      throw new VolumeError(v.name, e instanceof Error ? e.message : String(e));
    }
  }));
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return paths;
}

/** The container's CRI mounts; subPath entries are created (as directories) inside writable volumes when missing. */
export function containerMounts(pod: Pod, c: Container, volumePaths: ReadonlyMap<string, string>): Mount[] {
  const out: Mount[] = [];
  const byName = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  for (const m of c.volumeMounts ?? []) {
    const base = volumePaths.get(m.name);
    const v = byName.get(m.name);
    if (!base || !v) continue;
    const projectedKind = Boolean(v.configMap || v.secret || v.downwardAPI || v.projected);
    let hostPath = base;
    if (m.subPath) {
      hostPath = join(base, checkPath(m.name, m.subPath));
      if (!existsSync(hostPath) && !projectedKind) mkdirSync(hostPath, { recursive: true, mode: 0o777 });
    }
    const propagation = m.mountPropagation === 'Bidirectional' ? 'PROPAGATION_BIDIRECTIONAL' : m.mountPropagation === 'HostToContainer' ? 'PROPAGATION_HOST_TO_CONTAINER' : 'PROPAGATION_PRIVATE';
    out.push({ containerPath: m.mountPath, hostPath, readonly: m.readOnly === true || projectedKind, propagation });
  }
  return out;
}

/** Unmounts tmpfs emptyDirs and removes the pod's directory; never throws. */
export async function tearDownVolumes(kubeletRoot: string, uid: string): Promise<void> {
  const base = podDir(kubeletRoot, uid);
  if (!existsSync(base)) return;
  const emptyDirs = join(base, 'volumes', 'kubernetes.io~empty-dir');
  if (existsSync(emptyDirs)) {
    for (const name of readdirSync(emptyDirs)) await run('umount', ['-l', join(emptyDirs, name)]).catch(() => undefined);
  }
  try {
    rmSync(base, { recursive: true, force: true });
  } catch {
    // A busy mount: the next cleanup pass retries.
  }
}
