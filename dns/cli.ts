// `tskube dns`: flags → startDns, until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { isIP } from 'node:net';
import { assertKnown, parseFlags } from '../cli/flags.ts';
import { runUntilSignal } from '../cli/lifecycle.ts';
import { createLogger, setVerbosity } from '../server/log.ts';
import { DEFAULT_DNS_PORT, startDns } from './index.ts';

export const DNS_USAGE = `Usage: tskube dns --kubeconfig FILE [flags]

  --kubeconfig FILE        how to reach the API server (required; RBAC: ClusterRole system:coredns, and to publish
                           kube-dns the Role system:tskube:kube-dns-publisher in kube-system, e.g. user system:kube-dns)
  --listen ADDR:PORT       where to serve UDP and TCP (default <node IP from the default route>:${DEFAULT_DNS_PORT})
  --cluster-domain DOMAIN  the zone answered from the cluster (default cluster.local); other names are forwarded
                           to the nameservers of /etc/resolv.conf
  --no-publish             do not create/update the kube-dns Service and its endpoints
`;

/** `ADDR:PORT`, `[v6]:PORT`, `:PORT` or `ADDR` → host (undefined: default) and port. */
export function parseListen(text: string): { host?: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(text.trim());
  const host = m?.[1] ?? m?.[2];
  const port = m?.[3] === undefined ? DEFAULT_DNS_PORT : Number(m[3]);
  if (!m || (host && isIP(host) === 0) || port > 65535) throw new Error(`invalid --listen ${JSON.stringify(text)}: want ADDR:PORT`);
  return { host: host || undefined, port };
}

/** Runs `tskube dns …` until SIGINT/SIGTERM. */
export async function runDnsCommand(args: string[]): Promise<void> {
  const flags = parseFlags(args, ['no-publish']);
  assertKnown(flags, ['kubeconfig', 'listen', 'cluster-domain', 'no-publish']);
  setVerbosity(flags.verbosity);
  const kubeconfig = flags.values.get('kubeconfig');
  if (!kubeconfig) throw new Error(`--kubeconfig is required\n${DNS_USAGE}`);
  const listen = parseListen(flags.values.get('listen') ?? '');
  const log = createLogger('dns');
  const dns = await startDns({
    kubeconfig: resolve(kubeconfig), log, host: listen.host, port: listen.port,
    clusterDomain: flags.values.get('cluster-domain'), publishService: !flags.booleans.has('no-publish'),
  });
  process.stdout.write(`tskube dns is serving on ${dns.host}:${dns.port} (udp, tcp)\n`);
  runUntilSignal(log, [() => dns.stop()]);
}
