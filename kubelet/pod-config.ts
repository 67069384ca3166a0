// Pure translation of a Pod into CRI sandbox and container configs: QoS, cgroups, DNS, ports, resources, labels.
import { readFileSync } from 'node:fs';
import { parseQuantity } from '../server/registry/quantity.ts';
import type { ContainerConfig, KeyValue, LinuxContainerResources, Mount, PodSandboxConfig, PortMapping } from './cri/types.ts';
import {
  ANNOTATION_GRACE, ANNOTATION_RESTART_COUNT, LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID,
} from './runtime-cache.ts';
import type { Container, Pod } from './types.ts';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';
export const ANNOTATION_PRESTOP = 'io.kubernetes.container.preStopHandler';
const DEFAULT_GRACE_SECONDS = 30;

/** Nano-units → milli-units (cpu) and bytes. */
const milli = (q: string | undefined): number | undefined => {
  const n = parseQuantity(q);
  return n === undefined ? undefined : Number((n + 999_999n) / 1_000_000n);
};
const bytes = (q: string | undefined): number | undefined => {
  const n = parseQuantity(q);
  return n === undefined ? undefined : Number((n + 999_999_999n) / 1_000_000_000n);
};

/** Upstream's QoS rules (pkg/apis/core/helper/qos): what the pod's requests and limits make it. */
export function qosClassOf(pod: Pod): QosClass {
  const all = [...(pod.spec.initContainers ?? []), ...pod.spec.containers];
  let any = false;
  let guaranteed = true;
  for (const c of all) {
    const req = c.resources?.requests ?? {};
    const lim = c.resources?.limits ?? {};
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined || lim[r] !== undefined) any = true;
      if (lim[r] === undefined) guaranteed = false;
      else if (req[r] !== undefined && parseQuantity(req[r]) !== parseQuantity(lim[r])) guaranteed = false;
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

/** `/<root>/pod<uid>` for Guaranteed pods, `/<root>/<qos>/pod<uid>` otherwise (cgroupfs layout). */
export function cgroupParentOf(pod: Pod, cgroupRoot: string): string {
  const qos = qosClassOf(pod);
  const root = `/${cgroupRoot.replace(/^\/+|\/+$/g, '')}`;
  return qos === 'Guaranteed' ? `${root}/pod${pod.metadata.uid}` : `${root}/${qos.toLowerCase()}/pod${pod.metadata.uid}`;
}

/** The host's resolv.conf servers, searches and options (what dnsPolicy Default gives a pod). */
export function hostResolvConf(text = safeRead('/etc/resolv.conf')): { servers: string[]; searches: string[]; options: string[] } {
  const out = { servers: [] as string[], searches: [] as string[], options: [] as string[] };
  for (const line of text.split('\n')) {
    const [key, ...vals] = line.trim().split(/\s+/);
    if (key === 'nameserver' && vals[0]) out.servers.push(vals[0]);
    else if (key === 'search' || key === 'domain') out.searches = vals;
    else if (key === 'options') out.options.push(...vals);
  }
  return out;
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export interface DnsSettings {
  clusterDNS?: string;
  clusterDomain: string;
  hostResolv?: { servers: string[]; searches: string[]; options: string[] };
}

/** The pod's resolv.conf as upstream's dns configurer builds it (ClusterFirst falls back to Default without a cluster DNS). */
export function dnsConfigOf(pod: Pod, dns: DnsSettings): NonNullable<PodSandboxConfig['dnsConfig']> {
  const host = dns.hostResolv ?? hostResolvConf();
  let policy = pod.spec.dnsPolicy ?? 'ClusterFirst';
  if (policy === 'ClusterFirst' && pod.spec.hostNetwork) policy = 'Default';
  if (policy === 'ClusterFirstWithHostNet') policy = 'ClusterFirst';
  let servers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  if (policy === 'ClusterFirst' && dns.clusterDNS) {
    const ns = pod.metadata.namespace ?? 'default';
    servers = [dns.clusterDNS];
    searches = [`${ns}.svc.${dns.clusterDomain}`, `svc.${dns.clusterDomain}`, dns.clusterDomain, ...host.searches];
    options = ['ndots:5'];
  } else if (policy !== 'None') {
    ({ servers, searches, options } = host);
  }
  const extra = pod.spec.dnsConfig;
  if (extra) {
    servers = [...new Set([...servers, ...(extra.nameservers ?? [])])];
    searches = [...new Set([...searches, ...(extra.searches ?? [])])];
    const byName = new Map(options.map((o) => [o.split(':')[0]!, o]));
    for (const o of extra.options ?? []) byName.set(o.name, o.value === undefined ? o.name : `${o.name}:${o.value}`);
    options = [...byName.values()];
  }
  return { servers, searches: searches.slice(0, 32), options };
}

/** hostPort mappings of every container (ports without a hostPort need none). */
export function portMappingsOf(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec.containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ protocol: p.protocol ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort, ...(p.hostIP ? { hostIp: p.hostIP } : {}) });
    }
  }
  return out;
}

