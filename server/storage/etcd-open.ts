// Opens the storage a `--storage` URL names: `sqlite:DIR` (the embedded default) or `etcd://host:port[,…]`.
import { join } from 'node:path';
import type { Backend } from './backend.ts';
import { checkEtcdReachable, openEtcdBackend } from './etcd.ts';
import { openSqliteBackend } from './sqlite.ts';

export interface StorageTlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface OpenStorageOptions {
  tls?: StorageTlsOptions;
  log?: (msg: string) => void;
  /** History compaction interval (default 5 min; 0 disables, e.g. for a one-off copy). */
  compactIntervalMs?: number;
  /** How long to wait for an etcd member to answer before failing (default 10 s). */
  connectTimeoutMs?: number;
}

/** The SQLite file inside a data dir (same name as the API server's default). */
export const SQLITE_FILE = 'state.db';

/**
 * Opens the backend for url. `sqlite:DIR` opens (creating) DIR/state.db; `etcd://…` connects and waits until a
 * member answers, failing after connectTimeoutMs so a wrong URL is reported at start-up, not on the first request.
 */
export async function openStorage(url: string, opts: OpenStorageOptions = {}): Promise<Backend> {
  if (url.startsWith('sqlite:')) {
    const dir = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (!dir) throw new Error(`invalid storage URL ${JSON.stringify(url)}: want sqlite:DIR`);
    return openSqliteBackend(join(dir, SQLITE_FILE), { log: opts.log, compactIntervalMs: opts.compactIntervalMs });
  }
  if (url.startsWith('etcd://')) {
    const b = await openEtcdBackend(url, { ...opts.tls, log: opts.log, compactIntervalMs: opts.compactIntervalMs });
    try {
      await checkEtcdReachable(b, opts.connectTimeoutMs ?? 10_000);
    } catch (e: unknown) {
      await b.close();
      throw new Error(`etcd at ${url} does not answer: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return b;
  }
  throw new Error(`invalid storage URL ${JSON.stringify(url)}: want sqlite:DIR or etcd://host:port[,host:port…]`);
}
