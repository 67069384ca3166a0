// Discovery, OpenAPI and version endpoints on the express app; the documents come from DiscoveryService.
import type { Express, Response } from 'express';
import * as errors from './errors.ts';
import { writeError } from './respond.ts';
import type { Catalogue } from '../registry/catalogue.ts';
import { DiscoveryService, type DocResponse } from '../discovery/discovery.ts';

function send(res: Response, doc: DocResponse | undefined): void {
  if (!doc) return writeError(res, errors.pathNotFound());
  if (doc.status === 406) return writeError(res, errors.notAcceptable(['application/json', 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf']));
  res.writeHead(doc.status, { ...doc.headers, 'Content-Length': Buffer.byteLength(doc.body) });
  res.end(doc.body);
}

export function mountDiscovery(app: Express, catalogue: Catalogue, serverAddress: string): DiscoveryService {
  // pods/eviction is served by server/http/eviction.ts (kubectl drain looks for it in /api/v1).
  const discovery = new DiscoveryService(catalogue.resources, { extraSubresources: ['pods/eviction'] });
  app.get('/version', (_req, res) => send(res, discovery.version()));
  app.get(['/api', '/api/'], (req, res) => send(res, discovery.root('api', req.headers.accept, serverAddress, req.headers['if-none-match'])));
  app.get(['/apis', '/apis/'], (req, res) => send(res, discovery.root('apis', req.headers.accept, serverAddress, req.headers['if-none-match'])));
  app.get('/api/:version', (req, res) => send(res, discovery.resources('', req.params.version)));
  app.get('/apis/:group', (req, res) => send(res, discovery.group(req.params.group)));
  app.get('/apis/:group/:version', (req, res) => send(res, discovery.resources(req.params.group, req.params.version)));
  app.get('/openapi/v2', (req, res) => send(res, discovery.openAPIV2(req.headers.accept, req.headers['if-none-match'])));
  app.get('/openapi/v3', (req, res) => send(res, discovery.openAPIV3Index(req.headers['if-none-match'])));
  app.get(/^\/openapi\/v3\/(.+)$/, (req, res) => {
    const key = (req.params as unknown as string[])[0];
    const hash = typeof req.query.hash === 'string' ? req.query.hash : undefined;
    send(res, discovery.openAPIV3(key, hash, req.headers.accept, req.headers['if-none-match']));
  });
  return discovery;
}