export function podLabels(pod: Pod): Record<string, string> {
  return {
    ...(pod.metadata.labels ?? {}),
    [LABEL_POD_NAME]: pod.metadata.name ?? '',
    [LABEL_POD_NAMESPACE]: pod.metadata.namespace ?? '',
    [LABEL_POD_UID]: pod.metadata.uid ?? '',
  };
}

/** The pod's directory for CRI logs, as upstream's /var/log/pods/<ns>_<name>_<uid>. */
export function podLogDir(logRoot: string, pod: Pick<Pod, 'metadata'>): string {
  return `${logRoot}/${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid}`;
}

export function gracePeriodOf(pod: Pod): number {
  return pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

/** RunPodSandbox's config for `pod` (attempt = how many sandboxes it had before). */
export function sandboxConfigOf(pod: Pod, opts: { attempt: number; cgroupRoot: string; logRoot: string; dns: DnsSettings }): PodSandboxConfig {
  const hostNetwork = pod.spec.hostNetwork === true;
  const hostname = hostNetwork ? undefined : (pod.spec.hostname ?? pod.metadata.name ?? '').slice(0, 63).replace(/[-.]+$/, '');
  const sysctls = Object.fromEntries((pod.spec.securityContext?.sysctls ?? []).map((s) => [s.name, s.value]));
  return {
    metadata: { name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '', namespace: pod.metadata.namespace ?? '', attempt: opts.attempt },
    ...(hostname ? { hostname } : {}),
    logDirectory: podLogDir(opts.logRoot, pod),
    dnsConfig: dnsConfigOf(pod, opts.dns),
    portMappings: portMappingsOf(pod),
    labels: podLabels(pod),
    annotations: { ...(pod.metadata.annotations ?? {}) },
    linux: {
      cgroupParent: cgroupParentOf(pod, opts.cgroupRoot),
      sysctls,
      securityContext: {
        namespaceOptions: { network: hostNetwork ? 'NODE' : 'POD', pid: pod.spec.hostPID ? 'NODE' : 'CONTAINER', ipc: pod.spec.hostIPC ? 'NODE' : 'POD' },
        ...(pod.spec.securityContext?.runAsUser !== undefined ? { runAsUser: { value: pod.spec.securityContext.runAsUser } } : {}),
        ...(pod.spec.securityContext?.runAsGroup !== undefined ? { runAsGroup: { value: pod.spec.securityContext.runAsGroup } } : {}),
        supplementalGroups: [...(pod.spec.securityContext?.supplementalGroups ?? []), ...(pod.spec.securityContext?.fsGroup !== undefined ? [pod.spec.securityContext.fsGroup] : [])],
      },
    },
  };
}

/** Upstream's cgroup arithmetic: shares from the cpu request, CFS quota from the cpu limit, memory limit in bytes, OOM score by QoS. */
export function linuxResourcesOf(pod: Pod, c: Container, memoryCapacityBytes: number): LinuxContainerResources {
  const req = c.resources?.requests ?? {};
  const lim = c.resources?.limits ?? {};
  const cpuReq = milli(req.cpu ?? lim.cpu);
  const cpuLim = milli(lim.cpu);
  const memLim = bytes(lim.memory);
  const memReq = bytes(req.memory ?? lim.memory);
  const out: LinuxContainerResources = { cpuShares: Math.max(2, Math.floor(((cpuReq ?? 0) * 1024) / 1000)) };
  if (cpuLim !== undefined) {
    out.cpuPeriod = 100_000;
    out.cpuQuota = Math.max(1000, Math.floor((cpuLim * 100_000) / 1000));
  }
  if (memLim !== undefined) out.memoryLimitInBytes = memLim;
  const qos = qosClassOf(pod);
  if (qos === 'Guaranteed') out.oomScoreAdj = -997;
  else if (qos === 'BestEffort') out.oomScoreAdj = 1000;
  else {
    const adj = memoryCapacityBytes > 0 ? 1000 - Math.floor((1000 * (memReq ?? 0)) / memoryCapacityBytes) : 999;
    out.oomScoreAdj = Math.min(999, Math.max(2, adj));
  }
  return out;
}

/** Replaces $(VAR) with earlier variables' values; $$ escapes; unknown references stay as written (upstream's expansion). */
export function expandVars(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => {
    if (m === '$$') return '$';
    return name !== undefined && vars.has(name) ? vars.get(name)! : m;
  });
}

