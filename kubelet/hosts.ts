// The pod's kubelet-managed /etc/hosts, in upstream's format: localhost and ip6 lines, the pod's IPs with its hostname, hostAliases.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Mount } from './cri/types.ts';
import type { Container, Pod } from './types.ts';

export const ETC_HOSTS = '/etc/hosts';
const HEADER = '# Kubernetes-managed hosts file.\n';
const HEADER_HOST_NETWORK = '# Kubernetes-managed hosts file (host network).\n';

/**
 * The pod's hostname (spec.hostname, else its name, cut to 63 characters without a trailing '-' or '.')
 * and domain (`<subdomain>.<namespace>.svc.<clusterDomain>` when spec.subdomain is set, else "").
 */
export function podHostnameAndDomain(pod: Pod, clusterDomain: string): { hostname: string; domain: string } {
  let hostname = pod.spec.hostname || pod.metadata.name || '';
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const domain = pod.spec.subdomain ? `${pod.spec.subdomain}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

/** The "# Entries added by HostAliases." block: one line per alias IP, its hostnames tab-separated; "" without aliases. */
export function hostAliasesBlock(aliases: Pod['spec']['hostAliases']): string {
  if (!aliases?.length) return '';
  return `\n# Entries added by HostAliases.\n${aliases.map((a) => `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`).join('')}`;
}

/** The hosts file of a pod with its own network namespace. */
export function managedHostsFile(podIPs: readonly string[], hostname: string, domain: string, aliases?: Pod['spec']['hostAliases']): string {
  let out = HEADER
    + '127.0.0.1\tlocalhost\n'
    + '::1\tlocalhost ip6-localhost ip6-loopback\n'
    + 'fe00::0\tip6-localnet\n'
    + 'fe00::0\tip6-mcastprefix\n'
    + 'fe00::1\tip6-allnodes\n'
    + 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) out += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return out + hostAliasesBlock(aliases);
}

/** The hosts file of a hostNetwork pod: the node's own hosts file under its header, plus the aliases. */
export function hostNetworkHostsFile(nodeHosts: string, aliases?: Pod['spec']['hostAliases']): string {
  return HEADER_HOST_NETWORK + nodeHosts + hostAliasesBlock(aliases);
}

/** Whether the kubelet mounts its hosts file into `c`: the pod has an IP and the container does not mount /etc/hosts itself. */
export function wantsHostsMount(c: Container, podIPs: readonly string[]): boolean {
  return podIPs.length > 0 && !(c.volumeMounts ?? []).some((m) => m.mountPath === ETC_HOSTS);
}

/**
 * Writes `<podDir>/etc-hosts` (re-written before every container start, as upstream does) and returns the
 * CRI mount of it at /etc/hosts, or undefined when the container gets none (see {@link wantsHostsMount}).
 * @throws the file system's error when the pod directory cannot be written.
 */
export function hostsMountFor(podDir: string, pod: Pod, c: Container, podIPs: readonly string[], clusterDomain: string, nodeHostsPath = ETC_HOSTS): Mount | undefined {
  if (!wantsHostsMount(c, podIPs)) return undefined;
  let text: string;
  if (pod.spec.hostNetwork) {
    text = hostNetworkHostsFile(readFileSync(nodeHostsPath, 'utf8'), pod.spec.hostAliases);
  } else {
    const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
    text = managedHostsFile(podIPs, hostname, domain, pod.spec.hostAliases);
  }
  mkdirSync(podDir, { recursive: true });
  const path = join(podDir, 'etc-hosts');
  writeFileSync(path, text, { mode: 0o644 });
  return { containerPath: ETC_HOSTS, hostPath: path, readonly: false, propagation: 'PROPAGATION_PRIVATE' };
}
