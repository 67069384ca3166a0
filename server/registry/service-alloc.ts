// Service ClusterIP and NodePort allocation: a mirror of the stored Services plus in-flight reservations, hooked into create/update.
import { isIP } from 'node:net';
import type { Backend, WatchEvent } from '../storage/backend.ts';
import type { FieldError, KubeObject, ResourceDef } from './types.ts';
import { arr, obj, records, str } from './object.ts';
import { GoText, goStringSlice, idx, invalid } from './validation.ts';
import * as errors from '../http/errors.ts';
import { formatIpv4, parseIpv4 } from '../ipv4.ts';

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
export const DEFAULT_NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/** An IPv4 CIDR as integers: usable addresses are (base, broadcast) exclusive, as upstream's IPv4 ranges. */
export interface Ipv4Range {
  cidr: string;
  base: number;
  size: number;
}


/** Parses `a.b.c.d/n` (IPv4 only, prefix 8..30); throws an Error naming the flag value otherwise. */
export function parseServiceCidr(cidr: string): Ipv4Range {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(cidr.trim());
  if (!m || isIP(m[1]!) !== 4) throw new Error(`invalid service CIDR "${cidr}": want an IPv4 CIDR such as ${DEFAULT_SERVICE_CIDR}`);
  const bits = Number(m[2]);
  if (bits < 8 || bits > 30) throw new Error(`invalid service CIDR "${cidr}": prefix length must be between 8 and 30`);
  const size = 2 ** (32 - bits);
  const base = Math.floor(parseIpv4(m[1]!) / size) * size;
  return { cidr: `${formatIpv4(base)}/${bits}`, base, size };
}

/** The first usable address: upstream gives it to the `kubernetes` Service. */
export function firstServiceIp(range: Ipv4Range): string {
  return formatIpv4(range.base + 1);
}

function inRange(range: Ipv4Range, ip: string): boolean {
  if (isIP(ip) !== 4) return false;
  const n = parseIpv4(ip);
  return n > range.base && n < range.base + range.size - 1;
}

/** What one Service holds: its cluster IPs and node ports (health-check node port included). */
interface Held {
  ips: string[];
  ports: number[];
}

function heldBy(svc: Readonly<KubeObject> | undefined): Held {
  const spec = obj(svc?.spec) ?? {};
  if (!svc || spec.type === 'ExternalName') return { ips: [], ports: [] };
  const ips = arr(spec.clusterIPs).map(String).filter((ip) => ip !== 'None' && ip !== '');
  if (ips.length === 0 && str(spec.clusterIP) && spec.clusterIP !== 'None') ips.push(str(spec.clusterIP));
  const ports = records(spec.ports).map((p) => Number(p.nodePort)).filter((n) => Number.isInteger(n) && n > 0);
  if (Number(spec.healthCheckNodePort) > 0) ports.push(Number(spec.healthCheckNodePort));
  return { ips, ports: [...new Set(ports)] };
}

function wantsNodePorts(spec: Record<string, unknown>): boolean {
  if (spec.type === 'NodePort') return true;
  return spec.type === 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== false;
}

/**
 * Allocator of one API server. Guarantees: a ClusterIP or NodePort held by a stored Service (or reserved by a write
 * in flight on this server) is never handed out again; the state is rebuilt from storage at start and kept current
 * by a storage watch, so restarts and deletes (release) need no bookkeeping of their own. Two API servers allocating
 * the same address in the same instant are not arbitrated (upstream arbitrates with a stored bitmap).
 */
export class ServiceAllocator {
  readonly range: Ipv4Range;
  readonly nodePorts: { min: number; max: number };
  readonly #ipOwner = new Map<string, string>();
  readonly #portOwner = new Map<number, string>();
  /** What each stored Service holds, by storage key, as the last watch event showed it. */
  readonly #stored = new Map<string, Held>();
  #watch?: { cancel(): void };
  #closed = false;

  constructor(opts: { cidr?: string; nodePorts?: { min: number; max: number } } = {}) {
    this.range = parseServiceCidr(opts.cidr ?? DEFAULT_SERVICE_CIDR);
    this.nodePorts = opts.nodePorts ?? DEFAULT_NODE_PORT_RANGE;
  }