export interface ContainerConfigInput {
  pod: Pod;
  container: Container;
  /** Image reference the runtime resolved (ImageStatus id or the spec's name). */
  image: string;
  attempt: number;
  envs: KeyValue[];
  mounts: Mount[];
  memoryCapacityBytes: number;
}

/** CreateContainer's config: command/args expanded with the env, log path `<name>/<attempt>.log`, labels and annotations as upstream. */
export function containerConfigOf(i: ContainerConfigInput): ContainerConfig {
  const { pod, container: c } = i;
  const vars = new Map(i.envs.map((e) => [e.key, e.value]));
  const sc = c.securityContext;
  const annotations: Record<string, string> = {
    [ANNOTATION_RESTART_COUNT]: String(i.attempt),
    [ANNOTATION_GRACE]: String(gracePeriodOf(pod)),
    'io.kubernetes.container.terminationMessagePath': c.terminationMessagePath ?? '/dev/termination-log',
    'io.kubernetes.container.terminationMessagePolicy': c.terminationMessagePolicy ?? 'File',
  };
  if (c.lifecycle?.preStop) annotations[ANNOTATION_PRESTOP] = JSON.stringify(c.lifecycle.preStop);
  if (c.ports?.length) annotations['io.kubernetes.container.ports'] = JSON.stringify(c.ports);
  return {
    metadata: { name: c.name, attempt: i.attempt },
    image: { image: i.image },
    ...(c.command ? { command: c.command.map((s) => expandVars(s, vars)) } : {}),
    ...(c.args ? { args: c.args.map((s) => expandVars(s, vars)) } : {}),
    ...(c.workingDir ? { workingDir: c.workingDir } : {}),
    envs: i.envs,
    mounts: i.mounts,
    labels: {
      [LABEL_POD_NAME]: pod.metadata.name ?? '',
      [LABEL_POD_NAMESPACE]: pod.metadata.namespace ?? '',
      [LABEL_POD_UID]: pod.metadata.uid ?? '',
      [LABEL_CONTAINER_NAME]: c.name,
    },
    annotations,
    logPath: `${c.name}/${i.attempt}.log`,
    stdin: c.stdin ?? false,
    stdinOnce: c.stdinOnce ?? false,
    tty: c.tty ?? false,
    linux: {
      resources: linuxResourcesOf(pod, c, i.memoryCapacityBytes),
      securityContext: {
        privileged: sc?.privileged ?? false,
        ...(sc?.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : pod.spec.securityContext?.runAsUser !== undefined ? { runAsUser: { value: pod.spec.securityContext.runAsUser } } : {}),
        ...(sc?.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : pod.spec.securityContext?.runAsGroup !== undefined ? { runAsGroup: { value: pod.spec.securityContext.runAsGroup } } : {}),
        readonlyRootfs: sc?.readOnlyRootFilesystem ?? false,
        noNewPrivs: sc?.allowPrivilegeEscalation === false,
        ...(sc?.capabilities ? { capabilities: { addCapabilities: sc.capabilities.add ?? [], dropCapabilities: sc.capabilities.drop ?? [] } } : {}),
        namespaceOptions: { network: pod.spec.hostNetwork ? 'NODE' : 'POD', pid: pod.spec.hostPID ? 'NODE' : 'CONTAINER', ipc: pod.spec.hostIPC ? 'NODE' : 'POD' },
        supplementalGroups: [...(pod.spec.securityContext?.supplementalGroups ?? []), ...(pod.spec.securityContext?.fsGroup !== undefined ? [pod.spec.securityContext.fsGroup] : [])],
      },
    },
  };
}
