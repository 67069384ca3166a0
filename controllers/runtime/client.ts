// The one HTTPS client of the controller runtime: JSON requests and watch streams against the API server.
import https from 'node:https';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeObject, Status } from './types.ts';

/** An answer other than 2xx, carrying the server's metav1.Status (or one made up from the HTTP code). */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: Status;

  constructor(status: Status, options?: ErrorOptions) {
    super(status.message || `${status.code ?? 0} ${status.reason ?? ''}`.trim(), options);
    this.name = 'ApiError';
    this.status = status;
    this.code = status.code ?? 0;
    this.reason = status.reason ?? '';
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiError && e.code === 409 && e.reason !== 'AlreadyExists';
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists';
/** 410: the resourceVersion (or continue token) asked for is no longer in the server's window. */
export const isGone = (e: unknown): boolean => e instanceof ApiError && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone');

/** One line of a watch stream. */
export type WatchEvent<T extends KubeObject = KubeObject> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: Status };

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** Defaults to application/json when a body is given. */
  contentType?: string;
  signal?: AbortSignal;
  /** Whole-request deadline; default 30 s, 0 = none. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

const REASONS: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  409: 'Conflict', 410: 'Expired', 422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable', 504: 'Timeout',
};

/**
 * An API client built from a KubeConfig. Authentication and TLS come from client-node's
 * `applyToHTTPSOptions` on every request (so refreshed exec/OIDC tokens are picked up), while one
 * keep-alive agent, built from the first request's TLS material, carries all connections.
 */
export class ApiClient {
  readonly #kc: KubeConfig;
  readonly #userAgent: string;
  #agent: https.Agent | undefined;

  constructor(kc: KubeConfig, opts: { userAgent?: string } = {}) {
    this.#kc = kc;
    this.#userAgent = opts.userAgent ?? 'tskube-controller-manager';
  }

  /**
   * Sends one request and decodes the JSON answer.
   * @throws ApiError for a non-2xx answer; Error (with `cause`) on transport failure, timeout or abort.
   */
  async request<T = KubeObject>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.#send(method, path, opts, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const text = await readBody(res);
    if (res.statusCode! < 200 || res.statusCode! > 299) throw toApiError(res.statusCode!, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Opens a long-lived GET (a watch): resolves once a 200 answer's headers arrived; the caller reads
   * the body and ends it by aborting `signal`.
   * @throws ApiError for a non-2xx answer (its Status read from the body).
   */
  async stream(path: string, query: Query, signal: AbortSignal): Promise<IncomingMessage> {
    const res = await this.#send('GET', path, { query, signal }, 0);
    if (res.statusCode === 200) return res;
    throw toApiError(res.statusCode!, await readBody(res));
  }

  /** Closes idle pooled connections; requests in flight are unaffected. */
  close(): void {
    this.#agent?.destroy();
    this.#agent = undefined;
  }

  async #send(method: string, path: string, opts: RequestOptions, timeoutMs: number): Promise<IncomingMessage> {
    const server = this.#kc.getCurrentCluster()?.server;
    if (!server) throw new Error('kubeconfig has no current cluster');
    const url = new URL(server);
    url.pathname = url.pathname.replace(/\/$/, '') + path;
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const body = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const options: https.RequestOptions = {
      method,
      headers: {
        Accept: 'application/json',
        'User-Agent': this.#userAgent,
        ...(body ? { 'Content-Type': opts.contentType ?? 'application/json', 'Content-Length': body.length } : {}),
      },
    };
    await this.#kc.applyToHTTPSOptions(options);
    this.#agent ??= new https.Agent({
      keepAlive: true,
      ca: options.ca, cert: options.cert, key: options.key, servername: options.servername,
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
    });
    options.agent = this.#agent;
    const signal = opts.signal;
    if (signal?.aborted) throw new Error(`${method} ${path}: aborted`, { cause: signal.reason });
    return await new Promise<IncomingMessage>((resolve, reject) => {
      const req = https.request(url, options, (res) => {
        clearTimeout(timer);
        resolve(res);
      });
      let failure: Error | undefined;
      const fail = (why: string, cause: unknown): void => {
        failure = new Error(`${method} ${path}: ${why}`, { cause });
        req.destroy(failure);
      };
      const timer = timeoutMs > 0 ? setTimeout(() => fail(`timed out after ${timeoutMs} ms`, undefined), timeoutMs) : undefined;
      const onAbort = (): void => fail('aborted', signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('close', () => signal?.removeEventListener('abort', onAbort));
      req.on('error', (e: unknown) => {
        clearTimeout(timer);
        reject(failure ?? new Error(`${method} ${path}: ${e instanceof Error ? e.message : String(e)}`, { cause: e }));
      });
      req.end(body);
    });
  }
}

function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function toApiError(code: number, text: string): ApiError {
  try {
    const parsed = JSON.parse(text) as Status;
    if (parsed && parsed.kind === 'Status') return new ApiError({ ...parsed, code: parsed.code ?? code });
  } catch {
    // Not JSON: fall through to a Status made from the HTTP code.
  }
  return new ApiError({ kind: 'Status', status: 'Failure', code, reason: REASONS[code] ?? 'Unknown', message: text.trim() || STATUS_CODES[code] || `HTTP ${code}` });
}

/**
 * Decodes a watch body, one JSON event per line (the server may split or join lines across chunks).
 * @throws Error when a line is not JSON; the stream's own errors (reset, abort) propagate.
 */
export async function* watchEvents<T extends KubeObject>(res: AsyncIterable<Buffer | string>): AsyncGenerator<WatchEvent<T>> {
  const decoder = new StringDecoder('utf8');
  let buffered = '';
  for await (const chunk of res) {
    buffered += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield parseEvent<T>(line);
    }
  }
  if (buffered.trim()) yield parseEvent<T>(buffered.trim());
}

function parseEvent<T extends KubeObject>(line: string): WatchEvent<T> {
  try {
    return JSON.parse(line) as WatchEvent<T>;
  } catch (e: unknown) {
    throw new Error(`undecodable watch event: ${line.slice(0, 200)}`, { cause: e });
  }
}
