// Probes (liveness, readiness, startup) and lifecycle handlers: exec through CRI, httpGet and tcpSocket from the host.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { CriClient } from './cri/client.ts';
import { CriCode, isCriError } from './cri/errors.ts';
import type { Container, Handler, Probe } from './types.ts';

export type ProbeKind = 'liveness' | 'readiness' | 'startup';
export interface ProbeOutcome { ok: boolean; output: string }

function resolvePort(port: number | string, c: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const p = c.ports?.find((x) => x.name === port);
  if (!p) throw new Error(`couldn't find port: ${port} in ${JSON.stringify(c.ports ?? [])}`);
  return p.containerPort;
}

/** Runs one handler (probe or lifecycle hook) against a container; never throws: failures are outcomes. */
export async function runHandler(cri: CriClient, h: Handler, c: Container, containerId: string, podIP: string, timeoutSeconds: number): Promise<ProbeOutcome> {
  try {
    if (h.exec) {
      const cmd = h.exec.command ?? [];
      try {
        const r = await cri.execSync(containerId, cmd, timeoutSeconds);
        const output = Buffer.concat([r.stdout, r.stderr]).toString('utf8');
        return { ok: r.exitCode === 0, output: r.exitCode === 0 ? output : output || `command ${JSON.stringify(cmd.join(' '))} exited with ${r.exitCode}` };
      } catch (e: unknown) {
        if (isCriError(e, CriCode.DEADLINE_EXCEEDED)) return { ok: false, output: `command ${JSON.stringify(cmd.join(' '))} timed out` };
        throw e;
      }
    }
    if (h.httpGet) {
      const g = h.httpGet;
      const port = resolvePort(g.port, c);
      const host = g.host || podIP;
      const scheme = (g.scheme ?? 'HTTP').toLowerCase();
      const path = g.path ? (g.path.startsWith('/') ? g.path : `/${g.path}`) : '/';
      const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}${path}`;
      return await httpProbe(url, g.httpHeaders ?? [], timeoutSeconds);
    }
    if (h.tcpSocket) {
      const port = resolvePort(h.tcpSocket.port, c);
      return await tcpProbe(h.tcpSocket.host || podIP, port, timeoutSeconds);
    }
    if (h.sleep) {
      await new Promise((r) => setTimeout(r, h.sleep!.seconds * 1000));
      return { ok: true, output: '' };
    }
    return { ok: false, output: 'missing probe handler' };
  } catch (e: unknown) {
    return { ok: false, output: e instanceof Error ? e.message : String(e) };
  }
}

function httpProbe(url: string, headers: Array<{ name: string; value: string }>, timeoutSeconds: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const h: Record<string, string> = { 'User-Agent': 'kube-probe/1.33', Accept: '*/*' };
    for (const x of headers) h[x.name] = x.value;
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { headers: h, timeout: timeoutSeconds * 1000, rejectUnauthorized: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 10 * 1024) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) resolve({ ok: true, output: Buffer.concat(chunks).toString('utf8') });
        else resolve({ ok: false, output: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on('error', (e) => resolve({ ok: false, output: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`Get "${url}": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, output: e.code === 'ECONNREFUSED' ? `Get "${url}": dial tcp ${new URL(url).host}: connect: connection refused` : e.message }));
  });
}

function tcpProbe(host: string, port: number, timeoutSeconds: number): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      resolve({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutSeconds * 1000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ok: true, output: '' });
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, output: e.code === 'ECONNREFUSED' ? `dial tcp ${host}:${port}: connect: connection refused` : `dial tcp ${host}:${port}: ${e.message}` });
    });
  });
}

const LABEL: Record<ProbeKind, string> = { liveness: 'Liveness', readiness: 'Readiness', startup: 'Startup' };

interface Worker { stop: () => void }

export interface ProbeTarget {
  podUid: string;
  container: Container;
  containerId: string;
  podIP: string;
  startedAtMs: number;
}

/**
 * One worker per (container id, probe kind), with upstream's timing: initialDelaySeconds after start,
 * then every periodSeconds; a result flips after successThreshold successes / failureThreshold failures.
 * Readiness starts false, liveness true; startup gates the other two. `onChange` fires on every flip,
 * `onFailure` on every failed probe (for Unhealthy events).
 */
