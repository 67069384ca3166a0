// Upstream's Node authorizer: a kubelet (system:node:<name>) gets NodeRules, narrowed to its own node's objects.
import type { GenericStore } from '../registry/store.ts';
import { WatchCache } from '../registry/watch-cache.ts';
import type { Catalogue } from '../registry/catalogue.ts';
import type { KubeObject } from '../registry/types.ts';
import type { Attributes, Authorizer, AuthorizerResult } from './types.ts';
import { NODES_GROUP } from './types.ts';
import { rulesAllow } from './rbac/rules.ts';
import { NODE_RULES } from './rbac/policy.ts';

const NODE_PREFIX = 'system:node:';

interface PodRefs {
  node: string;
  secrets: string[];
  configmaps: string[];
  pvcs: string[];
  serviceAccount: string;
}

/** Names of the secrets, config maps and claims a pod uses (volumes, env, envFrom, image pull secrets). */
export function refsOf(pod: KubeObject): PodRefs {
  const spec = (pod.spec ?? {}) as Record<string, unknown>;
  const secrets = new Set<string>();
  const configmaps = new Set<string>();
  const pvcs = new Set<string>();
  const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x) => x && typeof x === 'object') : []);
  const rec = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' ? (v as Record<string, unknown>) : undefined);
  for (const s of list(spec.imagePullSecrets)) if (typeof s.name === 'string') secrets.add(s.name);
  for (const v of list(spec.volumes)) {
    const secret = rec(v.secret);
    if (typeof secret?.secretName === 'string') secrets.add(secret.secretName);
    const cm = rec(v.configMap);
    if (typeof cm?.name === 'string') configmaps.add(cm.name);
    const claim = rec(v.persistentVolumeClaim);
    if (typeof claim?.claimName === 'string') pvcs.add(claim.claimName);
    for (const src of list(rec(v.projected)?.sources)) {
      const s = rec(src.secret);
      if (typeof s?.name === 'string') secrets.add(s.name);
      const c = rec(src.configMap);
      if (typeof c?.name === 'string') configmaps.add(c.name);
    }
  }
  for (const c of [...list(spec.containers), ...list(spec.initContainers), ...list(spec.ephemeralContainers)]) {
    for (const e of list(c.envFrom)) {
      const s = rec(e.secretRef);
      if (typeof s?.name === 'string') secrets.add(s.name);
      const m = rec(e.configMapRef);
      if (typeof m?.name === 'string') configmaps.add(m.name);
    }
    for (const e of list(c.env)) {
      const from = rec(e.valueFrom);
      const s = rec(from?.secretKeyRef);
      if (typeof s?.name === 'string') secrets.add(s.name);
      const m = rec(from?.configMapKeyRef);
      if (typeof m?.name === 'string') configmaps.add(m.name);
    }
  }
  return {
    node: typeof spec.nodeName === 'string' ? spec.nodeName : '',
    secrets: [...secrets],
    configmaps: [...configmaps],
    pvcs: [...pvcs],
    serviceAccount: typeof spec.serviceAccountName === 'string' && spec.serviceAccountName ? spec.serviceAccountName : 'default',
  };
}

const NO = (reason = ''): AuthorizerResult => ({ decision: 'noOpinion', reason });
const YES: AuthorizerResult = { decision: 'allow', reason: '' };

/**
 * Authorizes requests from kubelets: NodeRules (upstream's system:node role) plus the graph check that a node
 * reads only the secrets, config maps and claims of pods bound to it, writes status only of those pods, and
 * touches only its own Node and Lease. Requests from anyone else get no opinion.
 */
export class NodeAuthorizer implements Authorizer {
  /** `ns/name` → what the pod (bound to a node) references. */
  readonly #refs = new Map<string, PodRefs>();
  #pods: WatchCache | undefined;

  async start(store: GenericStore, catalogue: Catalogue): Promise<void> {
    const pods = WatchCache.of(store, catalogue, '', 'v1', 'pods');
    pods.onChange((type, pod) => {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const refs = type === 'set' ? refsOf(pod) : undefined;
      if (refs?.node) this.#refs.set(key, refs);
      else this.#refs.delete(key);
    });
    this.#pods = pods;
    await pods.start();
  }

  stop(): void {
    this.#pods?.stop();
  }

  #related(node: string, namespace: string, pick: (r: PodRefs) => readonly string[], name: string): boolean {
    for (const [key, refs] of this.#refs) {
      if (refs.node !== node || !key.startsWith(`${namespace}/`)) continue;
      if (pick(refs).includes(name)) return true;
    }
    return false;
  }

  authorize(a: Attributes): AuthorizerResult {
    if (!a.user.groups.includes(NODES_GROUP) || !a.user.name.startsWith(NODE_PREFIX)) return NO();
    const node = a.user.name.slice(NODE_PREFIX.length);
    if (!node) return NO(`unknown node for user ${JSON.stringify(a.user.name)}`);
    if (!a.isResourceRequest) return rulesAllow(a, NODE_RULES) ? YES : NO();
    const noRelation = NO(`no relationship found between node '${node}' and this object`);
    if (a.apiGroup === '') {
      switch (a.resource) {
        case 'secrets':
        case 'configmaps':
        case 'persistentvolumeclaims': {
          if (!['get', 'list', 'watch'].includes(a.verb) || a.subresource) {
            if (a.resource === 'persistentvolumeclaims' && a.subresource === 'status') break;
            return NO(`can only read individual ${a.resource}`);
          }
          if (!a.name) return NO(`can only read individual ${a.resource}`);
          const pick = a.resource === 'secrets' ? (r: PodRefs) => r.secrets : a.resource === 'configmaps' ? (r: PodRefs) => r.configmaps : (r: PodRefs) => r.pvcs;
          return this.#related(node, a.namespace, pick, a.name) ? YES : noRelation;
        }
        case 'serviceaccounts':
          if (a.subresource !== 'token' || a.verb !== 'create') return NO();
          return this.#related(node, a.namespace, (r) => [r.serviceAccount], a.name) ? YES : noRelation;
        // Nodes: NodeRules decide; which Node a kubelet may write is NodeRestriction admission's call, as upstream.
        case 'pods':
          if ((a.subresource === 'status' || (a.verb === 'delete' && !a.subresource)) && a.name) {
            const p = this.#refs.get(`${a.namespace}/${a.name}`);
            if (!p || p.node !== node) return NO(`node '${node}' can only modify pods bound to it`);
          }
          break;
      }
    }
    if (a.apiGroup === 'coordination.k8s.io' && a.resource === 'leases') {
      if (a.namespace !== 'kube-node-lease') return NO();
      if (a.verb !== 'create' && a.name !== node) return NO(`node '${node}' can only access its own lease`);
    }
    return rulesAllow(a, NODE_RULES) ? YES : NO();
  }
}
