// Service-account JWTs as upstream issues them (bound tokens, RS256) and their verification against live objects.
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { ServiceAccountKeys } from './keys.ts';
import type { UserInfo } from '../types.ts';
import { serviceAccountUser } from '../types.ts';

export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const LEGACY_ISSUER = 'kubernetes/serviceaccount';

export interface ObjectRef {
  name: string;
  uid: string;
}

/** What a bound token asserts, as the private `kubernetes.io` claim carries it. */
export interface BoundClaims {
  namespace: string;
  serviceAccount: ObjectRef;
  pod?: ObjectRef;
  secret?: ObjectRef;
  node?: ObjectRef;
}

export interface IssueRequest extends BoundClaims {
  audiences: string[];
  expirationSeconds: number;
  /** Defaults to now. */
  now?: Date;
}

/** Looks objects up by namespace/name: returns the uid, or undefined when it is gone. */
export interface ObjectLookup {
  uidOf(kind: 'ServiceAccount' | 'Pod' | 'Secret' | 'Node', namespace: string, name: string): Promise<string | undefined>;
}

export class TokenError extends Error {}

/** Issues and verifies tokens with one key pair and issuer. */
export class ServiceAccountTokens {
  readonly #keys: ServiceAccountKeys;
  readonly issuer: string;
  /** The API server's own audiences (a token without them is not for us). */
  readonly apiAudiences: readonly string[];

  constructor(keys: ServiceAccountKeys, issuer = DEFAULT_ISSUER, apiAudiences: readonly string[] = [issuer]) {
    this.#keys = keys;
    this.issuer = issuer;
    this.apiAudiences = apiAudiences;
  }

  /** Signs a bound token; returns it with its expiry. */
  async issue(req: IssueRequest): Promise<{ token: string; expiresAt: Date }> {
    const now = Math.floor((req.now ?? new Date()).getTime() / 1000);
    const exp = now + req.expirationSeconds;
    const k8s: Record<string, unknown> = { namespace: req.namespace, serviceaccount: { name: req.serviceAccount.name, uid: req.serviceAccount.uid } };
    if (req.pod) k8s.pod = { name: req.pod.name, uid: req.pod.uid };
    if (req.secret) k8s.secret = { name: req.secret.name, uid: req.secret.uid };
    if (req.node) k8s.node = { name: req.node.name, uid: req.node.uid };
    const token = await new SignJWT({ 'kubernetes.io': k8s })
      .setProtectedHeader({ alg: 'RS256', kid: this.#keys.keyId })
      .setIssuer(this.issuer)
      .setSubject(`system:serviceaccount:${req.namespace}:${req.serviceAccount.name}`)
      .setAudience(req.audiences)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(exp)
      .setJti(randomUUID())
      .sign(this.#keys.privateKey);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Whether the text looks like a JWT at all (three base64url parts); other bearer tokens are not ours. */
  static looksLikeJwt(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
  }

  /**
   * Verifies signature, issuer, audience (any of `audiences`, the API audiences by default), time, and that the
   * service account and any bound pod/secret still exist with the uid the token names. Returns the user and the
   * audiences it matched. Throws TokenError for every rejection.
   */
  async verify(token: string, lookup: ObjectLookup, audiences: readonly string[] = this.apiAudiences): Promise<{ user: UserInfo; audiences: string[] }> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.#keys.publicKey, { algorithms: ['RS256'], issuer: [this.issuer, LEGACY_ISSUER] }));
    } catch (e: unknown) {
      if (e instanceof joseErrors.JOSEError) throw new TokenError(e.message);
      throw e;
    }
    if (payload.iss === LEGACY_ISSUER) return { user: await this.#verifyLegacy(payload, lookup), audiences: [...audiences] };
    const aud = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud.map(String) : [];
    const matched = audiences.filter((a) => aud.includes(a));
    if (matched.length === 0) throw new TokenError('token audiences is invalid for the target audiences');
    const k8s = payload['kubernetes.io'] as { namespace?: string; serviceaccount?: ObjectRef; pod?: ObjectRef; secret?: ObjectRef; node?: ObjectRef } | undefined;
    if (!k8s || typeof k8s.namespace !== 'string' || !k8s.serviceaccount?.name) throw new TokenError('token lacks the kubernetes.io claims');
    const ns = k8s.namespace;
    const saUid = await lookup.uidOf('ServiceAccount', ns, k8s.serviceaccount.name);
    if (saUid === undefined) throw new TokenError(`serviceaccounts "${k8s.serviceaccount.name}" not found`);
    if (saUid !== k8s.serviceaccount.uid) throw new TokenError(`service account UID (${k8s.serviceaccount.uid}) does not match claim (${saUid})`);
    const extra: Record<string, string[]> = {};
    if (k8s.pod) {
      const uid = await lookup.uidOf('Pod', ns, k8s.pod.name);
      if (uid === undefined) throw new TokenError(`pods "${k8s.pod.name}" not found`);
      if (uid !== k8s.pod.uid) throw new TokenError(`pod UID (${k8s.pod.uid}) does not match claim (${uid})`);
      extra['authentication.kubernetes.io/pod-name'] = [k8s.pod.name];
      extra['authentication.kubernetes.io/pod-uid'] = [k8s.pod.uid];
    }
    if (k8s.secret) {
      const uid = await lookup.uidOf('Secret', ns, k8s.secret.name);
      if (uid === undefined) throw new TokenError(`secrets "${k8s.secret.name}" not found`);
      if (uid !== k8s.secret.uid) throw new TokenError(`secret UID (${k8s.secret.uid}) does not match claim (${uid})`);
    }
    if (k8s.node) {
      extra['authentication.kubernetes.io/node-name'] = [k8s.node.name];
      extra['authentication.kubernetes.io/node-uid'] = [k8s.node.uid];
    }
    if (typeof payload.jti === 'string') extra['authentication.kubernetes.io/credential-id'] = [`JTI=${payload.jti}`];
    const user = serviceAccountUser(ns, k8s.serviceaccount.name, saUid);
    if (Object.keys(extra).length) user.extra = extra;
    return { user, audiences: matched };
  }

  /** Legacy secret-based tokens: valid while the secret and service account exist. */
  async #verifyLegacy(payload: Record<string, unknown>, lookup: ObjectLookup): Promise<UserInfo> {
    const ns = String(payload['kubernetes.io/serviceaccount/namespace'] ?? '');
    const secret = String(payload['kubernetes.io/serviceaccount/secret.name'] ?? '');
    const sa = String(payload['kubernetes.io/serviceaccount/service-account.name'] ?? '');
    const saUidClaim = String(payload['kubernetes.io/serviceaccount/service-account.uid'] ?? '');
    if (!ns || !secret || !sa) throw new TokenError('legacy token lacks its claims');
    if ((await lookup.uidOf('Secret', ns, secret)) === undefined) throw new TokenError(`secrets "${secret}" not found`);
    const saUid = await lookup.uidOf('ServiceAccount', ns, sa);
    if (saUid === undefined || saUid !== saUidClaim) throw new TokenError(`serviceaccounts "${sa}" not found`);
    return serviceAccountUser(ns, sa, saUid);
  }
}
