// IPv4 addresses and networks as unsigned 32-bit numbers: the one parser and formatter for node, pod and service ranges.

/** An IPv4 network: base address as an unsigned 32-bit number and prefix length. */
export interface Ipv4Net {
  base: number;
  prefix: number;
}

/** Parses "a.b.c.d" into an unsigned 32-bit number. @throws Error when not a dotted quad. */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`invalid IPv4 address "${text}"`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/**
 * Parses "a.b.c.d/n" the sloppy way upstream does (host bits are masked off, "10.244.1.7/16" is 10.244.0.0/16).
 * @throws Error on anything that is not an IPv4 CIDR (IPv6 included: tskube's allocator is IPv4 only).
 */
export function parseCidr(text: string): Ipv4Net {
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text.trim());
  if (!m || Number(m[2]) > 32) throw new Error(`invalid CIDR address: ${text}`);
  const prefix = Number(m[2]);
  return { base: (parseIpv4(m[1]!) & maskOf(prefix)) >>> 0, prefix };
}

export function formatCidr(net: Ipv4Net): string {
  return `${formatIpv4(net.base)}/${net.prefix}`;
}

/** Whether the two networks share an address (one contains the other, for CIDRs). */
export function overlaps(a: Ipv4Net, b: Ipv4Net): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return ((a.base & maskOf(prefix)) >>> 0) === ((b.base & maskOf(prefix)) >>> 0);
}

/** Whether `ip` (a number) lies in `net`. */
export function contains(net: Ipv4Net, ip: number): boolean {
  return ((ip & maskOf(net.prefix)) >>> 0) === net.base;
}
