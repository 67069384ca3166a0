// The tskube command: `up` (whole cluster in one process) and `apiserver` (the API server alone).
import { resolve } from 'node:path';
import { runUntilSignal } from './lifecycle.ts';
import { rmSync } from 'node:fs';
import { teardownNode } from '../scripts/node/node-runtime.ts';
import { assertKnown, intFlag, parseFlags } from './flags.ts';
import { startApiServer } from '../server/apiserver.ts';
import { createLogger, setVerbosity } from '../server/log.ts';
import { runKubeletCommand, startUpKubelet } from '../kubelet/cli.ts';
import { runSchedulerCommand } from '../scheduler/cli.ts';
import { startScheduler } from '../scheduler/index.ts';
import { NODE_IPAM_FLAGS, nodeIpamSettings, normalizeNodeIpamArgs, runControllerManagerCommand } from '../controllers/cli.ts';
import { startControllerManager } from '../controllers/manager.ts';
import { runMigrateCommand } from './migrate.ts';
import { runImageCommand } from './image.ts';
import { hostname } from 'node:os';
import { ensureComponentKubeconfigs } from '../kubeconfig/components.ts';
import { runSimulateNodesCommand } from './simulate-nodes.ts';
import { ensureProxyKubeconfig, runProxyCommand } from '../proxy/cli.ts';
import { proxyChainTag, startProxy } from '../proxy/index.ts';
import { removeRules } from '../proxy/iptables.ts';
import { chainNames } from '../proxy/rules.ts';
import { runDnsCommand } from '../dns/cli.ts'; // cluster DNS (issue 8)
import { startDns } from '../dns/index.ts';

const USAGE = `Usage: tskube <command> [flags]

Commands:
  up           Run the whole cluster in one process: API server, controller manager, scheduler and (as root) a
               kubelet on a private containerd; --no-kubelet for the control plane only
  down         Stop and remove the node runtime that up leaves running (--data-dir DIR [--purge])
  apiserver    Run the API server alone
  kubelet      Run a kubelet alone (--kubeconfig FILE --node-name N ...)
  scheduler    Run the scheduler alone (--kubeconfig FILE)
  controller-manager  Run the controller manager alone (--kubeconfig FILE)
  proxy        Run kube-proxy alone: iptables rules for Services (--kubeconfig FILE; root)
  dns          Run the cluster DNS alone (--kubeconfig FILE [--listen ADDR:PORT] [--cluster-domain D])
  image        Import image tarballs into the node's containerd, or list its images (import FILE... | ls)
  migrate      Copy a cluster's state between storages (--from sqlite:DIR --to etcd://HOST:PORT)
  simulate-nodes  Register N simulated nodes for scale tests (--count N --kubeconfig FILE)

Flags (up, apiserver):
  --data-dir DIR   state, PKI, tokens and kubeconfigs (default ./.tskube)
  --port PORT      HTTPS port (default 6443)
  --bind ADDR      listen address (default: 0.0.0.0 under up, 127.0.0.1 for apiserver)
  --advertise-address IP   the kubernetes Service's endpoint (default: --bind when specific, else the
                   default-route interface's IPv4)
  --storage URL    sqlite:DIR (default: the data dir) or etcd://HOST:PORT[,HOST:PORT...]
  --etcd-cafile F, --etcd-certfile F, --etcd-keyfile F   TLS to etcd
  --token-auth-file F   static bearer tokens (default <data-dir>/tokens.csv)
  --audit-log-path F    audit log, one JSON line per request
  --service-cluster-ip-range CIDR   Service ClusterIPs (default 10.96.0.0/12)
  --cluster-cidr CIDR  (up) pods' range, one podCIDR per Node by node IPAM (default 10.244.0.0/16)
  --node-cidr-mask-size N, --allocate-node-cidrs=false   (up) node IPAM (default 24, true)
  -v, -v=2         verbose logs (info, debug)
`;

const SERVER_FLAGS = ['data-dir', 'port', 'bind', 'no-kubelet', 'storage', 'etcd-cafile', 'etcd-certfile', 'etcd-keyfile', 'token-auth-file', 'audit-log-path', 'service-cluster-ip-range', 'advertise-address', ...NODE_IPAM_FLAGS];

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'up':
      case 'apiserver':
        await runServer(command, rest);
        return;
      case 'kubelet':
        await runKubeletCommand(rest);
        return;
      case 'scheduler':
        await runSchedulerCommand(rest);
        return;
      case 'controller-manager':
        await runControllerManagerCommand(rest);
        return;
      case 'proxy':
        await runProxyCommand(rest);
        return;
      case 'dns':
        await runDnsCommand(rest);
        return;
      case 'migrate':
        await runMigrateCommand(rest);
        return;
      case 'image':
        await runImageCommand(rest);
        return;
      case 'down':
        await runDownCommand(rest);
        return;
      case 'simulate-nodes':
        await runSimulateNodesCommand(rest);
        return;
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return;
      default:
        throw new Error(`unknown command "${command}"`);
    }
  } catch (e: unknown) {
    process.stderr.write(`tskube: ${(e as Error).message}\n${command && !['up', 'apiserver'].includes(command) ? USAGE : ''}`);
    process.exit(2);
  }
}

