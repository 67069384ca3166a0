// The node's pod network from the Node's spec.podCIDR: wait for the node IPAM controller, then write the CNI network.
import { isNotFound, sleep, type ApiClient, type KubeObject } from '../controllers/runtime/index.ts';
import type { CriClient } from './cri/client.ts';
import { configureNodeCni } from '../scripts/node/node-runtime.ts';
import type { Logger } from '../server/log.ts';

export interface PodCidrOptions {
  client: ApiClient;
  cri: Pick<CriClient, 'updateRuntimeConfig'>;
  nodeName: string;
  /** The node runtime's DATA_DIR (its CNI conf dir and node.env are rewritten). */
  dataDir: string;
  /** The podCIDR the CNI network already serves (node.env), if any. */
  configured: string | undefined;
  log: Logger;
  signal: AbortSignal;
  /** How long to wait, polling every `pollMs`, before saying so loudly and polling slower (default 120 s / 1 s). */
  waitMs?: number;
  pollMs?: number;
  /** Test seam: writes the CNI network (default scripts/node/cni-config.sh). */
  configure?: (dataDir: string, podCidr: string) => Promise<unknown>;
}

/** The Node's first pod CIDR (spec.podCIDRs, else spec.podCIDR), or undefined. */
export function nodePodCidr(node: KubeObject | undefined): string | undefined {
  const s = node?.spec as { podCIDR?: string; podCIDRs?: string[] } | undefined;
  return s?.podCIDRs?.[0] || s?.podCIDR || undefined;
}

/**
 * Waits for the Node's podCIDR, then makes the CNI network serve it (unless it already does) and tells the
 * runtime (CRI UpdateRuntimeConfig, upstream's signal). Bounded wait with a log line: after `waitMs` a
 * warning says why pods get no network, and polling goes on at a slower pace (a controller manager started
 * later still fixes the node). Resolves the CIDR, or undefined when `signal` aborts first. Never throws:
 * a failed configuration is logged and retried on the next poll.
 */
export async function ensurePodNetwork(o: PodCidrOptions): Promise<string | undefined> {
  const waitMs = o.waitMs ?? 120_000;
  const pollMs = o.pollMs ?? 1000;
  const started = Date.now();
  let said = false;
  let warned = false;
  let failed = false;
  while (!o.signal.aborted) {
    let cidr: string | undefined;
    try {
      cidr = nodePodCidr(await o.client.request<KubeObject>('GET', `/api/v1/nodes/${encodeURIComponent(o.nodeName)}`));
    } catch (e: unknown) {
      if (!isNotFound(e)) o.log.warn('cannot read the Node for its podCIDR', { error: e instanceof Error ? e.message : String(e) });
    }
    if (cidr) {
      if (cidr === o.configured) return cidr;
      try {
        o.log.info('Updating Pod CIDR', { originalPodCIDR: o.configured ?? '', newPodCIDR: cidr });
        await (o.configure ?? configureNodeCni)(o.dataDir, cidr);
        await o.cri.updateRuntimeConfig(cidr).catch((e: unknown) => o.log.debug('UpdateRuntimeConfig failed (the CNI conf dir is what counts)', { error: String(e) }));
        return cidr;
      } catch (e: unknown) {
        o.log.error('cannot configure the pod network', { podCIDR: cidr, error: e instanceof Error ? e.message : String(e) });
        failed = true;
      }
    } else if (!said) {
      said = true;
      o.log.info("waiting for the Node's spec.podCIDR from the node IPAM controller before configuring the pod network", { node: o.nodeName, waitMs });
    }
    const late = Date.now() - started > waitMs;
    if (late && !warned) {
      warned = true;
      o.log.warn(`no podCIDR for the Node after ${Math.round(waitMs / 1000)} s: pods get no network until one is assigned (is a controller manager running with --cluster-cidr and --allocate-node-cidrs?)`, { node: o.nodeName });
    }
    // A failed configuration (e.g. the CIDR overlaps another node's on this host) will not heal in a second.
    await sleep(late || failed ? pollMs * 10 : pollMs, o.signal).catch(() => undefined);
  }
  return undefined;
}
