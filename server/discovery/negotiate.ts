// Accept-header negotiation for discovery (/api, /apis) and OpenAPI (/openapi/v2, /openapi/v3), as upstream does it.

/** One clause of an Accept header, e.g. `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`. */
export interface AcceptClause {
  type: string;
  subType: string;
  q: number;
  params: Readonly<Record<string, string>>;
}

/**
 * Parses an Accept header the way upstream's goautoneg does: clauses ordered by q (highest first), then concrete
 * types before wildcards; equal clauses keep the client's order. A missing or empty header means `*\/*`.
 */
export function parseAccept(header: string | undefined): AcceptClause[] {
  const text = header === undefined || header.trim() === '' ? '*/*' : header;
  const clauses: AcceptClause[] = [];
  for (const part of text.split(',')) {
    const [mediaRange, ...paramParts] = part.split(';');
    const range = (mediaRange ?? '').trim();
    if (range === '') continue;
    const slash = range.indexOf('/');
    const type = slash < 0 ? range : range.slice(0, slash);
    const subType = slash < 0 ? '*' : range.slice(slash + 1);
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of paramParts) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      const key = p.slice(0, eq).trim();
      const value = p.slice(eq + 1).trim();
      if (key === 'q') {
        const parsed = Number.parseFloat(value);
        q = Number.isNaN(parsed) ? 0 : parsed;
      } else {
        params[key] = value;
      }
    }
    clauses.push({ type, subType, q, params });
  }
  const rank = (c: AcceptClause): number => (c.type === '*' ? 2 : c.subType === '*' ? 1 : 0);
  return clauses
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.q - a.c.q || rank(a.c) - rank(b.c) || a.i - b.i)
    .map(({ c }) => c);
}

function matches(clause: AcceptClause, type: string, subType: string): boolean {
  return (clause.type === type || clause.type === '*') && (clause.subType === subType || clause.subType === '*');
}

export type DiscoveryFormat = 'legacy' | 'v2' | 'v2beta1';

export interface Negotiated<F extends string> {
  format: F;
  /** The exact Content-Type header to send with the body. */
  contentType: string;
}

export const DISCOVERY_GROUP = 'apidiscovery.k8s.io';
export const DISCOVERY_KIND = 'APIGroupDiscoveryList';

/** `application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList`: what upstream echoes (g, v, as order). */
export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=${DISCOVERY_GROUP};v=${version};as=${DISCOVERY_KIND}`;
}

/**
 * Which representation of /api or /apis to send for an Accept header. Clauses are tried in preference order; a
 * clause asking for a conversion (`g`/`v`/`as`) is taken only for apidiscovery.k8s.io v2 or v2beta1
 * APIGroupDiscoveryList (client-go falls back from v2 to v2beta1 to plain JSON in one header). `profile=nopeer`
 * is accepted as plain v2: one server has no peers. Returns undefined when nothing is acceptable (upstream: 406).
 * Only JSON is offered; protobuf/yaml clauses are passed over.
 */
export function negotiateDiscovery(accept: string | undefined): Negotiated<DiscoveryFormat> | undefined {
  for (const clause of parseAccept(accept)) {
    if (!matches(clause, 'application', 'json')) continue;
    const { g, v, as, profile, ...rest } = clause.params;
    const otherKeys = Object.keys(rest).filter((k) => k !== 'pretty' && k !== 'charset');
    if (otherKeys.length > 0) continue;
    if (profile !== undefined && profile !== 'nopeer') continue;
    if (g === undefined && v === undefined && as === undefined) {
      if (profile !== undefined) continue;
      return { format: 'legacy', contentType: 'application/json' };
    }
    if (g === DISCOVERY_GROUP && as === DISCOVERY_KIND && (v === 'v2' || v === 'v2beta1')) {
      return { format: v, contentType: aggregatedContentType(v) };
    }
  }
  return undefined;
}

export type OpenAPIFormat = 'json' | 'protobuf';

const PROTO_SUBTYPES = {
  v2: ['com.github.proto-openapi.spec.v2@v1.0+protobuf', 'com.github.proto-openapi.spec.v2.v1.0+protobuf'],
  v3: ['com.github.proto-openapi.spec.v3@v1.0+protobuf', 'com.github.proto-openapi.spec.v3.v1.0+protobuf'],
} as const;

/**
 * kube-openapi's choice for /openapi/v2 and /openapi/v3/<gv>: per clause in preference order, JSON first, then
 * the deprecated `@v1.0+protobuf` name, then `.v1.0+protobuf`; protobuf is always answered with the
 * `.v1.0+protobuf` Content-Type. Returns undefined when nothing matches (upstream: 406 with an empty body).
 * kubectl asks /openapi/v2 with only the protobuf type, so JSON can never satisfy it.
 */
export function negotiateOpenAPI(accept: string | undefined, which: 'v2' | 'v3'): Negotiated<OpenAPIFormat> | undefined {
  const [deprecated, current] = PROTO_SUBTYPES[which];
  for (const clause of parseAccept(accept)) {
    if (matches(clause, 'application', 'json')) return { format: 'json', contentType: 'application/json' };
    if (matches(clause, 'application', deprecated) || matches(clause, 'application', current)) {
      return { format: 'protobuf', contentType: `application/${current}` };
    }
  }
  return undefined;
}

/** Whether our JSON rendering may answer this Accept for /openapi/v2 or /openapi/v3/<gv> (else: protobuf or 406). */
export function canServeOpenAPIJSON(accept: string | undefined, which: 'v2' | 'v3'): boolean {
  return negotiateOpenAPI(accept, which)?.format === 'json';
}
