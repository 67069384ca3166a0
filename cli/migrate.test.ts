// Migration from SQLite to a throwaway etcd: every key copied byte for byte, revisions renumbered, non-empty targets refused.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateStorage } from './migrate.ts';
import { openStorage } from '../server/storage/etcd-open.ts';
import type { Backend } from '../server/storage/backend.ts';
import { skipWithoutEtcd, startEtcdCluster, type EtcdCluster } from '../scripts/etcd/cluster.ts';

const haveEtcd = !skipWithoutEtcd();

describe.skipIf(!haveEtcd)('tskube migrate', () => {
  let etcd: EtcdCluster;
  let dir: string;
  let src: Backend;
  beforeAll(async () => {
    etcd = await startEtcdCluster();
    dir = mkdtempSync(join(tmpdir(), 'tskube-migrate-'));
    src = await openStorage(`sqlite:${dir}`, { compactIntervalMs: 0 });
  }, 30_000);
  afterAll(async () => {
    await src?.close();
    await etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies the latest version of every key, across pages, and refuses to copy into a non-empty target', async () => {
    const want = new Map<string, string>();
    for (let i = 0; i < 1200; i++) {
      const key = `/registry/configmaps/ns${i % 7}/cm-${i}`;
      const v = JSON.stringify({ kind: 'ConfigMap', metadata: { name: `cm-${i}` }, data: { i: String(i), text: 'é✓' } });
      const kv = await src.create(key, v);
      if (i % 3 === 0) {
        const v2 = v.replace('"i"', '"j"');
        await src.update(key, v2, kv.modRevision);
        want.set(key, v2);
      } else if (i % 5 === 0) {
        await src.delete(key);
      } else {
        want.set(key, v);
      }
    }
    const to = await openStorage(etcd.url, { compactIntervalMs: 0 });
    try {
      const res = await migrateStorage(src, to);
      expect(res.keys).toBe(want.size);
      expect(res.sourceRevision).toBe(await src.currentRevision());
      const got = await to.list('/registry/');
      expect(new Map(got.kvs.map((kv) => [kv.key, kv.value]))).toEqual(want);
      await expect(migrateStorage(src, to)).rejects.toThrow(/already holds 1\d{3} keys/);
    } finally {
      await to.close();
    }
  });
});