export class ProbeManager {
  readonly #cri: CriClient;
  readonly #workers = new Map<string, Worker>();
  readonly ready = new Map<string, boolean>();
  readonly started = new Map<string, boolean>();
  readonly livenessFailed = new Map<string, boolean>();
  onChange: (podUid: string) => void = () => {};
  onFailure: (target: ProbeTarget, kind: ProbeKind, message: string) => void = () => {};

  constructor(cri: CriClient) {
    this.#cri = cri;
  }

  /** Ensures workers for `targets` (running containers) and stops those for containers no longer running in the pod. */
  sync(podUid: string, targets: ProbeTarget[]): void {
    const wanted = new Set<string>();
    for (const t of targets) {
      for (const kind of ['liveness', 'readiness', 'startup'] as const) {
        const probe = kind === 'liveness' ? t.container.livenessProbe : kind === 'readiness' ? t.container.readinessProbe : t.container.startupProbe;
        if (!probe) continue;
        const key = `${podUid}/${t.containerId}/${kind}`;
        wanted.add(key);
        if (!this.#workers.has(key)) this.#workers.set(key, this.#start(t, kind, probe));
      }
    }
    for (const [key, w] of this.#workers) {
      if (key.startsWith(`${podUid}/`) && !wanted.has(key)) {
        w.stop();
        this.#workers.delete(key);
        const id = key.split('/')[1]!;
        this.ready.delete(id);
        this.started.delete(id);
        this.livenessFailed.delete(id);
      }
    }
  }

  stopPod(podUid: string): void {
    this.sync(podUid, []);
  }

  stopAll(): void {
    for (const w of this.#workers.values()) w.stop();
    this.#workers.clear();
  }

  #start(t: ProbeTarget, kind: ProbeKind, p: Probe): Worker {
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const period = Math.max(1, p.periodSeconds ?? 10) * 1000;
    const timeout = Math.max(1, p.timeoutSeconds ?? 1);
    const successThreshold = Math.max(1, p.successThreshold ?? 1);
    const failureThreshold = Math.max(1, p.failureThreshold ?? 3);
    let successes = 0;
    let failures = 0;
    const id = t.containerId;
    const set = (value: boolean): void => {
      const map = kind === 'readiness' ? this.ready : kind === 'startup' ? this.started : this.livenessFailed;
      const stored = kind === 'liveness' ? !value : value;
      if (map.get(id) !== stored) {
        map.set(id, stored);
        this.onChange(t.podUid);
      }
    };
    if (kind === 'readiness') this.ready.set(id, false);
    if (kind === 'startup') this.started.set(id, false);
    const tick = async (): Promise<void> => {
      if (stopped) return;
      const gated = kind !== 'startup' && t.container.startupProbe && this.started.get(id) !== true;
      const done = kind === 'startup' && this.started.get(id) === true;
      if (!gated && !done) {
        const r = await runHandler(this.#cri, p, t.container, id, t.podIP, timeout);
        if (stopped) return;
        if (r.ok) {
          failures = 0;
          successes++;
          if (successes >= (kind === 'readiness' ? successThreshold : 1)) set(true);
        } else {
          successes = 0;
          failures++;
          this.onFailure(t, kind, `${LABEL[kind]} probe failed: ${r.output.trim()}`);
          if (failures >= failureThreshold) {
            set(false);
            if (kind === 'liveness') failures = 0;
            // A startup probe out of attempts kills the container, as a failed liveness probe does.
            if (kind === 'startup' && !this.livenessFailed.get(id)) {
              this.livenessFailed.set(id, true);
              this.onChange(t.podUid);
            }
          }
        }
      }
      timer = setTimeout(() => void tick(), period);
      timer.unref();
    };
    const delay = Math.max(0, t.startedAtMs + (p.initialDelaySeconds ?? 0) * 1000 - Date.now());
    timer = setTimeout(() => void tick(), delay);
    timer.unref();
    return { stop: () => { stopped = true; clearTimeout(timer); } };
  }
}
