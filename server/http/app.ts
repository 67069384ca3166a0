// The request pipeline: authenticate → resolve → authorize → handler. Resource paths take a lean path of their own;
// everything else (discovery, OpenAPI, health, version) is an express app.
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import * as errors from './errors.ts';
import { parseRequestInfo } from './request-info.ts';
import { handleResource } from './resources.ts';
import { writeError, writeJson } from './respond.ts';
import type { UserInfo } from '../auth/authenticate.ts';
import type { Security } from '../auth/security.ts';
import { virtualHandler } from './reviews.ts';
import type { GenericStore } from '../registry/store.ts';
import type { ResourceDef } from '../registry/types.ts';
import type { Logger } from '../log.ts';
import { mountDiscovery } from './discovery-routes.ts';
import type { Catalogue } from '../registry/catalogue.ts';
import { handleMetrics } from '../metrics/handler.ts';
import { METRICS_GROUP } from '../metrics/resources.ts';

export interface ApiServerDeps {
  store: GenericStore;
  catalogue: Catalogue;
  /** Authentication, authorization, admission and audit (server/auth/security.ts). */
  security: Security;
  log: Logger;
  /** Answers /readyz: false until bootstrap is done. */
  ready: () => boolean;
  externalAddress: string;
}

declare module 'node:http' {
  interface IncomingMessage {
    user?: UserInfo;
  }
}

/** Builds the node request listener; one per server. */
export function createRequestListener(deps: ApiServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { catalogue, store, security, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.get(['/healthz', '/livez', '/readyz', '/healthz/*', '/livez/*', '/readyz/*'], (req, res) => {
    const ok = !req.path.startsWith('/readyz') || deps.ready();
    res.status(ok ? 200 : 500).type('text/plain').send(ok ? 'ok' : '[-]bootstrap not finished\nreadyz check failed');
  });
  mountDiscovery(app, catalogue, deps.externalAddress);
  app.use((_req, res) => writeError(res, errors.pathNotFound()));

  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const query = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
    const info = parseRequestInfo(req.method ?? 'GET', decodePath(path), query);
    // authenticate → impersonate → authorize, then serve with the identity visible to admission
    let user: UserInfo | undefined;
    security.audit(req, res, info, () => user);
    security.admit(req, info, query).then(
      (admitted) => {
        user = admitted.user;
        req.user = user;
        security.run(admitted, () => serve(req, res, path, query, info));
      },
      (e: unknown) => fail(res, path, e),
    );
  };

  /** Every failure below the listener becomes a Status; unexpected ones are logged with their stack. */
  function fail(res: ServerResponse, path: string, e: unknown): void {
    writeError(res, e, (m, err) => log.error(m, { path, err: String((err as Error)?.stack ?? err) }));
  }

  function serve(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, info: ReturnType<typeof parseRequestInfo>): void {
    if (!info.isResourceRequest) {
      app(req, res);
      return;
    }
    const def = catalogue.find(info.group, info.version, info.resource);
    if (!def) {
      writeError(res, errors.pathNotFound());
      return;
    }
    if (def.namespaced && !info.namespace && info.verb !== 'list' && info.verb !== 'watch') {
      writeError(res, errors.pathNotFound());
      return;
    }
    if (!def.namespaced && info.namespace && info.resource !== 'namespaces') {
      writeError(res, errors.pathNotFound());
      return;
    }
    // Create-only virtual resources (reviews, serviceaccounts/token) are answered per request, never stored.
    const virtual = virtualHandler(info, def);
    if (virtual) {
      virtual({ req, res, info, def, user: req.user!, security, store, catalogue }).catch((e: unknown) => fail(res, path, e));
      return;
    }
    // metrics.k8s.io is computed per request from the kubelets (server/metrics/), never stored.
    const handler = def.group === METRICS_GROUP ? handleMetrics : handleResource;
    handler({ req, res, info, def, query, store }).catch((e: unknown) => fail(res, path, e));
  }
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export { writeJson };
export type { ResourceDef };
