// A cluster CIDR cut into equal node subnets, with a bitmap of the used ones (upstream's cidrset semantics, IPv4).
import { formatCidr, overlaps, parseCidr, type Ipv4Net } from '../../server/ipv4.ts';

/** upstream's ErrCIDRRangeNoCIDRsRemaining text. */
export const NO_CIDRS_REMAINING = 'CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range';
/** upstream's ErrCIDRSetSubNetTooBig text: at most 2^16 node subnets per cluster CIDR. */
export const SUBNET_TOO_BIG = 'New CIDR set failed; the node CIDR size is too big';
const MAX_SUBNET_BITS = 16;

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
