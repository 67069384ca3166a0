// `tskube migrate --from sqlite:DIR --to etcd://…`: copies every key of a cluster's state from one storage to another.
import { assertKnown, parseFlags } from './flags.ts';
import type { Backend } from '../server/storage/backend.ts';
import { openStorage } from '../server/storage/etcd-open.ts';

const USAGE = `Usage: tskube migrate --from URL --to URL [--etcd-cafile F --etcd-certfile F --etcd-keyfile F]

Copies every key (the latest version of each object) from one storage to another, e.g.
  tskube migrate --from sqlite:/var/lib/tskube --to etcd://127.0.0.1:2379
Stop every API server using the source first. The target must hold no /registry/ keys. Revisions
(resourceVersions) are renumbered by the target: clients must re-list afterwards, as after an etcd restore.
`;

/** Keys read per page: bounded memory whatever the cluster size. */
const PAGE = 500;
/** Writes in flight at once against the target. */
const PARALLEL = 16;

export interface MigrateResult {
  keys: number;
  bytes: number;
  /** The source revision the copy is a snapshot of. */
  sourceRevision: number;
  /** The target's revision after the copy. */
  targetRevision: number;
}

/**
 * Copies the latest version of every key under prefix from `from` to `to`, as of one source revision (a consistent
 * snapshot, read page by page at that revision). Values are copied byte for byte; the target assigns new revisions.
 * Throws if the target already has a key under prefix (before writing anything), or on the first failed write.
 */
export async function migrateStorage(from: Backend, to: Backend, opts: { prefix?: string; onProgress?: (copied: number) => void } = {}): Promise<MigrateResult> {
  const prefix = opts.prefix ?? '/registry/';
  const existing = await to.count(prefix);
  if (existing.count > 0) throw new Error(`the target already holds ${existing.count} keys under ${prefix}; migrate only into an empty store`);
  const sourceRevision = await from.currentRevision();
  let startKey: string | undefined;
  let keys = 0;
  let bytes = 0;
  for (;;) {
    const page = await from.list(prefix, { revision: sourceRevision, limit: PAGE, startKey });
    for (let i = 0; i < page.kvs.length; i += PARALLEL) {
      await Promise.all(page.kvs.slice(i, i + PARALLEL).map((kv) => to.create(kv.key, kv.value)));
    }
    keys += page.kvs.length;
    bytes += page.kvs.reduce((n, kv) => n + Buffer.byteLength(kv.value), 0);
    opts.onProgress?.(keys);
    if (page.remaining === 0 || page.kvs.length === 0) break;
    startKey = `${page.kvs[page.kvs.length - 1].key}\0`;
  }
  return { keys, bytes, sourceRevision, targetRevision: await to.currentRevision() };
}

export async function runMigrateCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, ['help']);
  if (flags.booleans.has('help')) {
    process.stdout.write(USAGE);
    return;
  }
  assertKnown(flags, ['from', 'to', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile', 'help']);
  const fromUrl = flags.values.get('from');
  const toUrl = flags.values.get('to');
  if (!fromUrl || !toUrl) throw new Error(`--from and --to are required\n${USAGE}`);
  const tls = { caFile: flags.values.get('etcd-cafile'), certFile: flags.values.get('etcd-certfile'), keyFile: flags.values.get('etcd-keyfile') };
  const from = await openStorage(fromUrl, { tls, compactIntervalMs: 0 });
  try {
    const to = await openStorage(toUrl, { tls, compactIntervalMs: 0 });
    try {
      const t0 = Date.now();
      const res = await migrateStorage(from, to, { onProgress: (n) => process.stderr.write(`\rcopied ${n} keys`) });
      process.stderr.write('\n');
      process.stdout.write(
        `migrated ${res.keys} keys (${(res.bytes / 1e6).toFixed(1)} MB) from ${fromUrl} at revision ${res.sourceRevision} to ${toUrl} ` +
          `(now at revision ${res.targetRevision}) in ${((Date.now() - t0) / 1000).toFixed(1)} s; resourceVersions were renumbered\n`,
      );
    } finally {
      await to.close();
    }
  } finally {
    await from.close();
  }
}
