// Crash-safe, permission-aware file writes for credentials (keys, tokens, kubeconfigs).
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';

/** Mode for files that hold secrets: private keys, tokens, kubeconfigs with credentials. */
export const SECRET_MODE = 0o600;
/** Mode for public material such as certificates. */
export const PUBLIC_MODE = 0o644;

/**
 * Writes `data` to `path` so that readers see either the old file or the complete new one, never a
 * partial write: the bytes go to a temporary file beside it (created with `mode`, so a secret is
 * never readable by others even for an instant), are fsynced, then renamed over `path`.
 * The mode is applied explicitly as well, because the process umask could narrow it and an existing
 * file could have had a wider one. Parent directories are created (mode 0700) when missing.
 */
export function writeFileAtomic(path: string, data: string, mode: number): void {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } catch (e: unknown) {
    closeSync(fd);
    unlinkSync(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    chmodSync(tmp, mode);
    renameSync(tmp, path);
  } catch (e: unknown) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}
