// The "serviceaccount" controller (a `default` ServiceAccount per namespace) and the root CA publisher (kube-root-ca.crt per namespace).
import { controller, isAlreadyExists, isNotFound, collectionPath, objectPath, Resources, type KubeObject, type ResourceType } from '../runtime/index.ts';
import type { ControllerContext } from '../manager.ts';

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

interface Namespace extends KubeObject {
  status?: { phase?: string };
}

const isActive = (ns: Namespace | undefined): ns is Namespace => !!ns && !ns.metadata.deletionTimestamp && ns.status?.phase !== 'Terminating';

/** Ensures ServiceAccount `default` exists in every active namespace (re-created when deleted). */
export function registerServiceAccount(ctx: ControllerContext): void {
  const nsInf = ctx.informers.informerOf(Resources.Namespace as ResourceType<Namespace>);
  const saInf = ctx.informers.informerOf(Resources.ServiceAccount);
  const c = controller('serviceaccount', nsInf).watches(saInf, (sa) => (sa.metadata.name === 'default' ? sa.metadata.namespace : undefined));
  const reconcile = async (key: string): Promise<'done'> => {
    const ns = nsInf.lister.get(key);
    if (!isActive(ns) || saInf.lister.get(`${key}/default`)) return 'done';
    try {
      await ctx.client.request('POST', collectionPath(Resources.ServiceAccount, key), { body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } } });
    } catch (e: unknown) {
      // Exists already (cache behind) or the namespace is going away: nothing to do.
      if (!isAlreadyExists(e) && !isNotFound(e) && !isForbiddenTerminating(e)) throw e;
    }
    return 'done';
  };
  ctx.run('serviceaccount', c.run(reconcile, { workers: 1, signal: ctx.signal, log: ctx.log }));
}

/**
 * Publishes the cluster CA (settings.caPem) as ConfigMap kube-root-ca.crt (data `ca.crt`) in every
 * active namespace, restoring it when deleted or edited. Does nothing without a CA.
 */
export function registerRootCACertPublisher(ctx: ControllerContext): void {
  const caPem = ctx.settings.caPem;
  if (!caPem) {
    ctx.log.warn('no cluster CA given: not publishing kube-root-ca.crt');
    return;
  }
  const nsInf = ctx.informers.informerOf(Resources.Namespace as ResourceType<Namespace>);
  const cmInf = ctx.informers.informerOf(Resources.ConfigMap, { fieldSelector: `metadata.name=${ROOT_CA_CONFIGMAP}` });
  const c = controller('root-ca-cert-publisher', nsInf).watches(cmInf, (cm) => cm.metadata.namespace);
  const reconcile = async (key: string): Promise<'done'> => {
    const ns = nsInf.lister.get(key);
    if (!isActive(ns)) return 'done';
    const cm = cmInf.lister.get(`${key}/${ROOT_CA_CONFIGMAP}`);
    const data = { 'ca.crt': caPem };
    try {
      if (!cm) {
        await ctx.client.request('POST', collectionPath(Resources.ConfigMap, key), {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, annotations: { 'kubernetes.io/description': DESCRIPTION } }, data },
        });
      } else if (JSON.stringify(cm.data) !== JSON.stringify(data) || cm.metadata.annotations?.['kubernetes.io/description'] !== DESCRIPTION) {
        const fixed = structuredClone(cm);
        fixed.data = data;
        fixed.metadata.annotations = { ...fixed.metadata.annotations, 'kubernetes.io/description': DESCRIPTION };
        await ctx.client.request('PUT', objectPath(Resources.ConfigMap, key, ROOT_CA_CONFIGMAP), { body: fixed });
      }
    } catch (e: unknown) {
      if (!isAlreadyExists(e) && !isNotFound(e) && !isForbiddenTerminating(e)) throw e;
    }
    return 'done';
  };
  ctx.run('root-ca-cert-publisher', c.run(reconcile, { workers: 1, signal: ctx.signal, log: ctx.log }));
}

function isForbiddenTerminating(e: unknown): boolean {
  const status = (e as { status?: { code?: number; details?: { causes?: Array<{ reason?: string }> } } }).status;
  return status?.code === 403 && (!!status.details?.causes?.some((c) => c.reason === 'NamespaceTerminating') || /because it is being terminated$/.test((status as { message?: string }).message ?? ''));
}
