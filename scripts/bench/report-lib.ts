// Building blocks of the performance report: API server processes, RSS sampling, timed loops, HTTP calls and watches.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'node:https';

export interface Timing {
  op: string;
  concurrency: number;
  ops: number;
  seconds: number;
  perSecond: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  note?: string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Runs op from `concurrency` loops for `seconds` (or until `count` ops); a thrown op counts as an error. */
export async function timed(op: string, concurrency: number, fn: (i: number) => Promise<unknown>, limit: { seconds?: number; count?: number }): Promise<Timing> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const deadline = start + (limit.seconds ?? 1e9) * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (limit.count !== undefined ? next < limit.count : performance.now() < deadline) {
        const i = next++;
        const t0 = performance.now();
        try {
          await fn(i);
        } catch {
          errors++;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { op, concurrency, ops: latencies.length, seconds: round(seconds, 2), perSecond: Math.round(latencies.length / seconds), p50ms: round(percentile(latencies, 50), 2), p99ms: round(percentile(latencies, 99), 2), errors };
}

/** Resident set size of a process in MB (Linux /proc). */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? round(Number(m[1]) / 1024) : 0;
}

/** Samples a process's RSS every 200 ms until stopped; reports the peak. */
export function rssSampler(pid: number): { stop(): number } {
  let peak = rssMb(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid));
    } catch {
      // the process is gone: keep the peak seen
    }
  }, 200);
  return { stop: () => (clearInterval(timer), peak) };
}

export interface ServerProcess {
  url: string;
  dataDir: string;
  kubeconfig: string;
  token: string;
  ca: Buffer;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `tskube <command> --data-dir dir --port 0 [...extra]` from the repo root; resolves once it serves (60 s bound). */
export async function startServer(root: string, command: 'apiserver' | 'up', dataDir: string, extra: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, [join(root, 'bin/tskube.mjs'), command, '--data-dir', dataDir, '--port', '0', ...extra], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (out = (out + c.toString()).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tskube ${command} did not serve within 60 s: ${out}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /serving at (https:\/\/\S+);/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tskube ${command} exited with ${code}: ${out}`));
    });
  });
  const token = readFileSync(join(dataDir, 'tokens.csv'), 'utf8').split(',')[0].trim();
  return {
    url, dataDir, token, child,
    kubeconfig: join(dataDir, 'admin.kubeconfig'),
    ca: readFileSync(join(dataDir, 'pki', 'ca.crt')),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(t);
    },
  };
}

/** One JSON request; resolves with the status code and parsed body. */
export function call(s: { url: string; token: string; ca: Buffer }, agent: Agent, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  // any: each caller knows the shape of the object it asked for.
  return new Promise((resolve, reject) => {
    const req = request(`${s.url}${path}`, { method, agent, ca: s.ca, headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json', accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        try {
          resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
        } catch (e: unknown) {
          reject(e);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** Like call, but fails unless the answer is 2xx. */
export async function callOk(s: { url: string; token: string; ca: Buffer }, agent: Agent, method: string, path: string, body?: unknown): Promise<any> {
  // any: as call.
  const res = await call(s, agent, method, path, body);
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  return res.body;
}

/** Opens a watch (JSON lines) and hands every event's object name and type to onEvent; resolves when the stream is open. */
export function openWatch(s: { url: string; token: string; ca: Buffer }, path: string, onEvent: (type: string, name: string) => void): Promise<{ close(): void }> {
  return new Promise((resolve, reject) => {
    const req = request(`${s.url}${path}`, { ca: s.ca, agent: false, headers: { authorization: `Bearer ${s.token}` } });
    req.on('response', (res) => {
      if (res.statusCode !== 200) return reject(new Error(`watch ${path}: ${res.statusCode}`));
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (!line) continue;
          const ev = JSON.parse(line) as { type: string; object: { metadata?: { name?: string } } };
          onEvent(ev.type, ev.object.metadata?.name ?? '');
        }
      });
      res.on('error', () => undefined);
      resolve({ close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}
