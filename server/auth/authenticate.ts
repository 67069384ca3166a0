// Request authentication in upstream's order: x509 client certificate, token file, service-account JWT, anonymous.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { statSync } from 'node:fs';
import * as errors from '../http/errors.ts';
import type { UserInfo } from './types.ts';
import { ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP } from './types.ts';
import { ServiceAccountTokens, TokenError, type ObjectLookup } from './serviceaccount/jwt.ts';

export type { UserInfo } from './types.ts';

export interface TokenEntry {
  user: string;
  uid: string;
  groups: string[];
}

export const ANONYMOUS: UserInfo = { name: ANONYMOUS_USER, uid: '', groups: [UNAUTHENTICATED_GROUP] };

export interface AuthenticatorOptions {
  /** Static tokens; or a path to a token file, re-read when its mtime changes. */
  tokens: ReadonlyMap<string, TokenEntry> | { path: string; load: (path: string) => ReadonlyMap<string, TokenEntry> };
  serviceAccounts?: { tokens: ServiceAccountTokens; lookup: ObjectLookup };
  /** Accept x509 client certificates the TLS layer verified against the cluster CA. */
  clientCerts?: boolean;
}

function withAuthenticated(groups: readonly string[]): string[] {
  return groups.includes(AUTHENTICATED_GROUP) ? [...groups] : [...groups, AUTHENTICATED_GROUP];
}

/** The identity of a verified client certificate: CN is the user, each O a group. */
function certUser(socket: TLSSocket): UserInfo | undefined {
  const cert = socket.getPeerCertificate?.();
  if (!cert || !cert.subject || Object.keys(cert).length === 0) return undefined;
  // A presented certificate that did not verify against the cluster CA is a failed credential, as upstream.
  if (!socket.authorized) throw errors.unauthorized();
  const subject = cert.subject as unknown as Record<string, string | string[] | undefined>;
  const cn = subject.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  if (!name) throw errors.unauthorized();
  const o = subject.O;
  const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
  return { name, uid: '', groups: withAuthenticated(groups) };
}

/**
 * Authenticates as upstream: the first authenticator that recognises the credential wins; a presented but invalid
 * credential is 401 (never a fallback to anonymous); no credential at all means system:anonymous, left to
 * authorization.
 */
export class Authenticator {
  readonly #opts: AuthenticatorOptions;
  #tokens: ReadonlyMap<string, TokenEntry> = new Map();
  #tokensMtime = -1;
  #tokensCheckedAt = 0;

  constructor(opts: AuthenticatorOptions | ReadonlyMap<string, TokenEntry>) {
    this.#opts = opts instanceof Map ? { tokens: opts } : (opts as AuthenticatorOptions);
    if (this.#opts.tokens instanceof Map) this.#tokens = this.#opts.tokens;
  }

  #staticTokens(): ReadonlyMap<string, TokenEntry> {
    const src = this.#opts.tokens;
    if (src instanceof Map) return src;
    const now = Date.now();
    if (now - this.#tokensCheckedAt < 1000) return this.#tokens;
    this.#tokensCheckedAt = now;
    const { path, load } = src as { path: string; load: (p: string) => ReadonlyMap<string, TokenEntry> };
    try {
      const mtime = statSync(path).mtimeMs;
      if (mtime !== this.#tokensMtime) {
        this.#tokens = load(path);
        this.#tokensMtime = mtime;
      }
    } catch {
      // An unreadable or malformed file keeps the last good set of tokens.
    }
    return this.#tokens;
  }

  /** Authenticates a bearer token alone (TokenReview); undefined when no authenticator accepts it. */
  async authenticateToken(token: string, audiences?: readonly string[]): Promise<{ user: UserInfo; audiences: string[] } | undefined> {
    const entry = this.#staticTokens().get(token);
    if (entry) return { user: { name: entry.user, uid: entry.uid, groups: withAuthenticated(entry.groups) }, audiences: [...(audiences ?? this.#opts.serviceAccounts?.tokens.apiAudiences ?? [])] };
    const sa = this.#opts.serviceAccounts;
    if (sa && ServiceAccountTokens.looksLikeJwt(token)) {
      try {
        return await sa.tokens.verify(token, sa.lookup, audiences);
      } catch (e: unknown) {
        if (e instanceof TokenError) return undefined;
        throw e;
      }
    }
    return undefined;
  }

  async authenticate(req: IncomingMessage): Promise<UserInfo> {
    if (this.#opts.clientCerts) {
      let user: UserInfo | undefined;
      let certError: unknown;
      try {
        user = certUser(req.socket as TLSSocket);
      } catch (e: unknown) {
        certError = e;
      }
      if (user) return user;
      if (certError && !req.headers.authorization) throw certError;
    }
    const header = req.headers.authorization;
    if (!header) return ANONYMOUS;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw errors.unauthorized();
    const found = await this.authenticateToken(match[1]);
    if (!found) throw errors.unauthorized();
    return found.user;
  }
}
