// Termination messages as upstream's kubelet: a per-instance file mounted at terminationMessagePath, read back (or the log's tail) once the container exits.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, readSync, fstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStatus, Mount } from './cri/types.ts';
import { parseCriLog } from './logs.ts';
import type { Container } from './types.ts';

/** Upstream's limits (kubelet/container): the file is read up to 4 KiB; the log fallback is its last 80 lines, at most 2 KiB. */
export const MAX_MESSAGE_BYTES = 4096;
export const MAX_LOG_LINES = 80;
export const MAX_LOG_BYTES = 2048;
export const DEFAULT_MESSAGE_PATH = '/dev/termination-log';
export const ANNOTATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';

/**
 * The message a terminated container reports (upstream's getTerminationMessage and its caller), given:
 * `file`: the message file's content (at most its last 4 KiB), undefined when there is no file or mount;
 * `logTail`: read lazily, the fallback. With policy FallbackToLogsOnError the log tail is used when the file
 * is empty or missing and the container failed (exit code not 0, reason not ContainerCannotRun).
 * The runtime's own message comes first, joined with ": ".
 */
export function terminationMessage(i: { policy: string; exitCode: number; reason: string; runtimeMessage: string; file: string | undefined; logTail: () => string }): string {
  const fallback = i.policy === 'FallbackToLogsOnError' && i.exitCode !== 0 && i.reason !== 'ContainerCannotRun';
  let message = i.file ?? '';
  if (fallback && message.length === 0) message = i.logTail();
  if (!message) return i.runtimeMessage;
  return i.runtimeMessage ? `${i.runtimeMessage}: ${message}` : message;
}

/** The last `lines` lines of CRI log text (both streams, content only), cut to its last `bytes` bytes. */
export function logTailText(criLog: string, lines = MAX_LOG_LINES, bytes = MAX_LOG_BYTES): string {
  const all = parseCriLog(criLog.endsWith('\n') ? criLog : `${criLog}\n`).lines;
  const text = Buffer.from(all.slice(-lines).map((l) => l.text).join(''));
  return text.subarray(Math.max(0, text.length - bytes)).toString('utf8');
}

/** The last `max` bytes of a file; undefined when it does not exist. */
function readTail(path: string, max: number): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e: unknown) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, max);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * The termination message of an exited container from its CRI status: the file mounted at the annotated
 * terminationMessagePath, or per policy the tail of its log. Never throws: a read error becomes upstream's
 * "Error on reading termination log <path>: <error>" message.
 */
export function terminationMessageOf(status: Pick<ContainerStatus, 'annotations' | 'mounts' | 'exitCode' | 'reason' | 'message' | 'logPath'>): string {
  const path = status.annotations[ANNOTATION_MESSAGE_PATH] ?? '';
  const mount = path ? status.mounts?.find((m) => m.containerPath === path) : undefined;
  let file: string | undefined;
  if (mount) {
    try {
      file = readTail(mount.hostPath, MAX_MESSAGE_BYTES);
    } catch (e: unknown) {
      return `Error on reading termination log ${mount.hostPath}: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  return terminationMessage({
    policy: status.annotations[ANNOTATION_MESSAGE_POLICY] ?? 'File', exitCode: status.exitCode, reason: status.reason, runtimeMessage: status.message, file,
    logTail: () => {
      try {
        return logTailText(readTail(status.logPath, 1024 * 1024) ?? '');
      } catch (e: unknown) {
        return `Error on reading termination message from logs: ${e instanceof Error ? e.message : String(e)}`;
      }
    },
  });
}

/**
 * Creates this instance's empty message file under `<podDir>/containers/<name>/` (mode 0666, so any user in
 * the container can write it) and returns its mount; undefined when the container has no terminationMessagePath.
 */
export function terminationMessageMount(podDir: string, c: Container): Mount | undefined {
  const containerPath = c.terminationMessagePath ?? DEFAULT_MESSAGE_PATH;
  if (!containerPath) return undefined;
  const dir = join(podDir, 'containers', c.name);
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const hostPath = join(dir, randomBytes(4).toString('hex'));
  writeFileSync(hostPath, '');
  chmodSync(hostPath, 0o666);
  return { containerPath, hostPath, readonly: false, propagation: 'PROPAGATION_PRIVATE' };
}
