// `tskube kubelet` and the kubelet part of `tskube up`: flags → node runtime set-up → startKubelet.
import { hostname } from 'node:os';
import { runUntilSignal } from '../cli/lifecycle.ts';
import { resolve } from 'node:path';
import { assertKnown, intFlag, parseFlags } from '../cli/flags.ts';
import { setupNode } from '../scripts/node/node-runtime.ts';
import { createLogger, setVerbosity, type Logger } from '../server/log.ts';
import { startKubelet, type RunningKubelet } from './kubelet.ts';

const FLAGS = ['kubeconfig', 'node-name', 'containerd-socket', 'data-dir', 'pod-cidr', 'bridge', 'cgroup-root', 'cluster-dns', 'cluster-domain', 'port', 'node-ip', 'setup', 'register-with-taints'];

export const KUBELET_USAGE = `Usage: tskube kubelet --kubeconfig FILE [flags]

  --kubeconfig FILE          how to reach the API server (required)
  --node-name NAME           default: the host name
  --data-dir DIR             node runtime dir (scripts/node/setup.sh DATA_DIR; default ./.tskube/node)
  --setup                    run scripts/node/setup.sh DATA_DIR first (root)
  --pod-cidr CIDR --bridge NAME --cgroup-root NAME   set-up parameters (several nodes on one host);
                             without --pod-cidr the Node's podCIDR from node IPAM configures the pod network
  --containerd-socket PATH   default: from DATA_DIR/node.env
  --cluster-dns IP --cluster-domain D   pod DNS (default: the host's resolv.conf)
  --port PORT                kubelet HTTPS port (default 0: any)
  --node-ip IP               address to publish and listen on
  --register-with-taints T   key=value:Effect[,…] taints of the Node at registration
`;

/** `key=value:Effect,key2:Effect` → taints; throws on a taint without an effect. */
export function parseTaints(text: string): Array<{ key: string; value?: string; effect: string }> {
  return text.split(',').filter(Boolean).map((t) => {
    const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(t.trim());
    if (!m) throw new Error(`invalid taint ${JSON.stringify(t)}: want key[=value]:NoSchedule|PreferNoSchedule|NoExecute`);
    return m[2] === undefined ? { key: m[1]!, effect: m[3]! } : { key: m[1]!, value: m[2], effect: m[3]! };
  });
}

/** Runs `tskube kubelet …` until SIGINT/SIGTERM. */
export async function runKubeletCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, ['setup']);
  assertKnown(flags, FLAGS);
  setVerbosity(flags.verbosity);
  const kubeconfig = flags.values.get('kubeconfig');
  if (!kubeconfig) throw new Error(`--kubeconfig is required\n${KUBELET_USAGE}`);
  const dataDir = resolve(flags.values.get('data-dir') ?? './.tskube/node');
  const log = createLogger('kubelet');
  if (flags.booleans.has('setup')) {
    await setupNode(dataDir, { podCidr: flags.values.get('pod-cidr'), noPodCidr: true, bridge: flags.values.get('bridge'), cgroupRoot: flags.values.get('cgroup-root') });
  }
  const kubelet = await startKubelet({
    kubeconfig: resolve(kubeconfig), log, dataDir,
    nodeName: flags.values.get('node-name'), containerdSocket: flags.values.get('containerd-socket'),
    podCIDR: flags.values.get('pod-cidr'), clusterDNS: flags.values.get('cluster-dns'), clusterDomain: flags.values.get('cluster-domain'),
    port: intFlag(flags, 'port', 0), nodeIP: flags.values.get('node-ip'),
    registerWithTaints: parseTaints(flags.values.get('register-with-taints') ?? ''),
  });
  process.stdout.write(`kubelet for node ${kubelet.nodeName} is running (HTTPS port ${kubelet.port})\n`);
  runUntilSignal(log, [() => kubelet.stop()], 8000);
}

/**
 * The kubelet of `tskube up`: when root, sets up the node runtime under `<dataDir>/node` and starts one
 * kubelet named after the host (pods' ClusterFirst DNS: `dns.clusterDNS`, when the cluster DNS runs). Resolves undefined (with a warning) when not root or set-up fails, so the
 * control plane still comes up.
 */
export async function startUpKubelet(dataDir: string, kubeconfig: string, log: Logger, dns: { clusterDNS?: string; clusterDomain?: string } = {}): Promise<RunningKubelet | undefined> {
  if (process.getuid?.() !== 0) {
    log.warn('not starting a kubelet: containerd, runc and CNI need root (use --no-kubelet to silence this)');
    return undefined;
  }
  const nodeDir = resolve(dataDir, 'node');
  try {
    await setupNode(nodeDir, { noPodCidr: true }); // the Node's podCIDR comes from node IPAM (--cluster-cidr)
    return await startKubelet({ kubeconfig, log: log.child('kubelet'), dataDir: nodeDir, nodeName: hostname(), ...dns }); // dns: cluster DNS (issue 8)
  } catch (e: unknown) {
    log.error('kubelet not started', { error: e instanceof Error ? e.message : String(e) });
    return undefined;
  }
}
