// Content negotiation: what the client sent (Content-Type) and what it accepts back (Accept), as upstream parses them.
import type { IncomingMessage } from 'node:http';
import * as yaml from 'js-yaml';
import * as errors from './errors.ts';
import { decodeRequestBody, PROTOBUF_MEDIA_TYPE } from '../protobuf/http.ts';

export interface MediaType {
  type: string; // e.g. application/json
  params: Record<string, string>;
}

/** Parsed headers: clients send the same few Accept/Content-Type values on every request. */
const parsedHeaders = new Map<string, readonly MediaType[]>();
const PARSED_HEADERS_MAX = 256;

/**
 * Parses one media range list (`a/b;x=y, c/d`) in order of appearance (kubectl lists its preference first).
 * The answer may be shared between calls: read it, never change it.
 */
export function parseMediaTypes(header: string | undefined): readonly MediaType[] {
  if (!header) return [];
  let types = parsedHeaders.get(header);
  if (!types) {
    if (parsedHeaders.size >= PARSED_HEADERS_MAX) parsedHeaders.clear();
    parsedHeaders.set(header, (types = parseMediaTypesUncached(header)));
  }
  return types;
}

function parseMediaTypesUncached(header: string): MediaType[] {
  const out: MediaType[] = [];
  for (const part of header.split(',')) {
    const [type, ...rawParams] = part.split(';').map((s) => s.trim());
    if (!type) continue;
    const params: Record<string, string> = {};
    for (const p of rawParams) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
    }
    out.push({ type: type.toLowerCase(), params });
  }
  return out;
}

/** The bare, lower-cased media type of a Content-Type header (`application/json; charset=utf-8` → `application/json`). */
export function mediaTypeOf(header: string | undefined, fallback = ''): string {
  return parseMediaTypes(header)[0]?.type ?? fallback;
}

/** How an object answer is rendered. */
export type Rendering =
  | { as: 'object'; format: 'json' | 'yaml' }
  | { as: 'Table'; includeObject: 'None' | 'Metadata' | 'Object' }
  | { as: 'PartialObjectMetadata' | 'PartialObjectMetadataList' };

const JSON_TYPES = new Set(['application/json', 'application/*', '*/*', 'application/json-patch+json']);

/**
 * Picks the first acceptable representation in the client's order: a meta.k8s.io/v1 Table or
 * PartialObjectMetadata when asked for by `as=`, plain JSON, or YAML. Protobuf is not served: when it is the only
 * thing accepted the answer is 406, otherwise we fall through to JSON, which every client lists as fallback.
 */
export function negotiateRendering(accept: string | undefined, includeObjectParam: string | null): Rendering {
  const types = parseMediaTypes(accept);
  if (types.length === 0) return { as: 'object', format: 'json' };
  for (const t of types) {
    if (t.type !== 'application/json' && t.params.as) continue;
    if (t.params.as) {
      if (t.params.g !== 'meta.k8s.io' || (t.params.v !== 'v1' && t.params.v !== 'v1beta1')) continue;
      if (t.params.as === 'Table') {
        const inc = includeObjectParam ?? 'Metadata';
        return { as: 'Table', includeObject: inc === 'None' || inc === 'Object' ? inc : 'Metadata' };
      }
      if (t.params.as === 'PartialObjectMetadata' || t.params.as === 'PartialObjectMetadataList') return { as: t.params.as };
      continue;
    }
    if (JSON_TYPES.has(t.type)) return { as: 'object', format: 'json' };
    if (t.type === 'application/yaml') return { as: 'object', format: 'yaml' };
  }
  throw errors.notAcceptable(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf']);
}

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

/** Reads the request body with a hard size limit; past it the answer is 413 and the rest is not buffered. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      reject(errors.requestEntityTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(errors.requestEntityTooLarge(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Decodes a JSON, YAML or (when accepted) Kubernetes protobuf body into a value; malformed input is a 400 with the parser's reason. */
export function decodeBody(body: Buffer, contentType: string | undefined, accepted: readonly string[]): unknown {
  const type = mediaTypeOf(contentType, 'application/json');
  if (!accepted.includes(type)) throw errors.unsupportedMediaType(type, accepted);
  if (type === PROTOBUF_MEDIA_TYPE) return decodeRequestBody(body, contentType);
  const text = body.toString('utf8');
  if (type === 'application/yaml' || type === 'application/apply-patch+yaml') {
    try {
      return yaml.load(text, { schema: yaml.JSON_SCHEMA } as yaml.LoadOptions);
    } catch (e: unknown) {
      throw errors.badRequest(`error converting YAML to JSON: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (e: unknown) {
    throw errors.badRequest(`couldn't get version/kind; json parse error: ${(e as Error).message}`);
  }
}
