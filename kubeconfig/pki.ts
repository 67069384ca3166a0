// The cluster's PKI: a CA, the apiserver's serving certificate, and client certificates for identities.
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { PUBLIC_MODE, SECRET_MODE, writeFileAtomic } from './files.ts';
import { normalizeIp, isDnsName, sanOf } from './san.ts';

/** The CA and the apiserver serving pair, as files under `<dataDir>/pki` and as PEM text. */
export interface ClusterPki {
  dir: string;
  caCertPath: string;
  caKeyPath: string;
  servingCertPath: string;
  servingKeyPath: string;
  caCertPem: string;
  caKeyPem: string;
  servingCertPem: string;
  servingKeyPem: string;
}

/** Extra subject alternative names wanted on the serving certificate. */
export interface PkiOptions {
  hostnames?: string[];
  ips?: string[];
}

/** What a client certificate asserts: CN is the user name, each O a group (as upstream's x509 authenticator reads them). */
export interface ClientCertRequest {
  commonName: string;
  organizations?: string[];
  /** Validity in days; 365 when omitted. */
  days?: number;
}

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

const CA_COMMON_NAME = 'kubernetes-ca';
const SERVING_COMMON_NAME = 'kube-apiserver';
const CA_DAYS = 3650;
const SERVING_DAYS = 365;
/** A serving certificate this close to expiry is replaced on the next start. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
/** Backdating absorbs small clock differences between the issuing and the verifying machine. */
const BACKDATE_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 3600 * 1000;

/** Names every apiserver answers to, in-cluster and from the host itself (as kubeadm puts them on its cert). */
export const DEFAULT_SERVING_DNS = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
] as const;
export const DEFAULT_SERVING_IPS = ['127.0.0.1', '::1'] as const;

// Both the CA and every leaf use ECDSA P-256 with SHA-256: accepted by Go's crypto/tls (kubectl) and by
// Node, and fast to generate. selfsigned imports the CA key with the leaf's key type, so they must agree.
const KEY_OPTIONS = { keyType: 'ec', curve: 'P-256', algorithm: 'sha256' } as const;

function pkiPaths(dataDir: string) {
  const dir = join(dataDir, 'pki');
  return {
    dir,
    caCertPath: join(dir, 'ca.crt'),
    caKeyPath: join(dir, 'ca.key'),
    servingCertPath: join(dir, 'apiserver.crt'),
    servingKeyPath: join(dir, 'apiserver.key'),
  };
}

/**
 * Escapes a value for the RFC 4514 string form selfsigned hands to its name parser, so a user or
 * group containing `,`, `+` or `=` stays one attribute instead of being split.
 */
