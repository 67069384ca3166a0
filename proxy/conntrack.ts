// kube-proxy's conntrack half: which UDP flows a rule change left pointing at a gone endpoint (or at no rule), and
// their removal with the conntrack CLI, as upstream's iptables proxier does after each sync (issue 8).
import { execFile } from 'node:child_process';
import type { Logger } from '../server/log.ts';
import type { ServicePort } from './rules.ts';

/** One `conntrack -D` call: its filter (the arguments after -D) and why, for logs. */
export interface StaleFlows {
  filter: string[];
  reason: string;
}

/** A UDP frontend of a served service port: `clusterIP:port` or `:nodePort` (any local address). */
interface Frontend {
  ip?: string;
  port: number;
}

function frontendKey(f: Frontend): string {
  return `${f.ip ?? ''}:${f.port}`;
}

/** Served UDP frontends (ports with at least one endpoint, i.e. with rules) → the endpoints (`ip:port`) behind them. */
function servedUdp(ports: readonly ServicePort[]): Map<string, { frontend: Frontend; endpoints: Set<string> }> {
  const out = new Map<string, { frontend: Frontend; endpoints: Set<string> }>();
  for (const sp of ports) {
    if (sp.protocol !== 'udp' || sp.endpoints.length === 0) continue;
    const frontends: Frontend[] = [{ ip: sp.clusterIP, port: sp.port }];
    if (sp.nodePort) frontends.push({ port: sp.nodePort });
    for (const frontend of frontends) {
      const k = frontendKey(frontend);
      const entry = out.get(k) ?? { frontend, endpoints: new Set<string>() };
      for (const ep of sp.endpoints) entry.endpoints.add(ep);
      out.set(k, entry);
    }
  }
  return out;
}

function match(f: Frontend): string[] {
  return ['-p', 'udp', ...(f.ip ? ['--orig-dst', f.ip] : []), '--orig-port-dst', String(f.port)];
}

function ipOf(endpoint: string): string {
  return endpoint.slice(0, endpoint.lastIndexOf(':'));
}

/**
 * The UDP conntrack entries made stale by going from the rules for `before` to those for `after` (upstream's
 * CleanStaleEntries), as `conntrack -D` filters, without duplicates:
 * - a frontend (clusterIP:port, or a NodePort on any address) that gains its first endpoint: all its entries, since
 *   those made while it had no rules bypass the DNAT for as long as the client keeps sending;
 * - a frontend that loses all its endpoints or its Service: all its entries;
 * - an endpoint removed from a frontend that keeps others: the frontend's entries DNATed to that endpoint's IP
 *   (`--dst-nat`), so the client's next datagram is balanced again.
 * TCP and SCTP are left alone (their endpoints reset or time out). `before` is empty on the first sync, so a
 * (re)started proxy flushes the entries of every served UDP frontend once, as upstream's.
 */
export function staleUdpFlows(before: readonly ServicePort[], after: readonly ServicePort[]): StaleFlows[] {
  const was = servedUdp(before);
  const now = servedUdp(after);
  const out = new Map<string, StaleFlows>();
  const add = (filter: string[], reason: string): void => void (out.has(filter.join(' ')) || out.set(filter.join(' '), { filter, reason }));
  for (const [k, { frontend }] of now) if (!was.has(k)) add(match(frontend), `udp frontend ${k} gained endpoints`);
  for (const [k, old] of was) {
    const cur = now.get(k);
    if (!cur) {
      add(match(old.frontend), `udp frontend ${k} has no endpoints any more`);
      continue;
    }
    const keptIPs = new Set([...cur.endpoints].map(ipOf));
    for (const ep of old.endpoints) {
      // An endpoint that only changed its port keeps its IP: its entries DNAT to the old port, so they go too.
      if (cur.endpoints.has(ep)) continue;
      const ip = ipOf(ep);
      add([...match(old.frontend), '--dst-nat', ip], `endpoint ${ep} left udp frontend ${k}${keptIPs.has(ip) ? ' (its IP serves another port)' : ''}`);
    }
  }
  return [...out.values()];
}

/** Result of one `conntrack -D`: deleted entries, or why none could be. */
export type DeleteResult = { deleted: number } | { missing: true } | { error: string };

/** Runs `conntrack -D …filter` (one call, bounded by `timeoutMs`); never rejects. */
export type ConntrackDelete = (filter: string[], timeoutMs: number) => Promise<DeleteResult>;

/** The conntrack CLI; "0 flow entries have been deleted" (exit 1) is success with nothing to do, as upstream. */
export const conntrackDelete: ConntrackDelete = (filter, timeoutMs) =>
  new Promise((resolve) => {
    execFile('conntrack', ['-D', ...filter], { timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, _stdout, stderr) => {
      const counted = /(\d+) flow entries have been deleted/.exec(stderr);
      if (counted) return resolve({ deleted: Number(counted[1]) });
      if (!err) return resolve({ deleted: 0 });
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ missing: true });
      resolve({ error: err.killed ? `timed out after ${timeoutMs} ms` : (stderr.trim() || err.message) });
    });
  });

/**
 * Clears the stale UDP entries after each successful sync. Guarantees: `afterSync` never throws and compares with the
 * ports of the previous successful sync (so a failed sync's changes are cleared once a later one succeeds); each
 * conntrack call is bounded by `timeoutMs`; a missing conntrack binary is logged once and otherwise ignored.
 */
export class ConntrackCleaner {
  #before: readonly ServicePort[] = [];
  #missingLogged = false;
  readonly #log: Logger;
  readonly #delete: ConntrackDelete;
  readonly #timeoutMs: number;

  constructor(log: Logger, opts: { delete?: ConntrackDelete; timeoutMs?: number } = {}) {
    this.#log = log;
    this.#delete = opts.delete ?? conntrackDelete;
    this.#timeoutMs = opts.timeoutMs ?? 5000;
  }

  /** Deletes the entries made stale since the last call; resolves to the number deleted. */
  async afterSync(ports: readonly ServicePort[]): Promise<number> {
    const stale = staleUdpFlows(this.#before, ports);
    this.#before = ports;
    let deleted = 0;
    for (const { filter, reason } of stale) {
      const r = await this.#delete(filter, this.#timeoutMs);
      if ('missing' in r) {
        if (!this.#missingLogged) this.#log.warn('conntrack binary not found; stale UDP conntrack entries are not cleared (install the conntrack package)');
        this.#missingLogged = true;
        break;
      }
      if ('error' in r) {
        this.#log.warn('clearing stale UDP conntrack entries failed', { filter: filter.join(' '), reason, error: r.error });
        continue;
      }
      deleted += r.deleted;
      if (r.deleted > 0) this.#log.debug('cleared stale UDP conntrack entries', { filter: filter.join(' '), reason, deleted: r.deleted });
    }
    return deleted;
  }
}
