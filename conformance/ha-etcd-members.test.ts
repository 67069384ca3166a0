// A three-member etcd cluster on loopback: killing a member (the leader) mid-write loses no acknowledged write.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipWithoutEtcd, startEtcdCluster, type EtcdCluster } from '../scripts/etcd/cluster.ts';
import { openEtcdBackend, type EtcdBackend } from '../server/storage/etcd.ts';
import { isStorageError, type WatchHandle } from '../server/storage/backend.ts';

/** Index of the member that is the raft leader now, from etcdctl's view of every member. */
function leaderIndex(cluster: EtcdCluster): number {
  const r = spawnSync('etcdctl', ['--endpoints', cluster.members.map((m) => m.clientUrl).join(','), 'endpoint', 'status', '-w', 'json'], {
    encoding: 'utf8', timeout: 10_000, env: { ...process.env, ETCDCTL_API: '3' },
  });
  if (r.status !== 0) throw new Error(`etcdctl endpoint status failed: ${r.stderr}`);
  // Member ids are uint64: quote them before parsing so no precision is lost.
  const rows = JSON.parse(r.stdout.replace(/("(?:member_id|leader)":)(\d+)/g, '$1"$2"')) as { Endpoint: string; Status: { header: { member_id: number | string }; leader: number | string } }[];
  const leader = rows.find((row) => String(row.Status.header.member_id) === String(row.Status.leader));
  if (!leader) throw new Error(`no leader among ${r.stdout}`);
  return cluster.members.findIndex((m) => m.clientUrl === leader.Endpoint);
}

// Starts its own etcd members; tests storage durability, not a given cluster.
describe.skipIf(skipWithoutEtcd())('a three-member etcd cluster', () => {
  let cluster: EtcdCluster;
  let b: EtcdBackend;
  beforeAll(async () => {
    // On disk, not tmpfs: acknowledged means fsynced by a majority, which is what this test is about.
    cluster = await startEtcdCluster({ members: 3, tmpfs: false });
    b = await openEtcdBackend(cluster.url, { compactIntervalMs: 0, timeoutMs: 5000 });
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await cluster?.stop();
  });

  it('loses no acknowledged write when the leader is killed mid-stream, and a re-watching client sees them all', async () => {
    const prefix = `/registry/configmaps/kill-${Date.now().toString(36)}/`;
    const start = await b.currentRevision();
    const acked = new Map<string, { value: string; revision: number }>();
    let failures = 0;

    // A watcher that resumes from the last revision it saw whenever its stream breaks (as a reflector does).
    const seen = new Map<string, number>();
    let last = start;
    let handle: WatchHandle | undefined;
    let watching = true;
    const openWatch = (): void => {
      if (!watching) return;
      try {
        handle = b.watch(prefix, {
          afterRevision: last,
          onEvents: (evs) => evs.forEach((e) => { seen.set(e.kv.key, e.revision); last = e.revision; }),
          onError: () => setTimeout(openWatch, 100),
        });
      } catch {
        setTimeout(openWatch, 100);
      }
    };
    openWatch();

    let killed = -1;
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; acked.size < 400 && i < 2000; i++) {
        if (killed < 0 && acked.size >= 150) {
          killed = leaderIndex(cluster);
          await cluster.kill(killed);
        }
        const key = `${prefix}w${w}-${i}`;
        const value = JSON.stringify({ w, i });
        try {
          const kv = await b.create(key, value);
          acked.set(key, { value, revision: kv.modRevision });
        } catch (e: unknown) {
          if (!isStorageError(e, 'Unavailable')) throw e;
          failures++;
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    const t0 = Date.now();
    await Promise.all([0, 1, 2, 3].map(writer));
    const seconds = (Date.now() - t0) / 1000;
    expect(killed).toBeGreaterThanOrEqual(0);
    expect(acked.size).toBeGreaterThanOrEqual(400);
    expect(seconds).toBeLessThan(60);

    // Every acknowledged write is there, with its value and revision, read through the surviving members.
    const list = await b.list(prefix);
    const stored = new Map(list.kvs.map((kv) => [kv.key, kv]));
    for (const [key, { value, revision }] of acked) {
      expect(stored.get(key)?.value, key).toBe(value);
      expect(stored.get(key)?.modRevision, key).toBe(revision);
    }
    // Unacknowledged attempts may or may not have landed; nothing else may have.
    expect(list.kvs.length).toBeGreaterThanOrEqual(acked.size);
    expect(list.kvs.length).toBeLessThanOrEqual(acked.size + failures);

    await expect.poll(() => [...acked.keys()].every((k) => seen.has(k)), { timeout: 20_000 }).toBe(true);
    watching = false;
    handle?.cancel();

    // The killed member comes back from its data dir and catches up.
    await cluster.restart(killed);
    const one = await openEtcdBackend(cluster.members[killed].clientUrl.replace('http://', 'etcd://'), { compactIntervalMs: 0 });
    try {
      await expect.poll(async () => (await one.count(prefix)).count, { timeout: 20_000 }).toBe(list.kvs.length);
    } finally {
      await one.close();
    }
    console.log(`member-kill: ${acked.size} writes acknowledged in ${seconds.toFixed(1)} s, ${failures} failed during the leader change, member ${killed} killed`);
  }, 120_000);
});
