// Starts throwaway etcd members (one, or a loopback cluster) in temp data dirs for tests, benchmarks and CI.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.TSKUBE_ETCD_BIN ?? '/usr/bin/etcd';

export interface EtcdClusterOptions {
  /** Members of the cluster (default 1). */
  members?: number;
  /** Put data dirs on tmpfs (/dev/shm) when there is one: tests get fast fsyncs (default true). */
  tmpfs?: boolean;
  /** How long to wait for every member to answer /health (default 20 s). */
  startTimeoutMs?: number;
  /** Copy each member's output to this process's stderr (default false: kept and shown only on failure). */
  verbose?: boolean;
}

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  dataDir: string;
  process?: ChildProcess;
  /** The member's recent output, for diagnosing a failed start. */
  output: string[];
}

export interface EtcdCluster {
  members: EtcdMember[];
  /** `host:port` of every member, comma-separated: what `etcd://` takes. */
  endpoints: string;
  /** The storage URL for tskube: `etcd://host:port[,host:port…]`. */
  url: string;
  /** SIGKILLs one member (crash, no clean shutdown) and waits for it to exit. */
  kill(index: number): Promise<void>;
  /** Restarts a killed member with its data dir, waiting until it is healthy. */
  restart(index: number): Promise<void>;
  /** Kills every member and removes the data dirs; idempotent, never throws. */
  stop(): Promise<void>;
}

/** Whether the etcd binary is installed (scripts/etcd/install.sh installs it). */
export function etcdAvailable(): boolean {
  return existsSync(ETCD_BIN) && spawnSync(ETCD_BIN, ['--version']).status === 0;
}

/**
 * Whether etcd-backed tests should be skipped: only when etcd is missing outside CI. In CI (CI=true) a missing
 * etcd makes those tests fail instead, since .ci/run installs it.
 */
export function skipWithoutEtcd(): boolean {
  return !etcdAvailable() && !process.env.CI;
}

/** A free loopback port (the OS picks; there is a small race until etcd binds it, acceptable for tests). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
/** A test runner that dies mid-test must not leave etcd processes behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) p.kill('SIGKILL');
  });
}

async function healthy(clientUrl: string): Promise<boolean> {
  try {
    const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return res.ok && body.health === 'true';
  } catch {
    return false;
  }
}

/**
 * Starts an etcd cluster of opts.members members on loopback ports with fresh temp data dirs, and resolves once
 * every member reports healthy (a leader exists). Rejects within startTimeoutMs, after killing what it started.
 * The caller must call stop() (in afterAll); a process exit kills the members too.
 */
export async function startEtcdCluster(opts: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  installExitHook();
  const n = opts.members ?? 1;
  const base = opts.tmpfs !== false && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const root = mkdtempSync(join(base, 'tskube-etcd-'));
  const members: EtcdMember[] = [];
  for (let i = 0; i < n; i++) {
    members.push({
      name: `m${i}`,
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(root, `m${i}`),
      output: [],
    });
  }
  const initialCluster = members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  const token = `tskube-${process.pid}-${Date.now().toString(36)}`;

  const launch = (m: EtcdMember, state: 'new' | 'existing'): void => {
    const args = [
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-client-urls', m.clientUrl,
      '--advertise-client-urls', m.clientUrl,
      '--listen-peer-urls', m.peerUrl,
      '--initial-advertise-peer-urls', m.peerUrl,
      '--initial-cluster', initialCluster,
      '--initial-cluster-state', state,
      '--initial-cluster-token', token,
      // Shorter timeouts than the defaults so a killed leader is replaced within ~1 s in tests.
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--logger', 'zap',
      '--log-level', 'warn',
    ];
    const child = spawn(ETCD_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    const keep = (chunk: Buffer): void => {
      m.output.push(chunk.toString());
      if (m.output.length > 200) m.output.splice(0, m.output.length - 200);
      if (opts.verbose) process.stderr.write(`[etcd ${m.name}] ${chunk.toString()}`);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => live.delete(child));
    m.process = child;
  };

  const waitHealthy = async (ms: typeof members, timeoutMs: number): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const exited = ms.find((m) => m.process?.exitCode !== null || m.process?.signalCode !== null);
      if (exited) throw new Error(`etcd member ${exited.name} exited during start:\n${exited.output.join('').slice(-2000)}`);
      const states = await Promise.all(ms.map((m) => healthy(m.clientUrl)));
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) {
        throw new Error(`etcd did not become healthy within ${timeoutMs} ms:\n${ms.map((m) => `${m.name}: ${m.output.join('').slice(-1000)}`).join('\n')}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  const killMember = async (m: EtcdMember): Promise<void> => {
    const p = m.process;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  };

  let stopped = false;
  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl.replace('http://', '')).join(','),
    url: `etcd://${members.map((m) => m.clientUrl.replace('http://', '')).join(',')}`,
    kill: (i) => killMember(members[i]),
    restart: async (i) => {
      await killMember(members[i]);
      launch(members[i], 'existing');
      await waitHealthy([members[i]], opts.startTimeoutMs ?? 20_000);
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await Promise.all(members.map((m) => killMember(m).catch(() => undefined)));
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    for (const m of members) launch(m, 'new');
    await waitHealthy(members, opts.startTimeoutMs ?? 20_000);
  } catch (e: unknown) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