function dnValue(value: string): string {
  if (value === '' || /[\r\n\t\0]/.test(value)) {
    throw new Error(`invalid certificate subject value ${JSON.stringify(value)}`);
  }
  return value.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`).replace(/^[ #]/, (c) => `\\${c}`).replace(/ $/, '\\ ');
}

function validity(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  const now = Date.now();
  return { notBeforeDate: new Date(now - BACKDATE_MS), notAfterDate: new Date(now + days * DAY_MS) };
}

async function createCa(): Promise<CertAndKey> {
  const pems = await generate([{ name: 'commonName', value: CA_COMMON_NAME }], {
    ...KEY_OPTIONS,
    ...validity(CA_DAYS),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, cRLSign: true, critical: true },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}

async function createServing(ca: CertAndKey, dns: string[], ips: string[]): Promise<CertAndKey> {
  const pems = await generate([{ name: 'commonName', value: SERVING_COMMON_NAME }], {
    ...KEY_OPTIONS,
    ...validity(SERVING_DAYS),
    ca: { cert: ca.certPem, key: ca.keyPem },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [...dns.map((value) => ({ type: 2 as const, value })), ...ips.map((ip) => ({ type: 7 as const, ip }))],
      },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}

/** True when the private key is the one whose public half the certificate carries. */
function keyMatchesCert(keyPem: string, cert: X509Certificate): boolean {
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  const fromCert = cert.publicKey.export({ type: 'spki', format: 'der' });
  return fromKey.equals(fromCert);
}

/** The SANs a serving certificate must carry: defaults, this host's name, and the caller's extras (deduplicated). */
export function wantedServingSans(opts: PkiOptions = {}): { dns: string[]; ips: string[] } {
  const dns = new Set<string>(DEFAULT_SERVING_DNS);
  const host = hostname().toLowerCase();
  if (isDnsName(host)) dns.add(host);
  for (const name of opts.hostnames ?? []) {
    if (!isDnsName(name)) throw new Error(`invalid DNS name for the serving certificate: ${JSON.stringify(name)}`);
    dns.add(name.toLowerCase());
  }
  const ips = new Map<string, string>(DEFAULT_SERVING_IPS.map((ip) => [normalizeIp(ip), ip]));
  for (const ip of opts.ips ?? []) ips.set(normalizeIp(ip), ip);
  return { dns: [...dns], ips: [...ips.values()] };
}

/**
 * Reads the PKI written by {@link ensureClusterPki}. Throws (with the path) when a file is missing or
 * unreadable; does not check validity, which is `ensureClusterPki`'s job.
 */
export function loadClusterPki(dataDir: string): ClusterPki {
  const paths = pkiPaths(dataDir);
  const read = (path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (e: unknown) {
      throw new Error(`cannot read cluster PKI file ${path}`, { cause: e });
    }
  };
  return {
    ...paths,
    caCertPem: read(paths.caCertPath),
    caKeyPem: read(paths.caKeyPath),
    servingCertPem: read(paths.servingCertPath),
    servingKeyPem: read(paths.servingKeyPath),
  };
}

async function loadOrCreateCa(paths: ReturnType<typeof pkiPaths>): Promise<CertAndKey> {
  const haveCert = existsSync(paths.caCertPath);
  const haveKey = existsSync(paths.caKeyPath);
  if (!haveCert && !haveKey) {
    const ca = await createCa();
    // Key first: a crash in between leaves a key without cert, which is reported, never silently replaced.
    writeFileAtomic(paths.caKeyPath, ca.keyPem, SECRET_MODE);
    writeFileAtomic(paths.caCertPath, ca.certPem, PUBLIC_MODE);
    return ca;
  }
  // Replacing a CA would silently invalidate every certificate and kubeconfig issued from it, so a
  // half-present or inconsistent CA is an error for the operator to resolve.
  if (!haveCert || !haveKey) {
    throw new Error(`cluster CA is incomplete: ${haveCert ? paths.caKeyPath : paths.caCertPath} is missing`);
  }
  const ca = { certPem: readFileSync(paths.caCertPath, 'utf8'), keyPem: readFileSync(paths.caKeyPath, 'utf8') };
  const cert = new X509Certificate(ca.certPem);
  if (!cert.ca) throw new Error(`${paths.caCertPath} is not a CA certificate`);
  if (!keyMatchesCert(ca.keyPem, cert)) {
    throw new Error(`${paths.caKeyPath} does not match ${paths.caCertPath}`);
  }
  return ca;
}

/** Why the existing serving pair cannot be kept, or undefined when it can. */
function servingProblem(ca: X509Certificate, certPem: string, keyPem: string, want: { dns: string[]; ips: string[] }): string | undefined {
  const cert = new X509Certificate(certPem);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return 'not signed by the cluster CA';
  if (!keyMatchesCert(keyPem, cert)) return 'key does not match certificate';
  if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return 'expires soon';
  const have = sanOf(cert);
  const missing = [
    ...want.dns.filter((d) => !have.dns.has(d.toLowerCase())),
    ...want.ips.filter((ip) => !have.ips.has(normalizeIp(ip))),
  ];
  return missing.length > 0 ? `missing SANs ${missing.join(', ')}` : undefined;
}

// Serializes concurrent ensure calls on one data dir within this process; one process owns a data dir.
const inFlight = new Map<string, Promise<ClusterPki>>();

/**
 * Makes sure `<dataDir>/pki` holds a CA (ca.crt/ca.key, 10 years) and an apiserver serving pair
 * (apiserver.crt/apiserver.key, 1 year) signed by it, carrying at least the default SANs, this host's
 * name and the extra `hostnames`/`ips`; returns them.
 *
 * Guarantees: the CA is created only when neither of its files exists and is never replaced (a
 * half-present or mismatched CA throws). The serving pair is regenerated only when it is missing,
 * not signed by the CA, mismatched, within 30 days of expiry, or lacks a wanted SAN; a regenerated
 * certificate keeps the SANs the old one had, so callers passing different extras do not make it flap.
 * Key files are written mode 0600, certificates 0644, each atomically.
 */
export function ensureClusterPki(dataDir: string, opts: PkiOptions = {}): Promise<ClusterPki> {
  const previous = inFlight.get(dataDir) ?? Promise.resolve(undefined);
  const next = previous.catch(() => undefined).then(() => ensureNow(dataDir, opts));
  inFlight.set(dataDir, next);
  const forget = (): void => {
    if (inFlight.get(dataDir) === next) inFlight.delete(dataDir);
  };
  next.then(forget, forget);
  return next;
}

async function ensureNow(dataDir: string, opts: PkiOptions): Promise<ClusterPki> {
  const paths = pkiPaths(dataDir);
  const ca = await loadOrCreateCa(paths);
  const caCert = new X509Certificate(ca.certPem);
  const want = wantedServingSans(opts);
  let dns = want.dns;
  let ips = want.ips;
  let regenerate = true;
  if (existsSync(paths.servingCertPath) && existsSync(paths.servingKeyPath)) {
    const certPem = readFileSync(paths.servingCertPath, 'utf8');
    const keyPem = readFileSync(paths.servingKeyPath, 'utf8');
    let problem: string | undefined;
    try {
      problem = servingProblem(caCert, certPem, keyPem, want);
    } catch (e: unknown) {
      problem = `unreadable (${e instanceof Error ? e.message : String(e)})`;
    }
    if (problem === undefined) {
      regenerate = false;
    } else if (problem.startsWith('missing SANs') || problem === 'expires soon') {
      const old = sanOf(new X509Certificate(certPem));
      dns = [...new Set([...want.dns, ...old.dns])];
      const byNorm = new Map(want.ips.map((ip) => [normalizeIp(ip), ip]));
      for (const [norm, ip] of old.ips) if (!byNorm.has(norm)) byNorm.set(norm, ip);
      ips = [...byNorm.values()];
    }
  }
  if (regenerate) {
    const serving = await createServing(ca, dns, ips);
    writeFileAtomic(paths.servingKeyPath, serving.keyPem, SECRET_MODE);
    writeFileAtomic(paths.servingCertPath, serving.certPem, PUBLIC_MODE);
  }
  return loadClusterPki(dataDir);
}

/**
 * Issues a client certificate signed by the cluster CA, in the shape upstream's x509 authenticator
 * reads: subject CN = user name, one O per group, extKeyUsage clientAuth. Returns PEM cert and
 * PKCS#8 key; writes nothing. Throws on an empty or control-character name or group.
 */
export async function issueClientCert(pki: Pick<ClusterPki, 'caCertPem' | 'caKeyPem'>, req: ClientCertRequest): Promise<CertAndKey> {
  const days = req.days ?? 365;
  if (!(days > 0)) throw new Error(`client certificate validity must be positive, got ${days} days`);
  // Go writes O before CN (pkix.Name order), as in kubeadm's admin.conf; keep the same shape.
  const subject = [
    ...(req.organizations ?? []).map((o) => ({ name: 'O', value: dnValue(o) })),
    { name: 'CN', value: dnValue(req.commonName) },
  ];
  const pems = await generate(subject, {
    ...KEY_OPTIONS,
    ...validity(days),
    ca: { cert: pki.caCertPem, key: pki.caKeyPem },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}
