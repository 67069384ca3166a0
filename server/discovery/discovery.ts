// One object answering every discovery/OpenAPI/version request as status + headers + body (the lead routes to it).
import type { ResourceDef } from '../registry/types.ts';
import { aggregatedDiscovery } from './aggregated.ts';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, type DiscoveryOptions } from './legacy.ts';
import { negotiateDiscovery, negotiateOpenAPI } from './negotiate.ts';
import { OpenAPIDocuments, openAPIHash, type ServedDocument } from './openapi.ts';
import { encodeOpenAPIV2 } from './openapi-v2-proto.ts';
import { versionInfo, type VersionOptions } from './version.ts';

/** A response to send as is. `undefined` from a method means "not served here": answer upstream's 404 Status. */
export interface DocResponse {
  status: 200 | 301 | 304 | 406;
  headers: Record<string, string>;
  /** Bytes only for protobuf OpenAPI; every other document is text. */
  body: string | Uint8Array;
}

/** A DocResponse known to carry text (everything but protobuf OpenAPI). */
export interface TextDocResponse extends DocResponse {
  body: string;
}

export interface DiscoveryServiceOptions extends DiscoveryOptions, VersionOptions {}

const JSON_TYPE = 'application/json';

function json(doc: unknown): TextDocResponse {
  return { status: 200, headers: { 'Content-Type': JSON_TYPE }, body: JSON.stringify(doc) };
}

/** 304 when the client already holds this hash (If-None-Match carries the quoted ETag). */
function withETag<B extends string | Uint8Array>(
  doc: { body: B; hash: string },
  contentType: string,
  ifNoneMatch: string | undefined,
  extra: Record<string, string> = {},
): DocResponse & { body: B | '' } {
  const etag = JSON.stringify(doc.hash);
  const headers = { ETag: etag, Vary: 'Accept', ...extra };
  if (ifNoneMatch === etag) return { status: 304, headers, body: '' };
  return { status: 200, headers: { 'Content-Type': contentType, ...headers }, body: doc.body };
}

const NOT_ACCEPTABLE: TextDocResponse = { status: 406, headers: { Vary: 'Accept' }, body: '' };

/**
 * Discovery and OpenAPI for one catalogue. Documents are built lazily and cached (the catalogue is immutable),
 * so repeated requests cost a map lookup and ETags stay stable.
 */
export class DiscoveryService {
  readonly #catalogue: readonly ResourceDef[];
  readonly #opts: DiscoveryServiceOptions;
  readonly #openapi: OpenAPIDocuments;
  readonly #aggregated = new Map<string, ServedDocument>();
  #v2Proto: { body: Uint8Array; hash: string } | undefined;

  constructor(catalogue: readonly ResourceDef[], opts: DiscoveryServiceOptions = {}) {
    this.#catalogue = catalogue;
    this.#opts = opts;
    this.#openapi = new OpenAPIDocuments(catalogue, opts);
  }

  /** GET /version. */
  version(): TextDocResponse {
    return json(versionInfo(this.#opts));
  }

  /**
   * GET /api or /apis. With an aggregated-discovery Accept (kubectl 1.27+ sends v2, v2beta1, then plain JSON)
   * the APIGroupDiscoveryList with its `application/json;g=…;v=…;as=APIGroupDiscoveryList` Content-Type, ETag,
   * `Vary: Accept` and `Cache-Control: public`; otherwise APIVersions / APIGroupList. `serverAddress` is the
   * host:port the client reached (for APIVersions). 406 when the Accept allows no JSON.
   */
  root(which: 'api' | 'apis', accept: string | undefined, serverAddress: string, ifNoneMatch?: string): TextDocResponse {
    const n = negotiateDiscovery(accept);
    if (!n) return NOT_ACCEPTABLE;
    if (n.format === 'legacy') return json(which === 'api' ? apiVersions(serverAddress) : apiGroupList(this.#catalogue));
    const key = `${which}/${n.format}`;
    let doc = this.#aggregated.get(key);
    if (!doc) {
      const body = JSON.stringify(aggregatedDiscovery(this.#catalogue, which, n.format, this.#opts));
      doc = { body, hash: openAPIHash(body) };
      this.#aggregated.set(key, doc);
    }
    return withETag(doc, n.contentType, ifNoneMatch, { 'Cache-Control': 'public' });
  }

  /** GET /apis/{group}: the APIGroup, or undefined for a group not served. */
  group(group: string): TextDocResponse | undefined {
    const doc = apiGroup(this.#catalogue, group);
    return doc && json(doc);
  }

  /** GET /api/{version} (group '') or /apis/{group}/{version}: the APIResourceList, or undefined. */
  resources(group: string, version: string): TextDocResponse | undefined {
    const doc = apiResourceList(this.#catalogue, group, version, this.#opts);
    return doc && json(doc);
  }

  /**
   * GET /openapi/v2 as kube-openapi serves it: JSON, or gnostic's `openapi.v2.Document` protobuf for the
   * `…proto-openapi.spec.v2…+protobuf` types (kubectl 1.27+ asks for nothing else). Both carry the ETag of the
   * JSON bytes, as upstream's; the protobuf is encoded once, on first request. 406 when neither is acceptable.
   */
  openAPIV2(accept: string | undefined, ifNoneMatch?: string): DocResponse {
    const n = negotiateOpenAPI(accept, 'v2');
    if (!n) return NOT_ACCEPTABLE;
    if (n.format === 'json') return withETag(this.#openapi.v2(), JSON_TYPE, ifNoneMatch);
    if (!this.#v2Proto) {
      const doc = this.#openapi.v2();
      this.#v2Proto = { body: encodeOpenAPIV2(doc.body), hash: doc.hash };
    }
    return withETag(this.#v2Proto, n.contentType, ifNoneMatch);
  }

  /** GET /openapi/v3: the index of group-version documents with their `?hash=` URLs. */
  openAPIV3Index(ifNoneMatch?: string): TextDocResponse {
    const r = withETag(this.#openapi.v3Index(), JSON_TYPE, ifNoneMatch);
    delete r.headers.Vary;
    return r;
  }

  /**
   * GET /openapi/v3/{key}?hash=… as kube-openapi answers it: undefined for an unknown key (404); 406 for an
   * Accept without JSON; 301 to the current URL when `hash` is stale; with a matching hash the response is
   * marked `Cache-Control: public, immutable` and expires in a year; 304 when If-None-Match matches.
   */
  openAPIV3(key: string, hash: string | undefined, accept: string | undefined, ifNoneMatch?: string, now: Date = new Date()): TextDocResponse | undefined {
    const doc = this.#openapi.v3(key);
    if (!doc) return undefined;
    if (negotiateOpenAPI(accept, 'v3')?.format !== 'json') return NOT_ACCEPTABLE;
    if (hash !== undefined && hash !== '' && hash !== doc.hash) {
      return { status: 301, headers: { Location: `/openapi/v3/${key}?hash=${doc.hash}`, Vary: 'Accept' }, body: '' };
    }
    const cache: Record<string, string> = {};
    if (hash) {
      const expires = new Date(now.getTime());
      expires.setUTCFullYear(expires.getUTCFullYear() + 1);
      cache['Cache-Control'] = 'public, immutable';
      cache.Expires = expires.toUTCString();
    }
    return withETag(doc, JSON_TYPE, ifNoneMatch, cache);
  }

  /** The built OpenAPI documents (for tests). */
  get documents(): OpenAPIDocuments {
    return this.#openapi;
  }
}
