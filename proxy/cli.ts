// `tskube proxy`: flags → startProxy, until SIGINT/SIGTERM; plus the kube-proxy identity `tskube up` hands it.
import { join, resolve } from 'node:path';
import { assertKnown, parseFlags } from '../cli/flags.ts';
import { createLogger, setVerbosity } from '../server/log.ts';
import { CLUSTER_NAME, issueClientCert, loadClusterPki, writeKubeconfig } from '../kubeconfig/index.ts';
import { startProxy } from './index.ts';

export const PROXY_USAGE = `Usage: tskube proxy --kubeconfig FILE [flags]

  --kubeconfig FILE   how to reach the API server (required; RBAC: system:node-proxier, e.g. user system:kube-proxy)
  --chain-tag TAG     private chain names TSK<TAG>-* instead of KUBE-* (several proxies on one host)
Needs root: programs the nat table with iptables-restore; its rules are removed when it stops.
`;

/** Runs `tskube proxy …` until SIGINT/SIGTERM. */
export async function runProxyCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, []);
  assertKnown(flags, ['kubeconfig', 'chain-tag']);
  setVerbosity(flags.verbosity);
  const kubeconfig = flags.values.get('kubeconfig');
  if (!kubeconfig) throw new Error(`--kubeconfig is required\n${PROXY_USAGE}`);
  const log = createLogger('kube-proxy');
  const proxy = await startProxy({ kubeconfig: resolve(kubeconfig), log, chainTag: flags.values.get('chain-tag') });
  process.stdout.write('tskube proxy is running\n');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    proxy.stop().then(() => process.exit(0), () => process.exit(1));
    setTimeout(() => process.exit(1), 5000).unref();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * `<dataDir>/kube-proxy.kubeconfig` for user system:kube-proxy (bound to system:node-proxier by the bootstrap
 * policy), signed by the cluster CA and pointing at `serverUrl`; rewritten on each call (the URL may change).
 */
export async function ensureProxyKubeconfig(dataDir: string, serverUrl: string): Promise<string> {
  const pki = loadClusterPki(dataDir);
  const path = join(dataDir, 'kube-proxy.kubeconfig');
  const pair = await issueClientCert(pki, { commonName: 'system:kube-proxy', organizations: [] });
  writeKubeconfig(path, { clusterName: CLUSTER_NAME, contextName: CLUSTER_NAME, userName: 'system:kube-proxy', server: serverUrl, caPem: pki.caCertPem, user: pair });
  return path;
}
