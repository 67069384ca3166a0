// Service link environment variables (upstream's kubelet envvars): <SVC>_SERVICE_HOST/_PORT and the docker-link <SVC>_PORT_* set.

/** The parts of a core/v1 Service the variables are made of. */
export interface ServiceLike {
  metadata: { name?: string; namespace?: string };
  spec?: { clusterIP?: string; ports?: Array<{ name?: string; port: number; protocol?: string }> };
}

/** Upstream's master services: always given to every pod, from the default namespace, even with enableServiceLinks false. */
const MASTER_SERVICES = new Set(['kubernetes']);

/** Upstream's makeEnvVariableName: upper case, '-' → '_'. */
export function envNameOf(s: string): string {
  return s.toUpperCase().replaceAll('-', '_');
}

function ipSet(s: ServiceLike): boolean {
  const ip = s.spec?.clusterIP ?? '';
  return ip !== '' && ip !== 'None' && (s.spec?.ports?.length ?? 0) > 0;
}

/** host:port, with brackets around an IPv6 host (Go's net.JoinHostPort). */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The variables of one service, in upstream's order (FromServices + makeLinkVariables). */
export function serviceVars(s: ServiceLike): Array<[string, string]> {
  const prefix = envNameOf(s.metadata.name ?? '');
  const ip = s.spec?.clusterIP ?? '';
  const ports = s.spec?.ports ?? [];
  const out: Array<[string, string]> = [[`${prefix}_SERVICE_HOST`, ip], [`${prefix}_SERVICE_PORT`, String(ports[0]!.port)]];
  for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${envNameOf(p.name)}`, String(p.port)]);
  ports.forEach((p, i) => {
    const proto = (p.protocol || 'TCP').toLowerCase();
    const url = `${proto}://${joinHostPort(ip, p.port)}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push([pp, url], [`${pp}_PROTO`, proto], [`${pp}_PORT`, String(p.port)], [`${pp}_ADDR`, ip]);
  });
  return out;
}

/**
 * The service variables a pod in `namespace` gets (upstream's getServiceEnvVarMap): the master services of the
 * default namespace always, and with `enableServiceLinks` every service of the pod's own namespace (which wins
 * over a master service of the same name). Services without a cluster IP (headless, ExternalName) give none.
 * Services are taken in name order, so the result is deterministic.
 */
export function serviceEnv(services: readonly ServiceLike[], namespace: string, enableServiceLinks: boolean): Map<string, string> {
  const chosen = new Map<string, ServiceLike>();
  for (const s of services) {
    if (!ipSet(s)) continue;
    const name = s.metadata.name ?? '';
    if (s.metadata.namespace === 'default' && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, s);
    } else if (s.metadata.namespace === namespace && enableServiceLinks) {
      chosen.set(name, s);
    }
  }
  const out = new Map<string, string>();
  for (const name of [...chosen.keys()].sort()) for (const [k, v] of serviceVars(chosen.get(name)!)) out.set(k, v);
  return out;
}
