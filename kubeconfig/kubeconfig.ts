// Writing kubeconfig files (clientcmd v1 Config) that kubectl and @kubernetes/client-node read.
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { dump } from 'js-yaml';
import { SECRET_MODE, writeFileAtomic } from './files.ts';

/** The credential a kubeconfig user presents: a bearer token or a client certificate pair. */
export type KubeconfigCredential = { token: string } | { certPem: string; keyPem: string };

export interface KubeconfigSpec {
  clusterName: string;
  /** The apiserver URL, e.g. `https://127.0.0.1:6443`. */
  server: string;
  /** The CA that signed the serving certificate, PEM. */
  caPem: string;
  user: KubeconfigCredential;
  /** Name of the user entry; `admin` when omitted. */
  userName?: string;
  /** Name of the context (made current); the cluster name when omitted. */
  contextName?: string;
  /** Default namespace of the context; omitted from the file when not given. */
  namespace?: string;
}

const b64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64');

/**
 * The kubeconfig YAML for `spec`: one cluster (certificate-authority-data inline), one user, one
 * context, current-context set to it. Deterministic: the same spec always renders the same text.
 */
export function renderKubeconfig(spec: KubeconfigSpec): string {
  if (!/^https?:\/\//.test(spec.server)) throw new Error(`kubeconfig server must be an http(s) URL, got ${JSON.stringify(spec.server)}`);
  const userName = spec.userName ?? 'admin';
  const contextName = spec.contextName ?? spec.clusterName;
  const user =
    'token' in spec.user
      ? { token: spec.user.token }
      : { 'client-certificate-data': b64(spec.user.certPem), 'client-key-data': b64(spec.user.keyPem) };
  const context: Record<string, string> = { cluster: spec.clusterName, user: userName };
  if (spec.namespace !== undefined) context['namespace'] = spec.namespace;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: spec.clusterName, cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) } }],
    users: [{ name: userName, user }],
    contexts: [{ name: contextName, context }],
    'current-context': contextName,
    preferences: {},
  };
  // lineWidth -1: base64 data stays on one line, as kubectl writes it.
  return dump(config, { lineWidth: -1, noRefs: true });
}

/**
 * Writes the kubeconfig for `spec` to `path` atomically with mode 0600 (it holds credentials).
 * Leaves the content untouched (only the mode is enforced) when the file already has exactly this
 * content, so restarts do not churn it.
 */
export function writeKubeconfig(path: string, spec: KubeconfigSpec): void {
  const text = renderKubeconfig(spec);
  if (existsSync(path) && readFileSync(path, 'utf8') === text) {
    chmodSync(path, SECRET_MODE);
    return;
  }
  writeFileAtomic(path, text, SECRET_MODE);
}
