// `tskube controller-manager`: flags (named as kube-controller-manager's) → startControllerManager, until SIGINT/SIGTERM.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { assertKnown, parseFlags, type ParsedFlags } from '../cli/flags.ts';
import { createLogger, setVerbosity } from '../server/log.ts';
import { startControllerManager, type ControllerSettings } from './manager.ts';
import { runUntilSignal } from '../cli/lifecycle.ts';

export const CONTROLLER_MANAGER_USAGE = `Usage: tskube controller-manager --kubeconfig FILE [flags]

  --kubeconfig FILE                    how to reach the API server (required)
  --leader-elect=false                 run without holding the Lease kube-system/kube-controller-manager (default true)
  --controllers LIST                   comma-separated: "*" for all, "name" to enable, "-name" to disable (default *)
  --root-ca-file FILE                  the cluster CA, published as ConfigMap kube-root-ca.crt in every namespace
  --leader-elect-lease-duration D      default 15s
  --leader-elect-renew-deadline D      default 10s
  --leader-elect-retry-period D        default 2s
  --cluster-cidr CIDR                  pods' range, cut into one podCIDR per Node by node IPAM (none: IPAM off)
  --node-cidr-mask-size N              prefix length of each Node's podCIDR (default 24)
  --allocate-node-cidrs=false          do not assign podCIDRs (default true)
  --service-cluster-ip-range CIDR      kept out of the podCIDRs when it overlaps --cluster-cidr
`;

/** The node IPAM flags, shared by `controller-manager` and `up`. */
export const NODE_IPAM_FLAGS = ['cluster-cidr', 'node-cidr-mask-size', 'allocate-node-cidrs'] as const;

/** `--allocate-node-cidrs` alone means `=true` (the flag is also written `=true`/`=false`, as upstream's). */
export function normalizeNodeIpamArgs(args: readonly string[]): string[] {
  return args.map((a) => (a === '--allocate-node-cidrs' ? '--allocate-node-cidrs=true' : a));
}

/**
 * The node IPAM controller's settings from the flags, `clusterCIDR` defaulting to `defaultClusterCidr`.
 * @throws Error when --allocate-node-cidrs is neither true nor false or the mask size is not a number.
 */
export function nodeIpamSettings(flags: ParsedFlags, defaultClusterCidr?: string): ControllerSettings {
  const allocate = flags.values.get('allocate-node-cidrs') ?? 'true';
  if (allocate !== 'true' && allocate !== 'false') throw new Error(`invalid value for --allocate-node-cidrs: ${allocate}`);
  const mask = flags.values.get('node-cidr-mask-size');
  if (mask !== undefined && !/^\d{1,2}$/.test(mask)) throw new Error(`invalid value for --node-cidr-mask-size: ${mask}`);
  const settings: ControllerSettings = { allocateNodeCidrs: allocate === 'true', clusterCIDR: flags.values.get('cluster-cidr') ?? defaultClusterCidr };
  if (mask !== undefined) settings.nodeCIDRMaskSize = Number(mask);
  const svc = flags.values.get('service-cluster-ip-range');
  if (svc) settings.serviceClusterIPRange = svc;
  return settings;
}

/** A Go-style duration ("15s", "500ms", "1m") in milliseconds. @throws Error when malformed. */
export function parseDuration(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(raw);
  if (!m) throw new Error(`invalid duration "${raw}"`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(m[1]) * unit;
}

/** Runs `tskube controller-manager …` until SIGINT/SIGTERM. */
export async function runControllerManagerCommand(args: string[]): Promise<void> {
  const flags = parseFlags(
    normalizeNodeIpamArgs(args).map((a) => (a === '--leader-elect=false' ? '--no-leader-elect' : a === '--leader-elect=true' || a === '--leader-elect' ? '' : a)).filter(Boolean),
    ['no-leader-elect'],
  );
  assertKnown(flags, ['kubeconfig', 'no-leader-elect', 'controllers', 'root-ca-file', 'leader-elect-lease-duration', 'leader-elect-renew-deadline', 'leader-elect-retry-period', ...NODE_IPAM_FLAGS, 'service-cluster-ip-range']);
  setVerbosity(flags.verbosity);
  const kubeconfig = flags.values.get('kubeconfig');
  if (!kubeconfig) throw new Error(`--kubeconfig is required\n${CONTROLLER_MANAGER_USAGE}`);
  const caFile = flags.values.get('root-ca-file');
  const duration = (name: string): number | undefined => {
    const raw = flags.values.get(name);
    return raw === undefined ? undefined : parseDuration(raw);
  };
  const log = createLogger('controller-manager');
  const manager = await startControllerManager({
    kubeconfig: resolve(kubeconfig),
    log,
    leaderElect: !flags.booleans.has('no-leader-elect'),
    controllers: flags.values.get('controllers')?.split(',').map((s) => s.trim()).filter(Boolean),
    caPem: caFile ? readFileSync(resolve(caFile), 'utf8') : undefined,
    leaseDurationMs: duration('leader-elect-lease-duration'),
    renewDeadlineMs: duration('leader-elect-renew-deadline'),
    retryPeriodMs: duration('leader-elect-retry-period'),
    settings: nodeIpamSettings(flags),
  });
  runUntilSignal(log, [() => manager.stop()]);
}
