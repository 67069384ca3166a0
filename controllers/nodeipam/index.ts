// The node IPAM controller (upstream's range allocator): every Node gets a podCIDR cut from --cluster-cidr.
import type { ControllerContext } from '../manager.ts';
import { ApiError, Resources, TerminalError, controller, objectPath, type Action, type KubeObject } from '../runtime/index.ts';
import { arr, num, spec } from '../podutil/index.ts';
import { CidrSet } from './cidrset.ts';

/** What the controller needs from the manager's settings, resolved. */
export interface NodeIpamConfig {
  clusterCIDR: string;
  nodeCIDRMaskSize: number;
  serviceClusterIPRange?: string;
}

/**
 * Reads the controller's settings: `allocateNodeCidrs` (default true), `clusterCIDR` (no default: without it
 * the controller stays off, as upstream's does without --cluster-cidr), `nodeCIDRMaskSize` (24),
 * `serviceClusterIPRange` (kept out of the node subnets when it overlaps). Undefined when the controller is off.
 * @throws Error when the cluster CIDR or mask size is unusable (upstream's controller manager refuses to start then).
 */
export function nodeIpamConfig(settings: Readonly<Record<string, unknown>>): NodeIpamConfig | undefined {
  if (settings.allocateNodeCidrs === false) return undefined;
  const cidr = typeof settings.clusterCIDR === 'string' ? settings.clusterCIDR.trim() : '';
  if (!cidr) return undefined;
  const cidrs = cidr.split(',').map((s) => s.trim()).filter(Boolean);
  if (cidrs.length > 1) throw new Error('tskube allocates IPv4 node CIDRs only: give one --cluster-cidr');
  const config: NodeIpamConfig = { clusterCIDR: cidrs[0]!, nodeCIDRMaskSize: num(settings.nodeCIDRMaskSize, 24) };
  if (typeof settings.serviceClusterIPRange === 'string' && settings.serviceClusterIPRange) config.serviceClusterIPRange = settings.serviceClusterIPRange;
  new CidrSet(config.clusterCIDR, config.nodeCIDRMaskSize);
  return config;
}

/** The Node's spec.podCIDRs, falling back to the single spec.podCIDR of older writers. */
export function podCIDRsOf(node: KubeObject): string[] {
  const list = arr<string>(spec(node).podCIDRs).filter((c) => typeof c === 'string' && c);
  if (list.length) return list;
  const one = spec(node).podCIDR;
  return typeof one === 'string' && one ? [one] : [];
}

/**
 * The allocator's bookkeeping, apart from the API so that it can be tested alone. It remembers which CIDRs
 * it holds for which node, so that a deleted Node's CIDR is released even though the cache no longer has it.
 */
export class RangeAllocator {
  readonly set: CidrSet;
  readonly #held = new Map<string, string[]>();
  /** Nodes whose CIDRs could not be marked (outside the range): reported once per value, not on every status update. */
  readonly #refused = new Map<string, string>();

  constructor(config: NodeIpamConfig) {
    this.set = new CidrSet(config.clusterCIDR, config.nodeCIDRMaskSize);
    const svc = config.serviceClusterIPRange;
    // upstream's filterOutServiceRange: ClusterIPs must never also be pod addresses.
    if (svc && this.set.contains(svc)) this.set.occupy(svc);
  }

  /** The CIDRs held for `node`, if any. */
  held(node: string): readonly string[] | undefined {
    return this.#held.get(node);
  }