  /** Loads every stored Service under `prefix` (e.g. `/registry/services/specs/`) and follows later writes. */
  async start(backend: Backend, prefix: string): Promise<void> {
    const listed = await backend.list(prefix);
    this.#ipOwner.clear();
    this.#portOwner.clear();
    this.#stored.clear();
    for (const kv of listed.kvs) this.#setStored(kv.key, parse(kv.value));
    this.#watch = backend.watch(prefix, {
      afterRevision: listed.revision,
      onEvents: (events: WatchEvent[]) => {
        for (const ev of events) this.#setStored(ev.kv.key, ev.type === 'put' ? parse(ev.kv.value) : undefined);
      },
      onError: () => {
        // History gone or backend lost: rebuild from a fresh list (stored Services stay the source of truth).
        if (!this.#closed) setTimeout(() => void this.start(backend, prefix).catch(() => undefined), 500).unref();
      },
    });
  }

  stop(): void {
    this.#closed = true;
    this.#watch?.cancel();
  }

  /** Whether an address or port is held (by a stored Service or an in-flight reservation). */
  ipInUse(ip: string): boolean {
    return this.#ipOwner.has(ip);
  }

  portInUse(port: number): boolean {
    return this.#portOwner.has(port);
  }

  /** Mirror a Service as stored under `key` (undefined: deleted); used by the watch and by tests. */
  #setStored(key: string, svc: KubeObject | undefined): void {
    this.#drop(key);
    if (!svc) {
      this.#stored.delete(key);
      return;
    }
    const held = heldBy(svc);
    this.#stored.set(key, held);
    for (const ip of held.ips) this.#ipOwner.set(ip, key);
    for (const p of held.ports) this.#portOwner.set(p, key);
  }

  #drop(key: string): void {
    for (const [ip, owner] of this.#ipOwner) if (owner === key) this.#ipOwner.delete(ip);
    for (const [p, owner] of this.#portOwner) if (owner === key) this.#portOwner.delete(p);
  }

  /** Test seam: record a stored Service without a backend. */
  observe(key: string, svc: KubeObject | undefined): void {
    this.#setStored(key, svc);
  }

  /**
   * Fills and reserves what the Service `svc` (about to be stored under `key`; `old` on update) needs: a ClusterIP
   * unless headless or ExternalName, node ports for NodePort/LoadBalancer. Requested values are checked against the
   * range and the holders. Throws upstream's 422 Invalid. Returns `rollback`, to call when the write fails; with
   * dryRun nothing is reserved.
   */
  reserve(key: string, svc: KubeObject, old: Readonly<KubeObject> | undefined, dryRun: boolean): { rollback(): void } {
    const spec = (obj(svc.spec) ?? {}) as Record<string, unknown>;
    const name = svc.metadata.name ?? '';
    const errs: FieldError[] = [];
    const ips: string[] = [];
    const ports: number[] = [];
    const oldHeld = heldBy(old);
    const taken = (ip: string): boolean => {
      const owner = this.#ipOwner.get(ip);
      return owner !== undefined && owner !== key;
    };
    if (spec.type !== 'ExternalName' && spec.clusterIP !== 'None') {
      const requested = str(spec.clusterIP) || str(arr(spec.clusterIPs)[0]);
      if (requested) {
        if (!oldHeld.ips.includes(requested)) {
          const shown = new GoText(goStringSlice(arr(spec.clusterIPs).length ? arr(spec.clusterIPs).map(String) : [requested]));
          if (!inRange(this.range, requested)) errs.push(invalid('spec.clusterIPs', shown, `failed to allocate IP ${requested}: the provided network does not match the current range`));
          else if (taken(requested)) errs.push(invalid('spec.clusterIPs', shown, `failed to allocate IP ${requested}: provided IP is already allocated`));
          else ips.push(requested);
        }
      } else {
        const ip = this.#nextIp(key);
        if (!ip) throw errors.invalid('Service', '', name, [{ type: 'FieldValueInvalid', field: 'spec.clusterIPs', message: 'Internal error: failed to allocate a serviceIP: range is full' }]);
        ips.push(ip);
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
        if (arr(spec.ipFamilies).length === 0) spec.ipFamilies = ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
      }
    }
    if (wantsNodePorts(spec)) {
      const mine = new Set<number>();
      records(spec.ports).forEach((p, i) => {
        const wanted = Number(p.nodePort ?? 0);
        if (wanted > 0) {
          if (oldHeld.ports.includes(wanted) || mine.has(wanted)) return;
          if (wanted < this.nodePorts.min || wanted > this.nodePorts.max) {
            errs.push(invalid(idx('spec.ports', i) + '.nodePort', wanted, `provided port is not in the valid range. The range of valid ports is ${this.nodePorts.min}-${this.nodePorts.max}`));
          } else if (this.#portOwner.has(wanted) && this.#portOwner.get(wanted) !== key) {
            errs.push(invalid(idx('spec.ports', i) + '.nodePort', wanted, 'provided port is already allocated'));
          } else {
            mine.add(wanted);
            ports.push(wanted);
          }
        }
      });
      // Ports without a nodePort get one; one port number serves every protocol of the same service port.
      for (const p of records(spec.ports)) {
        if (Number(p.nodePort ?? 0) > 0) continue;
        const sibling = records(spec.ports).find((q) => q !== p && q.port === p.port && Number(q.nodePort ?? 0) > 0);
        if (sibling) {
          p.nodePort = sibling.nodePort;
          continue;
        }
        const port = this.#nextPort(key, mine);
        if (port === undefined) {
          errs.push({ type: 'FieldValueInvalid', field: 'spec.ports', message: 'Internal error: failed to allocate a nodePort: range is full' });
          break;
        }
        mine.add(port);
        ports.push(port);
        p.nodePort = port;
      }
    }
    if (errs.length) throw errors.invalid('Service', '', name, errs);
    if (dryRun) return { rollback: () => undefined };
    for (const ip of ips) this.#ipOwner.set(ip, key);
    for (const p of ports) this.#portOwner.set(p, key);
    return {
      rollback: () => {
        for (const ip of ips) if (this.#ipOwner.get(ip) === key && !this.#stored.get(key)?.ips.includes(ip)) this.#ipOwner.delete(ip);
        for (const p of ports) if (this.#portOwner.get(p) === key && !this.#stored.get(key)?.ports.includes(p)) this.#portOwner.delete(p);
      },
    };
  }

  /** Random pick from the upper band first (upstream keeps the lower band for static addresses), then anywhere. */
  #nextIp(key: string): string | undefined {
    const usable = this.range.size - 2;
    const offset = Math.min(Math.max(16, Math.floor(usable / 16)), 256);
    const bands: Array<[number, number]> = usable > offset ? [[offset, usable], [0, offset]] : [[0, usable]];
    for (const [from, to] of bands) {
      const span = to - from;
      const start = Math.floor(Math.random() * span);
      for (let i = 0; i < span; i++) {
        const ip = formatIpv4(this.range.base + 1 + from + ((start + i) % span));
        const owner = this.#ipOwner.get(ip);
        if (owner === undefined || owner === key) return ip;
      }
    }
    return undefined;
  }

  #nextPort(key: string, mine: Set<number>): number | undefined {
    const span = this.nodePorts.max - this.nodePorts.min + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = this.nodePorts.min + ((start + i) % span);
      if (mine.has(port)) continue;
      const owner = this.#portOwner.get(port);
      if (owner === undefined) return port;
    }
    return undefined;
  }
}

function parse(value: string): KubeObject | undefined {
  try {
    return JSON.parse(value) as KubeObject;
  } catch {
    return undefined;
  }
}

/** The store hook: only Services (core/v1) are allocated; every other resource passes through. */
export function serviceAllocationHook(allocator: ServiceAllocator): (def: ResourceDef, key: string, obj: KubeObject, old: Readonly<KubeObject> | undefined, dryRun: boolean) => { rollback(): void } | undefined {
  return (def, key, o, old, dryRun) => (def.group === '' && def.plural === 'services' ? allocator.reserve(key, o, old, dryRun) : undefined);
}
