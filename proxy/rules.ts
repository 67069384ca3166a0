// kube-proxy's pure half: Services + EndpointSlices → the service ports to proxy → one iptables-restore text for the nat table.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';

/** The parts of a Service the proxy reads. */
export interface ServiceLike {
  metadata: { name?: string; namespace?: string };
  spec?: {
    type?: string;
    clusterIP?: string;
    sessionAffinity?: string;
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    ports?: Array<{ name?: string; port?: number; protocol?: string; nodePort?: number; targetPort?: number | string }>;
  };
}

/** The parts of an EndpointSlice the proxy reads. */
export interface EndpointSliceLike {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  addressType?: string;
  endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean | null; terminating?: boolean | null } }>;
  ports?: Array<{ name?: string | null; port?: number | null; protocol?: string | null }>;
}

/** One proxied service port with its ready endpoints (`ip:port`, sorted, unique). */
export interface ServicePort {
  /** `ns/name:portName` (upstream's ServicePortName; the port name may be empty). */
  id: string;
  protocol: 'tcp' | 'udp' | 'sctp';
  clusterIP: string;
  port: number;
  nodePort?: number;
  /** ClientIP affinity timeout in seconds, when sessionAffinity is ClientIP. */
  affinitySeconds?: number;
  endpoints: string[];
}

/**
 * What to proxy: every IPv4 ClusterIP/NodePort/LoadBalancer Service port (headless and ExternalName are skipped),
 * with the ready endpoints of the slices labelled with its name whose port carries the same name and protocol.
 * Endpoints whose `ready` condition is false are left out (unset counts as ready, as upstream).
 */
