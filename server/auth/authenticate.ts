// Request authentication: bearer tokens from the token file (more authenticators join in the security issue).
import type { IncomingMessage } from 'node:http';
import * as errors from '../http/errors.ts';

export interface UserInfo {
  name: string;
  uid: string;
  groups: string[];
}

export interface TokenEntry {
  user: string;
  uid: string;
  groups: string[];
}

export const ANONYMOUS: UserInfo = { name: 'system:anonymous', uid: '', groups: ['system:unauthenticated'] };

/**
 * Authenticates as upstream: a presented but unknown token is 401 (never a fallback to anonymous); no credentials
 * at all means system:anonymous, left to authorization.
 */
export class Authenticator {
  readonly #tokens: ReadonlyMap<string, TokenEntry>;

  constructor(tokens: ReadonlyMap<string, TokenEntry>) {
    this.#tokens = tokens;
  }

  authenticate(req: IncomingMessage): UserInfo {
    const header = req.headers.authorization;
    if (!header) return ANONYMOUS;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw errors.unauthorized();
    const entry = this.#tokens.get(match[1]);
    if (!entry) throw errors.unauthorized();
    const groups = entry.groups.includes('system:authenticated') ? entry.groups : [...entry.groups, 'system:authenticated'];
    return { name: entry.user, uid: entry.uid, groups };
  }
}

/** Paths anyone may read, as upstream's system:public-info-viewer grants them. */
const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version', '/version/']);

/**
 * Until RBAC lands (security issue) every authenticated user may do everything; anonymous users get only the
 * public-info paths, with upstream's 403 wording for the rest.
 */
export function authorizeInterim(user: UserInfo, path: string, verb: string): void {
  if (user !== ANONYMOUS) return;
  if (PUBLIC_PATHS.has(path) || path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/')) return;
  throw errors.forbidden(`forbidden: User "system:anonymous" cannot ${verb} path "${path}"`, {});
}
