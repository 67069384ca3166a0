// Tests of termination messages: the file, the log fallback of FallbackToLogsOnError, upstream's limits, and the per-instance file and mount.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { logTailText, terminationMessage, terminationMessageMount, terminationMessageOf } from './termination.ts';

const input = (over: Partial<Parameters<typeof terminationMessage>[0]> = {}): Parameters<typeof terminationMessage>[0] =>
  ({ policy: 'File', exitCode: 2, reason: 'Error', runtimeMessage: '', file: undefined, logTail: () => 'from the log\n', ...over });

describe('termination message selection', () => {
  it.each([
    ['the file for policy File', input({ file: 'bye\n' }), 'bye\n'],
    ['nothing for File with an empty file, even on failure', input({ file: '' }), ''],
    ['the log for FallbackToLogsOnError when the file is empty and the container failed', input({ policy: 'FallbackToLogsOnError', file: '' }), 'from the log\n'],
    ['the log for FallbackToLogsOnError without a file', input({ policy: 'FallbackToLogsOnError' }), 'from the log\n'],
    ['the file for FallbackToLogsOnError when it has content', input({ policy: 'FallbackToLogsOnError', file: 'own' }), 'own'],
    ['no log for FallbackToLogsOnError on success', input({ policy: 'FallbackToLogsOnError', exitCode: 0, file: '' }), ''],
    ['no log when the container could not run', input({ policy: 'FallbackToLogsOnError', reason: 'ContainerCannotRun', file: '' }), ''],
    ['the runtime message joined with ": "', input({ runtimeMessage: 'oom', file: 'bye' }), 'oom: bye'],
  ])('gives %s', (_what, i, expected) => {
    expect(terminationMessage(i)).toBe(expected);
  });

  it('keeps the last 80 lines of the log, both streams, cut to their last 2048 bytes', () => {
    const lines = Array.from({ length: 100 }, (_, i) => `2024-01-01T00:00:00.000000000Z ${i % 2 ? 'stderr' : 'stdout'} F line ${i}`).join('\n');
    const text = logTailText(lines);
    expect(text.split('\n')[0]).toBe('line 20');
    expect(text.endsWith('line 99\n')).toBe(true);
    const long = Array.from({ length: 50 }, (_, i) => `2024-01-01T00:00:00Z stdout F ${String(i).padStart(99, 'x')}`).join('\n');
    const cut = logTailText(long);
    expect(Buffer.byteLength(cut)).toBe(2048);
    expect(cut.endsWith('x49\n')).toBe(true);
  });

  const dir = mkdtempSync(join(tmpdir(), 'termination-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates an empty world-writable file per instance under containers/<name> and mounts it at the message path', () => {
    const a = terminationMessageMount(dir, { name: 'c' })!;
    const b = terminationMessageMount(dir, { name: 'c', terminationMessagePath: '/tmp/msg' })!;
    expect(a.containerPath).toBe('/dev/termination-log');
    expect(b.containerPath).toBe('/tmp/msg');
    expect(a.hostPath).not.toBe(b.hostPath);
    expect(a.hostPath.startsWith(join(dir, 'containers', 'c') + '/')).toBe(true);
    expect(readFileSync(a.hostPath, 'utf8')).toBe('');
    expect(statSync(a.hostPath).mode & 0o777).toBe(0o666);
    expect(terminationMessageMount(dir, { name: 'c', terminationMessagePath: '' })).toBeUndefined();
  });

  it('reads the last 4096 bytes of the mounted file from a CRI status', () => {
    const m = terminationMessageMount(dir, { name: 'big' })!;
    writeFileSync(m.hostPath, 'a'.repeat(5000) + 'END');
    const status = {
      annotations: { 'io.kubernetes.container.terminationMessagePath': '/dev/termination-log', 'io.kubernetes.container.terminationMessagePolicy': 'File' },
      mounts: [{ containerPath: '/dev/termination-log', hostPath: m.hostPath, readonly: false, selinuxRelabel: false, propagation: 'PROPAGATION_PRIVATE' as const }],
      exitCode: 1, reason: 'Error', message: '', logPath: join(dir, 'none.log'),
    };
    const msg = terminationMessageOf(status);
    expect(msg).toHaveLength(4096);
    expect(msg.endsWith('END')).toBe(true);
    writeFileSync(join(dir, 'c.log'), '2024-01-01T00:00:00Z stderr F boom\n');
    writeFileSync(m.hostPath, '');
    expect(terminationMessageOf({ ...status, logPath: join(dir, 'c.log'), annotations: { ...status.annotations, 'io.kubernetes.container.terminationMessagePolicy': 'FallbackToLogsOnError' } })).toBe('boom\n');
  });
});
