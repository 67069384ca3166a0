// Storage URLs: sqlite:DIR opens the data dir's database, etcd:// fails fast when nothing answers, anything else is refused.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStorage, SQLITE_FILE } from './etcd-open.ts';

describe('openStorage', () => {
  it('opens sqlite:DIR as DIR/state.db', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tskube-open-'));
    try {
      const b = await openStorage(`sqlite:${dir}`, { compactIntervalMs: 0 });
      await b.create('/registry/a', '1');
      await b.close();
      expect(existsSync(join(dir, SQLITE_FILE))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails an etcd URL nobody answers within the connect timeout, naming the URL', async () => {
    await expect(openStorage('etcd://127.0.0.1:1', { connectTimeoutMs: 500 })).rejects.toThrow(/etcd at etcd:\/\/127\.0\.0\.1:1 does not answer/);
  });

  it.each(['mysql://x', 'sqlite:', '/var/lib/x', 'etcd://nohost'])('refuses %s', async (url) => {
    await expect(openStorage(url, { connectTimeoutMs: 100 })).rejects.toThrow(/invalid/);
  });
});