async function runServer(command: 'up' | 'apiserver', args: string[]): Promise<void> {
  const flags = parseFlags(normalizeNodeIpamArgs(args), ['no-kubelet']);
  assertKnown(flags, SERVER_FLAGS);
  setVerbosity(flags.verbosity);
  const dataDir = resolve(flags.values.get('data-dir') ?? './.tskube');
  const log = createLogger(command === 'up' ? 'tskube' : 'apiserver');
  // storage (issue 9): sqlite in the data dir unless --storage names another (etcd://…).
  const storage = { storage: flags.values.get('storage'), storageTls: { caFile: flags.values.get('etcd-cafile'), certFile: flags.values.get('etcd-certfile'), keyFile: flags.values.get('etcd-keyfile') } };
  const server = await startApiServer({ dataDir, port: intFlag(flags, 'port', 6443), bind: flags.values.get('bind') ?? (command === 'up' ? '0.0.0.0' : '127.0.0.1'), advertiseAddress: flags.values.get('advertise-address'), log, ...storage, tokenAuthFile: flags.values.get('token-auth-file'), auditLogPath: flags.values.get('audit-log-path'), requireServiceAccounts: true, serviceClusterIpRange: flags.values.get('service-cluster-ip-range') });
  // security (issue 4): each component gets its own identity (client certificate); only the admin is system:masters.
  const identities = command === 'up' ? await ensureComponentKubeconfigs(dataDir, server.url, [hostname()]) : undefined;
  // cluster DNS (issue 8): in-process as system:kube-dns; publishes kube-dns (10th service IP) → <node IP>:10053 (a free port if taken).
  const dns = command === 'up'
    ? await startDns({ kubeconfig: identities!.dns, log: log.child('dns'), portFallback: true }).catch((e: unknown) => {
      log.warn('cluster DNS not started', { error: e instanceof Error ? e.message : String(e) });
      return undefined;
    })
    : undefined;
  // kubelet (issue 7): one node named after the host, its runtime under <data-dir>/node.
  const kubelet = command === 'up' && !flags.booleans.has('no-kubelet')
    ? await startUpKubelet(dataDir, identities!.nodes[hostname()], log, { clusterDNS: dns?.serviceIP(), clusterDomain: 'cluster.local' })
    : undefined;
  // scheduler (issue 6): in-process, an API client like any other.
  const scheduler = command === 'up' ? await startScheduler({ kubeconfig: identities!.scheduler, log: log.child('scheduler') }) : undefined;
  // controller manager (issue 5): in-process, an API client like any other; publishes the cluster CA.
  const controllerManager = command === 'up'
    ? await startControllerManager({ kubeconfig: identities!.controllerManager, log: log.child('controller-manager'), caPem: server.access.pki.caCertPem, settings: nodeIpamSettings(flags, '10.244.0.0/16') })
    : undefined;
  // services (issue 8): kube-proxy in-process when root (it programs iptables), as system:kube-proxy.
  const proxy = command === 'up' && process.getuid?.() === 0
    ? await startProxy({ kubeconfig: await ensureProxyKubeconfig(dataDir, server.url), log: log.child('kube-proxy'), chainTag: proxyChainTag(dataDir) }).catch((e: unknown) => {
      log.warn('kube-proxy not started', { error: e instanceof Error ? e.message : String(e) });
      return undefined;
    })
    : undefined;
  process.stdout.write(`tskube is serving at ${server.url}; point kubectl at it with: export KUBECONFIG=${server.access.adminKubeconfigPath}\n`);
  // Clients first, the API server last, so that no component logs the server going away underneath it.
  runUntilSignal(log, [kubelet && (() => kubelet.stop()), proxy && (() => proxy.stop()), dns && (() => dns.stop()), controllerManager && (() => controllerManager.stop()), scheduler && (() => scheduler.stop()), () => server.close()]);
}

/**
 * `tskube down`: the node runtime (containerd, CNI bridge, iptables chains, mounts, cgroups) outlives `up` so that
 * pods survive a restart, as on a real node; this stops and removes it. `--purge` also deletes the data dir.
 */
async function runDownCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, ['purge']);
  assertKnown(flags, ['data-dir', 'purge']);
  const dataDir = resolve(flags.values.get('data-dir') ?? './.tskube');
  await teardownNode(resolve(dataDir, 'node'), { purge: flags.booleans.has('purge') });
  if (process.getuid?.() === 0) await removeRules(chainNames(proxyChainTag(dataDir))); // services (issue 8): kube-proxy chains a crashed `up` left
  if (flags.booleans.has('purge')) rmSync(dataDir, { recursive: true, force: true });
  process.stdout.write(`tskube node runtime under ${dataDir} stopped and removed${flags.booleans.has('purge') ? '; data dir deleted' : ''}\n`);
}
