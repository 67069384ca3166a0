// The cluster's DNS records (Kubernetes DNS-Based Service Discovery, as CoreDNS's kubernetes plugin serves them), from Services and EndpointSlices.
import { isIP } from 'node:net';
import { Rcode, RRClass, RRType, type Question, type ResourceRecord } from './wire.ts';

/** CoreDNS's default TTL of the kubernetes plugin. */
export const DEFAULT_TTL = 5;
/** The schema version answered at `dns-version.<zone>` (TXT). */
export const SCHEMA_VERSION = '1.1.0';

/** The parts of a Service the DNS reads. */
export interface DnsService {
  metadata: { name?: string; namespace?: string };
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    publishNotReadyAddresses?: boolean;
    ports?: Array<{ name?: string; port?: number; protocol?: string }>;
  };
}

/** The parts of an EndpointSlice the DNS reads. */
export interface DnsEndpointSlice {
  metadata: { namespace?: string; labels?: Record<string, string> };
  endpoints?: Array<{ addresses?: string[]; hostname?: string | null; conditions?: { ready?: boolean | null } }>;
  ports?: Array<{ name?: string | null; port?: number | null; protocol?: string | null }> | null;
}

/** What to answer for one question: `undefined` from {@link RecordTable.answer} means "not ours, forward it". */
export interface Answer {
  rcode: number;
  answers: ResourceRecord[];
  authority: ResourceRecord[];
  additional: ResourceRecord[];
}

interface Port {
  name: string;
  port: number;
  protocol: string;
}

interface Endpoint {
  /** The endpoint's hostname, or its address with dashes (CoreDNS's name for endpoints without one). */
  label: string;
  address: string;
  ports: Port[];
}

interface Entry {
  kind: 'cluster-ip' | 'headless' | 'external-name';
  ips: string[];
  externalName: string;
  ports: Port[];
  endpoints: Endpoint[];
}

function dashed(ip: string): string {
  return ip.replace(/[.:]/g, '-');
}

/** `10.96.0.10` → `10.0.96.10.in-addr.arpa`; undefined for anything that is not IPv4. */
export function reverseName(ip: string): string | undefined {
  return isIP(ip) === 4 ? `${ip.split('.').reverse().join('.')}.in-addr.arpa` : undefined;
}

/**
 * An immutable index of the cluster's records for one zone (the cluster domain). Names compare case-insensitively;
 * answers carry the question's own spelling. Unknown names inside the zone are NXDOMAIN and known names without
 * records of the asked type NOERROR/NODATA, both with the zone's SOA in the authority section.
 */
export class RecordTable {
  readonly zone: string;
  readonly ttl: number;
  readonly #services = new Map<string, Entry>();
  readonly #namespaces = new Set<string>();
  readonly #ptr = new Map<string, string[]>();
  readonly #serial: number;