export function servicePorts(services: readonly ServiceLike[], slices: readonly EndpointSliceLike[]): ServicePort[] {
  const bySvc = new Map<string, EndpointSliceLike[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc || s.addressType !== 'IPv4') continue;
    const k = `${s.metadata.namespace ?? ''}/${svc}`;
    bySvc.set(k, [...(bySvc.get(k) ?? []), s]);
  }
  const out: ServicePort[] = [];
  for (const svc of services) {
    const spec = svc.spec ?? {};
    const ip = spec.clusterIP ?? '';
    if (spec.type === 'ExternalName' || isIP(ip) !== 4) continue;
    const k = `${svc.metadata.namespace ?? ''}/${svc.metadata.name ?? ''}`;
    const affinity = spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
    for (const p of spec.ports ?? []) {
      const protocol = (p.protocol ?? 'TCP').toUpperCase();
      const name = p.name ?? '';
      const endpoints = new Set<string>();
      for (const slice of bySvc.get(k) ?? []) {
        const sp = (slice.ports ?? []).find((q) => (q.name ?? '') === name && (q.protocol ?? 'TCP').toUpperCase() === protocol);
        if (!sp?.port) continue;
        for (const ep of slice.endpoints ?? []) {
          if (ep.conditions?.ready === false) continue;
          for (const a of ep.addresses ?? []) if (isIP(a) === 4) endpoints.add(`${a}:${sp.port}`);
        }
      }
      out.push({
        id: `${k}:${name}`,
        protocol: protocol.toLowerCase() as ServicePort['protocol'],
        clusterIP: ip,
        port: Number(p.port),
        nodePort: (spec.type === 'NodePort' || spec.type === 'LoadBalancer') && p.nodePort ? p.nodePort : undefined,
        affinitySeconds: affinity,
        endpoints: [...endpoints].sort(),
      });
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Chain names; `tag` (tests, several proxies on one host) makes a private set, `KUBE-*` otherwise. */
export interface ChainNames {
  services: string;
  nodePorts: string;
  postrouting: string;
  markMasq: string;
  /** Every chain of ours starts with one of these. */
  prefixes: string[];
  svc(sp: ServicePort): string;
  sep(sp: ServicePort, endpoint: string): string;
}

function hash(text: string, length: number): string {
  // Upstream: base32 of a sha256, cut to 16 characters; chains stay under iptables' 28-character limit.
  const digest = createHash('sha256').update(text).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

export function chainNames(tag = ''): ChainNames {
  const base = tag ? `TSK${tag.toUpperCase()}` : 'KUBE';
  const n = tag ? 12 : 16;
  return {
    services: `${base}-SERVICES`,
    nodePorts: `${base}-NODEPORTS`,
    postrouting: `${base}-POSTROUTING`,
    markMasq: `${base}-MARK-MASQ`,
    prefixes: [`${base}-SERVICES`, `${base}-NODEPORTS`, `${base}-POSTROUTING`, `${base}-MARK-MASQ`, `${base}-SVC-`, `${base}-SEP-`],
    svc: (sp) => `${base}-SVC-${hash(sp.id + sp.protocol, n)}`,
    sep: (sp, ep) => `${base}-SEP-${hash(sp.id + sp.protocol + ep, n)}`,
  };
}

export const MASQ_MARK = '0x4000';

function comment(text: string): string {
  return `-m comment --comment "${text.replace(/"/g, '')}"`;
}

/**
 * The nat table as our chains should be, for `iptables-restore --noflush`: each of our chains is declared (so
 * restored empty and refilled in one transaction), and chains of ours in `existing` that are no longer needed
 * are deleted. Only service ports with endpoints get rules (traffic to the others is left alone). Every
 * proxied connection is masqueraded (upstream's --masquerade-all), so host, pod and hairpin traffic all return.
 */
export function natRestoreText(ports: readonly ServicePort[], names: ChainNames, existing: readonly string[] = []): string {
  const chains = new Set([names.services, names.nodePorts, names.postrouting, names.markMasq]);
  const rules: string[] = [
    `-A ${names.postrouting} -m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`,
    `-A ${names.postrouting} -j MARK --xor-mark ${MASQ_MARK}`,
    `-A ${names.postrouting} ${comment('kubernetes service traffic requiring SNAT')} -j MASQUERADE`,
    `-A ${names.markMasq} -j MARK --or-mark ${MASQ_MARK}`,
  ];
  for (const sp of ports) {
    if (sp.endpoints.length === 0) continue;
    const svcChain = names.svc(sp);
    chains.add(svcChain);
    const match = `-p ${sp.protocol} -m ${sp.protocol}`;
    rules.push(`-A ${names.services} ${comment(`${sp.id} cluster IP`)} ${match} -d ${sp.clusterIP}/32 --dport ${sp.port} -j ${svcChain}`);
    if (sp.nodePort) rules.push(`-A ${names.nodePorts} ${comment(sp.id)} ${match} --dport ${sp.nodePort} -j ${svcChain}`);
    rules.push(`-A ${svcChain} -j ${names.markMasq}`);
    const seps = sp.endpoints.map((ep) => names.sep(sp, ep));
    if (sp.affinitySeconds !== undefined) {
      sp.endpoints.forEach((ep, i) => rules.push(`-A ${svcChain} ${comment(`${sp.id} -> ${ep}`)} -m recent --name ${seps[i]} --rcheck --seconds ${sp.affinitySeconds} --reap -j ${seps[i]}`));
    }
    sp.endpoints.forEach((ep, i) => {
      const left = sp.endpoints.length - i;
      const pick = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(10)} ` : '';
      rules.push(`-A ${svcChain} ${comment(`${sp.id} -> ${ep}`)} ${pick}-j ${seps[i]}`);
    });
    sp.endpoints.forEach((ep, i) => {
      const sep = seps[i]!;
      chains.add(sep);
      const ip = ep.slice(0, ep.lastIndexOf(':'));
      rules.push(`-A ${sep} ${comment(sp.id)} -s ${ip}/32 -j ${names.markMasq}`);
      const recent = sp.affinitySeconds !== undefined ? ` -m recent --name ${sep} --set` : '';
      rules.push(`-A ${sep} ${comment(sp.id)}${recent} ${match} -j DNAT --to-destination ${ep}`);
    });
  }
  rules.push(`-A ${names.services} ${comment('kubernetes service nodeports; NOTE: this must be the last rule in this chain')} -m addrtype --dst-type LOCAL -j ${names.nodePorts}`);
  const stale = existing.filter((c) => !chains.has(c) && names.prefixes.some((p) => c.startsWith(p)));
  return ['*nat', ...[...chains].map((c) => `:${c} - [0:0]`), ...stale.map((c) => `:${c} - [0:0]`), ...rules, ...stale.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
}

/** Removal text: every chain of ours in `existing` flushed, then deleted (the jumps into them must be gone first). */
export function natCleanupText(names: ChainNames, existing: readonly string[]): string {
  const ours = existing.filter((c) => names.prefixes.some((p) => c.startsWith(p)));
  return ['*nat', ...ours.map((c) => `:${c} - [0:0]`), ...ours.map((c) => `-X ${c}`), 'COMMIT', ''].join('\n');
}

/** Chain names declared in `iptables-save -t nat` output. */
export function chainsIn(saveOutput: string): string[] {
  return saveOutput.split('\n').filter((l) => l.startsWith(':')).map((l) => l.slice(1).split(' ')[0]!);
}
