// Component identities: client certificates and kubeconfigs for the controller manager, scheduler and kubelets.
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { loadClusterPki, issueClientCert } from './pki.ts';
import { writeKubeconfig } from './kubeconfig.ts';
import { CLUSTER_NAME } from './index.ts';

export interface ComponentKubeconfigs {
  controllerManager: string;
  scheduler: string;
  /** Cluster DNS (issue 8): user system:kube-dns, bound to ClusterRole system:coredns by the bootstrap policy. */
  dns: string;
  /** Node name → kubeconfig path (user system:node:<name>, group system:nodes). */
  nodes: Record<string, string>;
}

interface Identity {
  file: string;
  user: string;
  groups: string[];
}

/** A certificate is reused while it names the same subject, was issued by this CA and has 30+ days left. */
function reusable(path: string, caPem: string, user: string, groups: readonly string[]): { certPem: string; keyPem: string } | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const doc = load(readFileSync(path, 'utf8')) as { users?: { user?: Record<string, string> }[] };
    const u = doc.users?.[0]?.user ?? {};
    const certPem = Buffer.from(u['client-certificate-data'] ?? '', 'base64').toString('utf8');
    const keyPem = Buffer.from(u['client-key-data'] ?? '', 'base64').toString('utf8');
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return undefined;
    if (Date.parse(cert.validTo) - Date.now() < 30 * 24 * 3600 * 1000) return undefined;
    const want = [...groups.map((g) => `O=${g}`), `CN=${user}`].sort().join('\n');
    const have = cert.subject.split('\n').sort().join('\n');
    return want === have ? { certPem, keyPem } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure `<dataDir>` holds a kubeconfig with its own client certificate (signed by the cluster CA) for each
 * component: `controller-manager.kubeconfig` (system:kube-controller-manager), `scheduler.kubeconfig`
 * (system:kube-scheduler), `kube-dns.kubeconfig` (system:kube-dns) and `kubelet-<node>.kubeconfig` (system:node:<node>, group system:nodes), all pointing
 * at `serverUrl`. Certificates are reused across restarts while valid; files are written 0600 and only when
 * their content changes. Requires the cluster PKI (ensureAdminAccess) to exist.
 */
export async function ensureComponentKubeconfigs(dataDir: string, serverUrl: string, nodeNames: readonly string[] = []): Promise<ComponentKubeconfigs> {
  const pki = loadClusterPki(dataDir);
  const ids: Identity[] = [
    { file: 'controller-manager.kubeconfig', user: 'system:kube-controller-manager', groups: [] },
    { file: 'scheduler.kubeconfig', user: 'system:kube-scheduler', groups: [] },
    { file: 'kube-dns.kubeconfig', user: 'system:kube-dns', groups: [] },
    ...nodeNames.map((n) => ({ file: `kubelet-${n}.kubeconfig`, user: `system:node:${n}`, groups: ['system:nodes'] })),
  ];
  const paths: string[] = [];
  for (const id of ids) {
    const path = join(dataDir, id.file);
    const pair = reusable(path, pki.caCertPem, id.user, id.groups) ?? (await issueClientCert(pki, { commonName: id.user, organizations: id.groups }));
    writeKubeconfig(path, { clusterName: CLUSTER_NAME, contextName: CLUSTER_NAME, userName: id.user, server: serverUrl, caPem: pki.caCertPem, user: pair });
    paths.push(path);
  }
  return {
    controllerManager: paths[0],
    scheduler: paths[1],
    dns: paths[2],
    nodes: Object.fromEntries(nodeNames.map((n, i) => [n, paths[3 + i]])),
  };
}
