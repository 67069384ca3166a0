// The /openapi/v2 document, the /openapi/v3 index and per-group-version OpenAPI 3.0 documents, with their hashes.
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../registry/types.ts';
import { groupCatalogue } from './groups.ts';
import type { DiscoveryOptions } from './legacy.ts';
import { definitionName, META } from './openapi-models.ts';
import { groupVersionRootPath, referencedDefinitions, renderPaths, resourcePaths, type PathSpec } from './openapi-paths.ts';
import { buildDefinitions, type GVK } from './openapi-schemas.ts';
import { subresourcesOf } from './subresources.ts';
import { GIT_VERSION } from './version.ts';

/** A built document: the exact bytes to send and upstream's hash of them (sha512, upper-case hex). */
export interface ServedDocument {
  body: string;
  /** Unquoted; the ETag header is this in double quotes; the v3 index puts it in `?hash=`. */
  hash: string;
}

/** kube-openapi's computeETag: `%X` of sha512 over the served JSON bytes. */
export function openAPIHash(body: string): string {
  return createHash('sha512').update(body).digest('hex').toUpperCase();
}

function served(doc: unknown): ServedDocument {
  const body = JSON.stringify(doc);
  return { body, hash: openAPIHash(body) };
}

/** `api/v1` or `apis/apps/v1`: a group-version's key in the /openapi/v3 index. */
export function v3PathKey(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/**
 * Which GVKs each definition describes, over the whole catalogue: every served kind and its List, the kinds its
 * subresources read and write (Scale, Eviction, …), Status, and DeleteOptions for every group-version (as
 * upstream lists it). kubectl finds a resource's schema by this extension.
 */
function gvkIndex(catalogue: readonly ResourceDef[], opts: DiscoveryOptions): Map<string, GVK[]> {
  const index = new Map<string, GVK[]>();
  const add = (group: string, version: string, kind: string, def = definitionName(group, version, kind)): void => {
    const list = index.get(def) ?? [];
    if (!list.some((g) => g.group === group && g.version === version && g.kind === kind)) list.push({ group, version, kind });
    index.set(def, list);
  };
  for (const def of catalogue) {
    add(def.group, def.version, def.kind);
    add(def.group, def.version, `${def.kind}List`);
    for (const s of subresourcesOf(def, opts.extraSubresources)) if (s.kind !== def.kind) add(s.group, s.version, s.kind);
  }
  add('', 'v1', 'Status', `${META}.Status`);
  for (const g of groupCatalogue(catalogue)) {
    for (const v of g.versions) add(g.name, v.version, 'DeleteOptions', `${META}.DeleteOptions`);
  }
  for (const list of index.values()) {
    list.sort((a, b) => (a.group < b.group ? -1 : a.group > b.group ? 1 : a.version < b.version ? -1 : a.version > b.version ? 1 : 0));
  }
  return index;
}

function groupVersionPaths(group: string, version: string, defs: readonly ResourceDef[], opts: DiscoveryOptions): PathSpec[] {
  return [groupVersionRootPath(group, version), ...defs.flatMap((d) => resourcePaths(d, opts.extraSubresources))];
}

const SECURITY_SCHEME = { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' };

/** The OpenAPI 3.0 document of one group-version, or undefined if the catalogue serves nothing there. */
export function buildOpenAPIV3(catalogue: readonly ResourceDef[], group: string, version: string, opts: DiscoveryOptions = {}): ServedDocument | undefined {
  const defs = groupCatalogue(catalogue).find((g) => g.name === group)?.versions.find((v) => v.version === version)?.defs;
  if (!defs) return undefined;
  const paths = groupVersionPaths(group, version, defs, opts);
  return served({
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: GIT_VERSION },
    paths: renderPaths(paths, 'v3'),
    components: {
      schemas: buildDefinitions(referencedDefinitions(paths), gvkIndex(catalogue, opts), 'v3'),
      securitySchemes: { BearerToken: SECURITY_SCHEME },
    },
  });
}

/** The Swagger 2.0 document of everything served (one document, as /openapi/v2 is). */
export function buildOpenAPIV2(catalogue: readonly ResourceDef[], opts: DiscoveryOptions = {}): ServedDocument {
  const paths = groupCatalogue(catalogue).flatMap((g) => g.versions.flatMap((v) => groupVersionPaths(g.name, v.version, v.defs, opts)));
  return served({
    swagger: '2.0',
    info: { title: 'Kubernetes', version: GIT_VERSION },
    paths: renderPaths(paths, 'v2'),
    definitions: buildDefinitions(referencedDefinitions(paths), gvkIndex(catalogue, opts), 'v2'),
    securityDefinitions: { BearerToken: { description: SECURITY_SCHEME.description, type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  });
}

/**
 * Memoizes the documents of one (immutable) catalogue: each is built on first use and kept, so its bytes and
 * hash stay identical for the life of the server.
 */
export class OpenAPIDocuments {
  readonly #catalogue: readonly ResourceDef[];
  readonly #opts: DiscoveryOptions;
  #v2: ServedDocument | undefined;
  #index: ServedDocument | undefined;
  readonly #v3 = new Map<string, ServedDocument | undefined>();

  constructor(catalogue: readonly ResourceDef[], opts: DiscoveryOptions = {}) {
    this.#catalogue = catalogue;
    this.#opts = opts;
  }

  /** /openapi/v2 as JSON. */
  v2(): ServedDocument {
    return (this.#v2 ??= buildOpenAPIV2(this.#catalogue, this.#opts));
  }

  /** The v3 document for `api/v1` or `apis/<group>/<version>` (no leading slash), or undefined (→ 404). */
  v3(key: string): ServedDocument | undefined {
    if (!this.#v3.has(key)) {
      const m = /^(?:api\/([^/]+)|apis\/([^/]+)\/([^/]+))$/.exec(key);
      const doc = !m ? undefined : m[1] !== undefined ? buildOpenAPIV3(this.#catalogue, '', m[1], this.#opts) : buildOpenAPIV3(this.#catalogue, m[2]!, m[3]!, this.#opts);
      this.#v3.set(key, doc);
    }
    return this.#v3.get(key);
  }

  /**
   * /openapi/v3: `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=<HASH>"}, …}}`, one entry per
   * served group-version, keys sorted. Building it builds (and caches) every group-version document.
   */
  v3Index(): ServedDocument {
    if (!this.#index) {
      const paths: Record<string, { serverRelativeURL: string }> = {};
      const keys = groupCatalogue(this.#catalogue).flatMap((g) => g.versions.map((v) => v3PathKey(g.name, v.version))).sort();
      for (const key of keys) paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${this.v3(key)!.hash}` };
      this.#index = served({ paths });
    }
    return this.#index;
  }
}
