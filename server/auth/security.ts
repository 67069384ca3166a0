// The API server's security layer in one place: authentication, impersonation, authorization, admission, audit.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { appendFileSync } from 'node:fs';
import * as errors from '../http/errors.ts';
import type { RequestInfo } from '../http/request-info.ts';
import type { GenericStore } from '../registry/store.ts';
import type { Catalogue } from '../registry/catalogue.ts';
import type { Logger } from '../log.ts';
import { loadTokenFile } from '../../kubeconfig/tokens.ts';
import { Authenticator } from './authenticate.ts';
import { attributesOf, forbiddenError, UnionAuthorizer } from './authorizer.ts';
import { impersonate } from './impersonation.ts';
import { RbacIndex } from './rbac/index.ts';
import { WatchCache } from '../registry/watch-cache.ts';
import { startAggregation } from './rbac/reconcile.ts';
import { NodeAuthorizer } from './node-authorizer.ts';
import { ensureServiceAccountKeys } from './serviceaccount/keys.ts';
import { ServiceAccountTokens, type ObjectLookup } from './serviceaccount/jwt.ts';
import { admissionChain } from './admission/chain.ts';
import { defaultTolerationSeconds, namespaceLifecycle, priorityAdmission, serviceAccountAdmission, storageObjectInUseProtection } from './admission/plugins.ts';
import { limitRanger } from './admission/limitranger.ts';
import { nodeRestriction } from './admission/noderestriction.ts';
import { resourceQuotaAdmission } from './admission/resourcequota.ts';
import { rbacEscalation } from './admission/rbac-escalation.ts';
import { outsideRequest, requestContext } from './context.ts';
import type { Attributes, UserInfo } from './types.ts';

export interface SecurityOptions {
  store: GenericStore;
  catalogue: Catalogue;
  dataDir: string;
  tokensPath: string;
  log: Logger;
  /** JSON lines per request (user, verb, resource, status code) when set. */
  auditLogPath?: string;
  /** Reject pods whose service account does not exist (upstream); false admits them without a token volume. */
  requireServiceAccounts?: boolean;
}

/** The user and what they asked, once a request passed authentication and authorization. */
export interface Admitted {
  user: UserInfo;
  attrs: Attributes;
}

/**
 * Owns every security component of one API server. `start` loads the service-account keys and the RBAC and
 * node indexes (resolving once they reflect the stored state) and installs the admission chain on the store.
 */
export class Security {
  readonly rbac = new RbacIndex();
  readonly nodes = new NodeAuthorizer();
  readonly authorizer = new UnionAuthorizer([this.nodes, this.rbac]);
  readonly #opts: SecurityOptions;
  #authenticator!: Authenticator;
  #tokens!: ServiceAccountTokens;
  #lookup!: ObjectLookup;
  #aggregation: { stop(): void; settled(): Promise<void> } | undefined;
  /** What admission reads on every write, kept current by watches instead of read from storage each time. */
  #caches: WatchCache[] = [];

  constructor(opts: SecurityOptions) {
    this.#opts = opts;
  }

  get authenticator(): Authenticator {
    return this.#authenticator;
  }

  get serviceAccountTokens(): ServiceAccountTokens {
    return this.#tokens;
  }

  get lookup(): ObjectLookup {
    return this.#lookup;
  }

