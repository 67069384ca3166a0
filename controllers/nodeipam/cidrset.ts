// A cluster CIDR cut into equal node subnets, with a bitmap of the used ones (upstream's cidrset semantics, IPv4).

/** upstream's ErrCIDRRangeNoCIDRsRemaining text. */
export const NO_CIDRS_REMAINING = 'CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range';
/** upstream's ErrCIDRSetSubNetTooBig text: at most 2^16 node subnets per cluster CIDR. */
export const SUBNET_TOO_BIG = 'New CIDR set failed; the node CIDR size is too big';
const MAX_SUBNET_BITS = 16;

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

const maskOf = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

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

/**
 * The node subnets of one cluster CIDR. Allocation is round-robin from the last allocated subnet, as
 * upstream's (a released subnet is handed out again only after the others), so a node that was just
 * deleted does not pass its CIDR straight to the next node while old routes may linger.
 */
export class CidrSet {
  readonly cluster: Ipv4Net;
  readonly nodeMaskSize: number;
  readonly max: number;
  readonly #used: Uint8Array;
  #allocated = 0;
  #next = 0;

  /** @throws Error (upstream's texts) when the node mask is not longer than the cluster's or gives more than 2^16 subnets. */
  constructor(clusterCidr: string, nodeMaskSize: number) {
    this.cluster = parseCidr(clusterCidr);
    if (!Number.isInteger(nodeMaskSize) || nodeMaskSize > 32) throw new Error(`invalid node CIDR mask size ${nodeMaskSize}`);
    if (nodeMaskSize < this.cluster.prefix) throw new Error(`node CIDR mask size /${nodeMaskSize} is shorter than the cluster CIDR's /${this.cluster.prefix}`);
    if (nodeMaskSize - this.cluster.prefix > MAX_SUBNET_BITS) throw new Error(SUBNET_TOO_BIG);
    this.nodeMaskSize = nodeMaskSize;
    this.max = 2 ** (nodeMaskSize - this.cluster.prefix);
    this.#used = new Uint8Array(this.max);
  }

  /** How many node subnets are in use. */
  get allocated(): number {
    return this.#allocated;
  }

  /** Hands out the next free node subnet. @throws Error {@link NO_CIDRS_REMAINING} when all are used. */
  allocateNext(): string {
    if (this.#allocated === this.max) throw new Error(NO_CIDRS_REMAINING);
    for (let i = 0, c = this.#next; i < this.max; i++, c = (c + 1) % this.max) {
      if (this.#used[c]) continue;
      this.#used[c] = 1;
      this.#allocated++;
      this.#next = (c + 1) % this.max;
      return formatCidr(this.#subnet(c));
    }
    throw new Error(NO_CIDRS_REMAINING);
  }

  /** Marks every node subnet `cidr` touches as used (a node's declared CIDR, the service range). @throws Error when outside the cluster CIDR. */
  occupy(cidr: string): void {
    const [begin, end] = this.#indices(cidr);
    for (let i = begin; i <= end; i++) {
      if (this.#used[i]) continue;
      this.#used[i] = 1;
      this.#allocated++;
    }
  }

  /** Frees every node subnet `cidr` touches. @throws Error when outside the cluster CIDR. */
  release(cidr: string): void {
    const [begin, end] = this.#indices(cidr);
    for (let i = begin; i <= end; i++) {
      if (!this.#used[i]) continue;
      this.#used[i] = 0;
      this.#allocated--;
    }
  }

  /** Whether `cidr` lies (at least partly) inside the cluster CIDR. */
  contains(cidr: string): boolean {
    return overlaps(this.cluster, parseCidr(cidr));
  }

  #subnet(index: number): Ipv4Net {
    return { base: (this.cluster.base + index * 2 ** (32 - this.nodeMaskSize)) >>> 0, prefix: this.nodeMaskSize };
  }

  /** First and last subnet index `cidr` covers, clamped to the cluster CIDR. */
  #indices(cidr: string): [number, number] {
    const net = parseCidr(cidr);
    if (!overlaps(this.cluster, net)) throw new Error(`cidr ${formatCidr(net)} is out the range of cluster cidr ${formatCidr(this.cluster)}`);
    if (net.prefix <= this.cluster.prefix) return [0, this.max - 1];
    const size = 2 ** (32 - this.nodeMaskSize);
    const first = Math.floor((net.base - this.cluster.base) / size);
    const last = Math.floor((net.base + 2 ** (32 - net.prefix) - 1 - this.cluster.base) / size);
    return [first, Math.min(last, this.max - 1)];
  }
}