  /**
   * Marks a node's own CIDRs as used. Idempotent.
   * @throws TerminalError (upstream's wording) when a CIDR lies outside the cluster CIDR or is garbage: retrying cannot help.
   */
  occupy(node: string, cidrs: readonly string[]): void {
    const held = this.#held.get(node);
    if (held && held.join(',') === cidrs.join(',')) return;
    if (this.#refused.get(node) === cidrs.join(',')) return;
    if (held) this.release(node);
    this.#refused.set(node, cidrs.join(','));
    if (cidrs.length > 1) throw new TerminalError(`node:${node} has an allocated cidr: ${cidrs[1]} at index:1 that does not exist in cluster cidrs configuration`);
    try {
      this.set.occupy(cidrs[0]!);
    } catch (e: unknown) {
      throw new TerminalError(`failed to mark cidr[${cidrs[0]}] at idx [0] as occupied for node: ${node}: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.#refused.delete(node);
    this.#held.set(node, [...cidrs]);
  }

  /** The CIDRs for a node that has none: the ones already reserved for it, else the next free. @throws Error when none is left. */
  allocate(node: string): string[] {
    const held = this.#held.get(node);
    if (held) return [...held];
    const cidr = this.set.allocateNext();
    this.#held.set(node, [cidr]);
    return [cidr];
  }

  /** Frees what is held for `node` (deleted Node, or a failed assignment). */
  release(node: string): void {
    for (const cidr of this.#held.get(node) ?? []) {
      try {
        this.set.release(cidr);
      } catch {
        // Never occupied (outside the cluster CIDR): nothing to free.
      }
    }
    this.#held.delete(node);
    this.#refused.delete(node);
  }
}

const CIDR_UPDATE_RETRIES = 3;

/**
 * Registers the node IPAM controller (settings: see {@link nodeIpamConfig}). Existing Nodes' CIDRs are marked
 * used before any Node is given one; a Node without CIDR gets the next free one through a strategic-merge
 * patch of spec.podCIDR/podCIDRs; a deleted Node's CIDR returns to the pool. Events as upstream's
 * "cidrAllocator": CIDRNotAvailable when the range is exhausted, CIDRAssignmentFailed when the patch fails.
 * One deviation: a Node whose CIDR lies outside the cluster CIDR is logged and left alone, where upstream's
 * controller manager fails to start (a tskube node may declare its own --pod-cidr from another range).
 */
export function registerNodeIpam(ctx: ControllerContext): void {
  const config = nodeIpamConfig(ctx.settings);
  if (!config) {
    ctx.log.info('node IPAM off: no cluster CIDR (or allocate-node-cidrs=false)');
    return;
  }
  const nodes = ctx.informers.informerOf(Resources.Node);
  const recorder = ctx.recorder('cidrAllocator');
  const allocator = new RangeAllocator(config);
  const log = ctx.log.child('nodeipam');
  const statusChange = (node: KubeObject, status: string): void =>
    recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: node.metadata.name, uid: node.metadata.uid } }, 'Warning', status, `Node ${node.metadata.name} status is now: ${status}`);

  const reconcile = async (name: string): Promise<Action> => {
    const node = nodes.lister.get(name);
    if (!node || node.metadata.deletionTimestamp) {
      allocator.release(name);
      return 'done';
    }
    const own = podCIDRsOf(node);
    if (own.length) {
      allocator.occupy(name, own);
      return 'done';
    }
    let cidrs: string[];
    try {
      cidrs = allocator.allocate(name);
    } catch (e: unknown) {
      statusChange(node, 'CIDRNotAvailable');
      throw new Error(`failed to allocate cidr from cluster cidr at idx:0: ${e instanceof Error ? e.message : String(e)}`);
    }
    let last: unknown;
    for (let i = 0; i < CIDR_UPDATE_RETRIES; i++) {
      try {
        await ctx.client.request('PATCH', objectPath(Resources.Node, undefined, name), {
          body: { spec: { podCIDR: cidrs[0], podCIDRs: cidrs } },
          contentType: 'application/strategic-merge-patch+json',
        });
        log.info('Set node PodCIDR', { node: name, podCIDRs: cidrs });
        return 'done';
      } catch (e: unknown) {
        last = e;
        if (e instanceof ApiError && e.code === 404) break;
      }
    }
    log.error('Failed to update node PodCIDR after multiple attempts', { node: name, podCIDRs: cidrs, error: last instanceof Error ? last.message : String(last) });
    statusChange(node, 'CIDRAssignmentFailed');
    allocator.release(name);
    throw last instanceof Error ? last : new Error(String(last));
  };

  ctx.run('nodeipam', (async () => {
    if (!(await nodes.waitForSync(ctx.signal))) return;
    // As upstream's NewCIDRRangeAllocator: every CIDR already in use is marked before the first allocation.
    for (const node of nodes.lister.list()) {
      const own = podCIDRsOf(node);
      if (!own.length) continue;
      try {
        allocator.occupy(node.metadata.name!, own);
      } catch (e: unknown) {
        log.warn('node CIDR not managed by the allocator', { node: node.metadata.name, error: e instanceof Error ? e.message : String(e) });
      }
    }
    log.info('Starting range CIDR allocator', { clusterCIDR: config.clusterCIDR, nodeCIDRMaskSize: config.nodeCIDRMaskSize });
    await controller('cidrallocator_node', nodes).run(reconcile, { signal: ctx.signal, log: ctx.log });
  })());
}
