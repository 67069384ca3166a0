// Who may use the DNS as a recursive resolver: the cluster's own machines and pods, never the open internet.
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import { contains, parseCidr, parseIpv4 } from '../server/ipv4.ts';

/** Private, loopback, link-local and shared (CGNAT) IPv4 ranges, where pods, nodes and NAT gateways live. */
const PRIVATE_V4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10'].map(parseCidr);

const privateV4 = (ip: string): boolean => PRIVATE_V4.some((net) => contains(net, parseIpv4(ip)));

/**
 * Whether `source` may have names outside the cluster domain forwarded: private, loopback and link-local addresses
 * (pods, and nodes whose traffic kube-proxy masquerades) and this host's own addresses. Anyone else gets REFUSED
 * for them, so a DNS listening on the node's public address is not an open resolver; cluster names are answered
 * to everyone, as CoreDNS does.
 */
export function mayRecurse(source: string, hostAddresses: ReadonlySet<string> = localAddresses()): boolean {
  const ip = source.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (hostAddresses.has(ip)) return true;
  if (isIP(ip) === 4) return privateV4(ip);
  const lower = ip.toLowerCase();
  return lower === '::1' || lower.startsWith('fe80:') || lower.startsWith('fc') || lower.startsWith('fd');
}

function localAddresses(): Set<string> {
  return new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address)));
}
