// Subject-alternative-name helpers: validating, normalising and reading the SANs of a certificate.
import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';

/** True for a host name usable as a DNS SAN (letters, digits, hyphens, dots; an optional leading `*.`). */
export function isDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.replace(/^\*\./, '').split('.');
  return labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/**
 * Canonical text of an IP address so the same address compares equal however it was written:
 * IPv4 unchanged, IPv6 as eight lower-case hex groups without leading zeros (`::1` → `0:0:0:0:0:0:0:1`,
 * the form Node prints in `subjectAltName`). Throws on anything that is not an IP address.
 */
export function normalizeIp(ip: string): string {
  const family = isIP(ip);
  if (family === 4) return ip;
  if (family !== 6) throw new Error(`invalid IP address: ${JSON.stringify(ip)}`);
  let text = ip.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = text.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const zeros = tail === undefined ? [] : new Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => parseInt(g, 16).toString(16)).join(':');
}

/** The DNS names (lower-cased) and IP addresses (normalised → as printed) a certificate carries. */
export function sanOf(cert: X509Certificate): { dns: Set<string>; ips: Map<string, string> } {
  const dns = new Set<string>();
  const ips = new Map<string, string>();
  // Node prints "DNS:a, IP Address:b"; values with special characters come JSON-quoted.
  const entry = /(DNS|IP Address):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/g;
  for (const m of (cert.subjectAltName ?? '').matchAll(entry)) {
    const raw = m[2] ?? '';
    const value = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
    if (m[1] === 'DNS') dns.add(value.toLowerCase());
    else if (isIP(value) !== 0) ips.set(normalizeIp(value), value);
  }
  return { dns, ips };
}