  async start(): Promise<void> {
    const { store, catalogue, log } = this.#opts;
    const defs = {
      ServiceAccount: catalogue.find('', 'v1', 'serviceaccounts'),
      Pod: catalogue.find('', 'v1', 'pods'),
      Secret: catalogue.find('', 'v1', 'secrets'),
      Node: catalogue.find('', 'v1', 'nodes'),
    };
    this.#lookup = {
      uidOf: async (kind, namespace, name) => {
        const def = defs[kind];
        if (!def) return undefined;
        try {
          return (await store.get(def, def.namespaced ? namespace : '', name)).metadata.uid;
        } catch (e: unknown) {
          if (e instanceof errors.ApiError && e.code === 404) return undefined;
          throw e;
        }
      },
    };
    this.#tokens = new ServiceAccountTokens(ensureServiceAccountKeys(this.#opts.dataDir));
    this.#authenticator = new Authenticator({
      tokens: { path: this.#opts.tokensPath, load: loadTokenFile },
      serviceAccounts: { tokens: this.#tokens, lookup: this.#lookup },
      clientCerts: true,
    });
    await outsideRequest(async () => {
      await this.rbac.start(store, catalogue);
      await this.nodes.start(store, catalogue);
      this.#aggregation = startAggregation(this.rbac, store, catalogue, log.child('clusterrole-aggregation'));
    });
    const cacheOf = (plural: string): WatchCache => WatchCache.of(store, catalogue, '', 'v1', plural);
    const namespaces = cacheOf('namespaces');
    const limitRanges = cacheOf('limitranges');
    const quotas = cacheOf('resourcequotas');
    this.#caches = [namespaces, limitRanges, quotas];
    await outsideRequest(() => Promise.all(this.#caches.map((c) => c.start())));
    store.admission = admissionChain([
      limitRanger(limitRanges),
      serviceAccountAdmission(store, catalogue, { require: this.#opts.requireServiceAccounts ?? false }),
      defaultTolerationSeconds(),
      priorityAdmission(store, catalogue),
      namespaceLifecycle(store, namespaces),
      nodeRestriction((name) => this.#lookup.uidOf('Node', '', name)),
      rbacEscalation(this.rbac, this.authorizer),
      storageObjectInUseProtection(),
      resourceQuotaAdmission(store, quotas), // last, as upstream: it charges what the others admitted
    ]);
  }

  /** Resolves once the aggregation loop has nothing left to do (tests, start-up). */
  async settled(): Promise<void> {
    await this.#aggregation?.settled();
  }

  stop(): void {
    this.#aggregation?.stop();
    this.rbac.stop();
    this.nodes.stop();
    for (const c of this.#caches) c.stop();
  }

  /** Authenticates (401), applies impersonation (403) and authorizes (403) one request. */
  async admit(req: IncomingMessage, info: RequestInfo, query: URLSearchParams): Promise<Admitted> {
    const authenticated = await this.#authenticator.authenticate(req);
    const user = impersonate(req, authenticated, this.authorizer);
    const attrs = attributesOf(user, info, query);
    const decision = this.authorizer.authorize(attrs);
    if (decision.decision !== 'allow') throw forbiddenError(attrs, decision.reason);
    return { user, attrs };
  }

  /** Runs fn with the request's identity visible to admission. */
  run<T>(admitted: Admitted, fn: () => T): T {
    const a = admitted.attrs;
    return requestContext.run({ user: admitted.user, verb: a.verb, subresource: a.subresource }, fn);
  }

  /** Writes one audit line when the response is finished (no-op without --audit-log-path). */
  audit(req: IncomingMessage, res: ServerResponse, info: RequestInfo, user: () => UserInfo | undefined): void {
    const path = this.#opts.auditLogPath;
    if (!path) return;
    const started = new Date();
    res.once('close', () => {
      const u = user();
      const line: Record<string, unknown> = {
        kind: 'Event',
        apiVersion: 'audit.k8s.io/v1',
        level: 'Metadata',
        stage: 'ResponseComplete',
        requestReceivedTimestamp: started.toISOString(),
        stageTimestamp: new Date().toISOString(),
        verb: info.verb,
        requestURI: req.url,
        user: u ? { username: u.name, uid: u.uid || undefined, groups: u.groups } : undefined,
        sourceIPs: [req.socket.remoteAddress],
        userAgent: req.headers['user-agent'],
        responseStatus: { code: res.statusCode },
      };
      if (info.isResourceRequest) {
        line.objectRef = { resource: info.resource, namespace: info.namespace || undefined, name: info.name || undefined, apiGroup: info.group || undefined, apiVersion: info.version, subresource: info.subresource || undefined };
      }
      if (req.headers['impersonate-user'] && u) line.impersonatedUser = { username: u.name, groups: u.groups };
      try {
        appendFileSync(path, JSON.stringify(line) + '\n');
      } catch (e: unknown) {
        this.#opts.log.warn('audit log write failed', { err: String(e) });
      }
    });
  }
}