  /** @param zone the cluster domain, e.g. `cluster.local`. */
  constructor(services: readonly DnsService[], slices: readonly DnsEndpointSlice[], zone = 'cluster.local', opts: { ttl?: number; serial?: number } = {}) {
    this.zone = zone.toLowerCase().replace(/\.$/, '');
    this.ttl = opts.ttl ?? DEFAULT_TTL;
    this.#serial = opts.serial ?? Math.floor(Date.now() / 1000);
    const bySvc = new Map<string, DnsEndpointSlice[]>();
    for (const s of slices) {
      const svc = s.metadata.labels?.['kubernetes.io/service-name'];
      if (!svc) continue;
      const k = `${svc}.${s.metadata.namespace ?? ''}`.toLowerCase();
      bySvc.set(k, [...(bySvc.get(k) ?? []), s]);
    }
    for (const svc of services) {
      const name = (svc.metadata.name ?? '').toLowerCase();
      const ns = (svc.metadata.namespace ?? '').toLowerCase();
      const spec = svc.spec ?? {};
      const key = `${name}.${ns}`;
      this.#namespaces.add(ns);
      const ips = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []).filter((ip) => isIP(ip) !== 0);
      const kind: Entry['kind'] = spec.type === 'ExternalName' ? 'external-name' : ips.length === 0 ? 'headless' : 'cluster-ip';
      const endpoints: Endpoint[] = [];
      const seen = new Set<string>();
      for (const slice of bySvc.get(key) ?? []) {
        const ports = (slice.ports ?? []).flatMap((p) => (p.port ? [{ name: p.name ?? '', port: p.port, protocol: (p.protocol ?? 'TCP').toLowerCase() }] : []));
        for (const ep of slice.endpoints ?? []) {
          if (ep.conditions?.ready === false && !spec.publishNotReadyAddresses) continue;
          for (const address of ep.addresses ?? []) {
            const label = (ep.hostname || dashed(address)).toLowerCase();
            if (isIP(address) === 0 || seen.has(`${label}/${address}`)) continue;
            seen.add(`${label}/${address}`);
            endpoints.push({ label, address, ports });
          }
        }
      }
      const fqdn = `${name}.${ns}.svc.${this.zone}`;
      this.#services.set(key, {
        kind,
        ips,
        externalName: (spec.externalName ?? '').replace(/\.$/, ''),
        ports: (spec.ports ?? []).flatMap((p) => (p.port ? [{ name: p.name ?? '', port: p.port, protocol: (p.protocol ?? 'TCP').toLowerCase() }] : [])),
        endpoints,
      });
      if (kind === 'cluster-ip') for (const ip of ips) this.#addPtr(ip, fqdn);
      if (kind === 'headless') for (const ep of endpoints) this.#addPtr(ep.address, `${ep.label}.${fqdn}`);
    }
  }

  #addPtr(ip: string, target: string): void {
    const r = reverseName(ip);
    if (r) this.#ptr.set(r, [...(this.#ptr.get(r) ?? []), target]);
  }

  /** The zone's SOA record (CoreDNS's shape: ns.dns.<zone>, hostmaster.<zone>, minimum = TTL). */
  soa(): ResourceRecord {
    return {
      name: this.zone,
      type: RRType.SOA,
      class: RRClass.IN,
      ttl: this.ttl,
      data: { kind: 'soa', soa: { mname: `ns.dns.${this.zone}`, rname: `hostmaster.${this.zone}`, serial: this.#serial, refresh: 7200, retry: 1800, expire: 86400, minimum: this.ttl } },
    };
  }

  /** Whether `name` lies in the cluster zone (then we answer it, never forward). */
  inZone(name: string): boolean {
    const n = name.toLowerCase().replace(/\.$/, '');
    return n === this.zone || n.endsWith(`.${this.zone}`);
  }

  /**
   * Answers `q` from the cluster's records. Returns undefined for names outside the zone and for reverse names
   * that are no service's (the caller forwards those, as CoreDNS's `fallthrough in-addr.arpa`).
   */
  answer(q: Question): Answer | undefined {
    const qname = q.name.replace(/\.$/, '');
    const lower = qname.toLowerCase();
    if (lower.endsWith('.in-addr.arpa')) {
      const targets = this.#ptr.get(lower);
      if (!targets) return undefined;
      return q.type === RRType.PTR || q.type === RRType.ANY
        ? this.#ok(targets.map((t) => this.#rr(qname, RRType.PTR, { kind: 'name', target: t })))
        : this.#nodata();
    }
    if (!this.inZone(lower)) return undefined;
    if (q.class !== RRClass.IN && q.class !== 255) return this.#nxdomain();
    const rest = lower === this.zone ? [] : lower.slice(0, -this.zone.length - 1).split('.');
    if (rest.length === 0) {
      if (q.type === RRType.SOA) return this.#ok([this.soa()]);
      if (q.type === RRType.NS) return this.#ok([this.#rr(qname, RRType.NS, { kind: 'name', target: `ns.dns.${this.zone}` })]);
      return this.#nodata();
    }
    if (rest.length === 1 && rest[0] === 'dns-version') {
      return q.type === RRType.TXT ? this.#ok([this.#rr(qname, RRType.TXT, { kind: 'txt', texts: [SCHEMA_VERSION] })]) : this.#nodata();
    }
    const last = rest[rest.length - 1];
    if (last === 'svc') return this.#service(qname, rest.slice(0, -1), q.type);
    if (last === 'pod') return this.#pod(qname, rest.slice(0, -1), q.type);
    return this.#nxdomain();
  }

  #service(qname: string, labels: string[], type: number): Answer {
    if (labels.length === 0) return this.#nodata();
    const ns = labels[labels.length - 1]!;
    if (labels.length === 1) return this.#namespaces.has(ns) ? this.#nodata() : this.#nxdomain();
    const svcName = labels[labels.length - 2]!;
    const entry = this.#services.get(`${svcName}.${ns}`);
    if (!entry) return this.#nxdomain();
    const fqdn = `${svcName}.${ns}.svc.${this.zone}`;
    if (labels.length === 2) return this.#serviceName(qname, fqdn, entry, type);
    if (labels.length === 3) {
      const matches = entry.kind === 'external-name' ? [] : entry.endpoints.filter((e) => e.label === labels[0]);
      if (matches.length === 0) return this.#nxdomain();
      return this.#addresses(qname, matches.map((e) => e.address), type);
    }
    if (labels.length === 4 && labels[0]!.startsWith('_') && labels[1]!.startsWith('_')) {
      const portName = labels[0]!.slice(1);
      const proto = labels[1]!.slice(1);
      const ports = entry.ports.filter((p) => p.name !== '' && p.name.toLowerCase() === portName && p.protocol === proto);
      if (entry.kind === 'external-name' || ports.length === 0) return this.#nxdomain();
      if (type !== RRType.SRV && type !== RRType.ANY) return this.#nodata();
      return this.#srv(qname, fqdn, entry, ports);
    }
    return this.#nxdomain();
  }

  #serviceName(qname: string, fqdn: string, entry: Entry, type: number): Answer {
    if (entry.kind === 'external-name') {
      if (!entry.externalName) return this.#nodata();
      return this.#ok([this.#rr(qname, RRType.CNAME, { kind: 'name', target: entry.externalName })]);
    }
    if (type === RRType.SRV) return entry.ports.length ? this.#srv(qname, fqdn, entry, entry.ports) : this.#nodata();
    if (entry.kind === 'cluster-ip') return this.#addresses(qname, entry.ips, type);
    const ips = [...new Set(entry.endpoints.map((e) => e.address))];
    // The spec: a headless service without ready endpoints has no name at all.
    if (ips.length === 0) return this.#nxdomain();
    return this.#addresses(qname, ips, type);
  }

  #srv(qname: string, fqdn: string, entry: Entry, ports: Port[]): Answer {
    const targets: Array<{ port: number; target: string; address?: string }> = [];
    if (entry.kind === 'cluster-ip') {
      for (const p of ports) targets.push({ port: p.port, target: fqdn });
    } else {
      for (const p of ports) {
        for (const ep of entry.endpoints) {
          const ep_port = ep.ports.find((q) => q.name === p.name && q.protocol === p.protocol);
          if (ep_port) targets.push({ port: ep_port.port, target: `${ep.label}.${fqdn}`, address: ep.address });
        }
      }
    }
    if (targets.length === 0) return this.#nxdomain();
    const weight = Math.max(1, Math.floor(100 / targets.length));
    const answers = targets.map((t) => this.#rr(qname, RRType.SRV, { kind: 'srv', srv: { priority: 0, weight, port: t.port, target: t.target } }));
    const additional: ResourceRecord[] = [];
    const added = new Set<string>();
    const addA = (name: string, ip: string): void => {
      if (added.has(`${name}/${ip}`)) return;
      added.add(`${name}/${ip}`);
      const v = isIP(ip);
      additional.push(this.#rr(name, v === 6 ? RRType.AAAA : RRType.A, { kind: v === 6 ? 'aaaa' : 'a', address: ip }));
    };
    for (const t of targets) {
      if (t.address) addA(t.target, t.address);
      else for (const ip of entry.ips) addA(t.target, ip);
    }
    return { rcode: Rcode.NOERROR, answers, authority: [], additional };
  }

  #pod(qname: string, labels: string[], type: number): Answer {
    if (labels.length !== 2) return labels.length === 1 ? this.#nodata() : this.#nxdomain();
    const ip = labels[0]!.replace(/-/g, '.');
    if (isIP(ip) !== 4) return this.#nxdomain();
    return this.#addresses(qname, [ip], type);
  }

  #addresses(qname: string, ips: readonly string[], type: number): Answer {
    const want = (v: number): boolean => type === RRType.ANY || (v === 4 ? type === RRType.A : type === RRType.AAAA);
    const answers = ips.filter((ip) => want(isIP(ip))).map((ip) => this.#rr(qname, isIP(ip) === 6 ? RRType.AAAA : RRType.A, { kind: isIP(ip) === 6 ? 'aaaa' : 'a', address: ip }));
    return answers.length ? this.#ok(answers) : this.#nodata();
  }

  #rr(name: string, type: number, data: ResourceRecord['data']): ResourceRecord {
    return { name, type, class: RRClass.IN, ttl: this.ttl, data };
  }

  #ok(answers: ResourceRecord[]): Answer {
    return { rcode: Rcode.NOERROR, answers, authority: [], additional: [] };
  }

  #nodata(): Answer {
    return { rcode: Rcode.NOERROR, answers: [], authority: [this.soa()], additional: [] };
  }

  #nxdomain(): Answer {
    return { rcode: Rcode.NXDOMAIN, answers: [], authority: [this.soa()], additional: [] };
  }
}
