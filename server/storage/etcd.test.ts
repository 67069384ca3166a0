// Runs the shared backend suite on a real etcd (a throwaway member started here) and adds etcd-only cases.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { isStorageError, type WatchEvent } from './backend.ts';
import { runBackendSuite } from './backend-suite.ts';
import { openEtcdBackend, prefixRangeEnd, type EtcdBackend } from './etcd.ts';
import { parseEtcdUrl } from './etcd-client.ts';
import { skipWithoutEtcd, startEtcdCluster, type EtcdCluster } from '../../scripts/etcd/cluster.ts';

// Without the binary (a developer machine that never ran scripts/etcd/install.sh) the etcd cases are skipped; CI installs it.
const haveEtcd = !skipWithoutEtcd();
let etcd: EtcdCluster | undefined;

beforeAll(async () => {
  if (haveEtcd) etcd = await startEtcdCluster();
}, 30_000);
afterAll(async () => {
  await etcd?.stop();
});

const open = () => openEtcdBackend(etcd!.url, { compactIntervalMs: 0 });

describe.skipIf(!haveEtcd)('on etcd', () => {
  runBackendSuite('etcd', open);

  describe('etcd backend specifics', () => {
    it('uses the etcd revision as the revision, so a second client sees the same numbers', async () => {
      const a = await open();
      const b = await open();
      try {
        const kv = await a.create(`/registry/specifics/${Date.now()}`, '{}');
        expect((await b.get(kv.key)).kv).toEqual(kv);
        expect(await b.currentRevision()).toBeGreaterThanOrEqual(kv.modRevision);
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('delivers to a watch opened through one client the writes made through another', async () => {
      const a = await open();
      const b = await open();
      try {
        const prefix = `/registry/cross${Date.now()}/`;
        const got: WatchEvent[] = [];
        const h = a.watch(prefix, { afterRevision: await a.currentRevision(), onEvents: (e) => got.push(...e), onError: () => {} });
        const kv = await b.create(`${prefix}x`, '1');
        await vi.waitFor(() => expect(got).toEqual([{ type: 'put', revision: kv.modRevision, kv }]));
        h.cancel();
      } finally {
        await a.close();
        await b.close();
      }
    });

    it('update with expected revision 0 never creates the key', async () => {
      const b = await open();
      try {
        const key = `/registry/zero/${Date.now()}`;
        await expect(b.update(key, '1', 0)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'KeyNotFound'));
        expect((await b.get(key)).kv).toBeUndefined();
        const kv = await b.create(key, '1');
        await expect(b.update(key, '2', 0)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'Conflict') && e.current?.modRevision === kv.modRevision);
      } finally {
        await b.close();
      }
    });

    it('rejects a read at a future revision with Unavailable', async () => {
      const b = await open();
      try {
        const rev = await b.currentRevision();
        await expect(b.get('/registry/a', rev + 1000)).rejects.toSatisfy((e: unknown) => isStorageError(e, 'Unavailable'));
      } finally {
        await b.close();
      }
    });

    it('fails calls with Unavailable after close, and close is idempotent', async () => {
      const b = await open();
      await b.close();
      await b.close();
      await expect(b.get('/registry/a')).rejects.toSatisfy((e: unknown) => isStorageError(e, 'Unavailable'));
      expect(() => b.watch('/registry/', { afterRevision: 0, onEvents: () => {}, onError: () => {} })).toThrow(expect.objectContaining({ code: 'Unavailable' }));
    });
  });
});

describe('etcd backend without a server', () => {
  it('answers Unavailable within the retry window when nothing listens', async () => {
    const b: EtcdBackend = await openEtcdBackend('etcd://127.0.0.1:1', { compactIntervalMs: 0, timeoutMs: 1000 });
    try {
      const t0 = Date.now();
      await expect(b.create('/registry/a', '1')).rejects.toSatisfy((e: unknown) => isStorageError(e, 'Unavailable'));
      expect(Date.now() - t0).toBeLessThan(5000);
      const errors: unknown[] = [];
      b.watch('/registry/', { afterRevision: 0, onEvents: () => {}, onError: (e) => errors.push(e) });
      await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 5000 });
      expect(isStorageError(errors[0], 'Unavailable')).toBe(true);
    } finally {
      await b.close();
    }
  });
});

describe('etcd storage URLs', () => {
  it.each([
    ['etcd://127.0.0.1:2379', [{ host: '127.0.0.1', port: 2379 }]],
    ['etcd://a:1,b:2', [{ host: 'a', port: 1 }, { host: 'b', port: 2 }]],
    ['etcd://[::1]:2379', [{ host: '::1', port: 2379 }]],
  ])('%s parses', (url, want) => {
    expect(parseEtcdUrl(url)).toEqual(want);
  });

  it.each(['etcd://', 'http://127.0.0.1:2379', 'etcd://host', 'etcd://host:0', 'etcd://a:1,,b:2'])('%s is rejected', (url) => {
    expect(() => parseEtcdUrl(url)).toThrow();
  });
});

describe('prefixRangeEnd', () => {
  it.each([
    ['/registry/pods/', '/registry/pods0'],
    ['a', 'b'],
  ])('of %j is %j', (prefix, end) => {
    expect(prefixRangeEnd(Buffer.from(prefix)).toString()).toBe(end);
  });

  it('drops trailing 0xff bytes, and is the zero byte (all keys) when every byte is 0xff', () => {
    expect(prefixRangeEnd(Buffer.from([0x61, 0xff]))).toEqual(Buffer.from([0x62]));
    expect(prefixRangeEnd(Buffer.from([0xff]))).toEqual(Buffer.from([0]));
  });
});
