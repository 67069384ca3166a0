// First-start bootstrap of cluster access: PKI, static token file and the admin kubeconfig.
import { join } from 'node:path';
import { ensureClusterPki, type ClusterPki, type PkiOptions } from './pki.ts';
import { ensureTokenFile } from './tokens.ts';
import { writeKubeconfig } from './kubeconfig.ts';

export * from './pki.ts';
export * from './tokens.ts';
export * from './kubeconfig.ts';

export const CLUSTER_NAME = 'tskube';

export interface AdminAccess {
  pki: ClusterPki;
  adminToken: string;
  adminKubeconfigPath: string;
  tokensPath: string;
}

/**
 * Makes sure `dataDir` holds everything needed to serve and to administer the cluster:
 * `pki/{ca,apiserver}.{crt,key}`, `tokens.csv` with an admin token (system:masters), and
 * `admin.kubeconfig` (cluster and context `tskube`, user `admin`, bearer token) pointing at
 * `serverUrl`. Safe to call on every start: the CA and the token are created once and reused; the
 * serving certificate is renewed only as {@link ensureClusterPki} describes; the kubeconfig is
 * rewritten only when its content would change (e.g. a new `serverUrl`).
 */
export async function ensureAdminAccess(dataDir: string, serverUrl: string, pkiOptions: PkiOptions = {}): Promise<AdminAccess> {
  const pki = await ensureClusterPki(dataDir, pkiOptions);
  const { path: tokensPath, adminToken } = ensureTokenFile(dataDir);
  const adminKubeconfigPath = join(dataDir, 'admin.kubeconfig');
  writeKubeconfig(adminKubeconfigPath, {
    clusterName: CLUSTER_NAME,
    contextName: CLUSTER_NAME,
    userName: 'admin',
    server: serverUrl,
    caPem: pki.caCertPem,
    user: { token: adminToken },
  });
  return { pki, adminToken, adminKubeconfigPath, tokensPath };
}
