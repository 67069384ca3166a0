// Endpoints and EndpointSlice contents computed from a Service and its pods (upstream's endpoints and endpointslice controllers' rules).
import type { KubeObject } from '../runtime/index.ts';
import { arr, isPodReady, rec, spec, status, type Obj } from '../podutil/index.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
/** Upstream's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

/** ShouldPodBeInEndpoints: the pod has an IP, is not terminating (unless included) and can still run per its restart policy. */
export function shouldPodBeInEndpoints(pod: KubeObject, includeTerminating: boolean): boolean {
  const st = status(pod);
  if (!st.podIP && arr(st.podIPs).length === 0) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  const phase = st.phase;
  const restart = spec(pod).restartPolicy ?? 'Always';
  if (restart === 'Never') return phase !== 'Failed' && phase !== 'Succeeded';
  if (restart === 'OnFailure') return phase !== 'Succeeded';
  return true;
}

/** podutil.FindPort: a numeric targetPort as is, a named one from the pod's container ports (matching protocol). */
export function findPort(pod: KubeObject, svcPort: Obj): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  if (typeof target === 'string' && /^\d+$/.test(target)) return Number(target);
  for (const c of arr(spec(pod).containers)) {
    for (const p of arr(c.ports)) if (p.name === target && (p.protocol ?? 'TCP') === (svcPort.protocol ?? 'TCP')) return Number(p.containerPort);
  }
  return undefined;
}

/** The pods a Service selects (its `spec.selector` map; a Service without one selects none). */
export function selectedPods(svc: KubeObject, pods: readonly KubeObject[]): KubeObject[] {
  const sel = spec(svc).selector as Record<string, string> | undefined;
  if (!sel || Object.keys(sel).length === 0) return [];
  return pods.filter((p) => Object.entries(sel).every(([k, v]) => p.metadata.labels?.[k] === v));
}

function podIPv4(pod: KubeObject): string | undefined {
  const ips = [String(status(pod).podIP ?? ''), ...arr(status(pod).podIPs).map((x) => String(x.ip ?? ''))];
  return ips.find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
}

function hostnameFor(pod: KubeObject, svc: KubeObject): string | undefined {
  const ps = spec(pod);
  return ps.hostname && ps.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace ? String(ps.hostname) : undefined;
}

function targetRef(pod: KubeObject): Obj {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

function portsFor(pod: KubeObject, svc: KubeObject): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of arr(spec(svc).ports)) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: EndpointPort = { name: String(sp.name ?? ''), port, protocol: String(sp.protocol ?? 'TCP') };
    if (sp.appProtocol) p.appProtocol = String(sp.appProtocol);
    out.push(p);
  }
  return out;
}

function sortPorts(ports: EndpointPort[]): EndpointPort[] {
  return [...ports].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port || a.protocol.localeCompare(b.protocol));
}

const ipKey = (ip: string): string => ip.split('.').map((x) => x.padStart(3, '0')).join('.');

/**
 * The `subsets` of a Service's Endpoints: ready pods (or every pod with publishNotReadyAddresses)
 * in `addresses`, others in `notReadyAddresses`, grouped by identical port sets (RepackSubsets),
 * addresses sorted by IP. Headless services without ports list addresses with no ports.
 */
export function endpointSubsets(svc: KubeObject, pods: readonly KubeObject[]): Obj[] {
  const publishNotReady = spec(svc).publishNotReadyAddresses === true;
  const headless = spec(svc).clusterIP === 'None';
  const groups = new Map<string, { ports: EndpointPort[]; ready: Obj[]; notReady: Obj[] }>();
  for (const pod of selectedPods(svc, pods)) {
    if (!shouldPodBeInEndpoints(pod, publishNotReady)) continue;
    const ip = podIPv4(pod) ?? String(status(pod).podIP ?? '');
    const addr: Obj = { ip };
    const host = hostnameFor(pod, svc);
    if (host) addr.hostname = host;
    if (spec(pod).nodeName) addr.nodeName = spec(pod).nodeName;
    addr.targetRef = targetRef(pod);
    let ports = portsFor(pod, svc);
    if (arr(spec(svc).ports).length === 0) {
      if (!headless) continue;
      ports = [];
    } else if (ports.length === 0) continue;
    ports = sortPorts(ports).map((p) => (p.name ? p : { port: p.port, protocol: p.protocol, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) }));
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, ready: [], notReady: [] }));
    (publishNotReady || isPodReady(pod) ? g.ready : g.notReady).push(addr);
  }
  const byIp = (a: Obj, b: Obj): number => ipKey(String(a.ip)).localeCompare(ipKey(String(b.ip))) || String(rec(a.targetRef).uid).localeCompare(String(rec(b.targetRef).uid));
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, g]) => {
      const s: Obj = {};
      if (g.ready.length) s.addresses = g.ready.sort(byIp);
      if (g.notReady.length) s.notReadyAddresses = g.notReady.sort(byIp);
      if (g.ports.length) s.ports = g.ports;
      return s;
    });
}

/** The labels upstream puts on a Service's Endpoints/EndpointSlices: the Service's own, plus headless when clusterIP is None. */
export function serviceLabels(svc: KubeObject): Record<string, string> {
  const labels: Record<string, string> = { ...svc.metadata.labels };
  if (spec(svc).clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  return labels;
}

export interface SliceContent {
  ports: EndpointPort[];
  endpoints: Obj[];
}

/**
 * The desired EndpointSlice contents (IPv4): one group per distinct port set, chunks of at most
 * `max` endpoints, endpoints sorted by IP. Terminating pods stay listed with terminating=true and
 * ready=false; serving follows the Ready condition; publishNotReadyAddresses makes every endpoint ready.
 */
export function sliceContents(svc: KubeObject, pods: readonly KubeObject[], zoneOf: (node: string) => string | undefined, max = MAX_ENDPOINTS_PER_SLICE): SliceContent[] {
  const publishNotReady = spec(svc).publishNotReadyAddresses === true;
  const groups = new Map<string, SliceContent>();
  for (const pod of selectedPods(svc, pods)) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ip = podIPv4(pod);
    if (!ip) continue;
    const ports = sortPorts(portsFor(pod, svc));
    if (arr(spec(svc).ports).length > 0 && ports.length === 0) continue;
    const terminating = !!pod.metadata.deletionTimestamp;
    const ready = isPodReady(pod);
    const ep: Obj = {
      addresses: [ip],
      conditions: { ready: publishNotReady || (ready && !terminating), serving: publishNotReady || ready, terminating },
    };
    const host = hostnameFor(pod, svc);
    if (host) ep.hostname = host;
    if (spec(pod).nodeName) {
      ep.nodeName = spec(pod).nodeName;
      const zone = zoneOf(String(spec(pod).nodeName));
      if (zone) ep.zone = zone;
    }
    ep.targetRef = targetRef(pod);
    const key = JSON.stringify(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: [] }));
    g.endpoints.push(ep);
  }
  const out: SliceContent[] = [];
  for (const [, g] of [...groups.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    g.endpoints.sort((a, b) => ipKey(String(arr<string>(a.addresses)[0])).localeCompare(ipKey(String(arr<string>(b.addresses)[0]))));
    for (let i = 0; i < g.endpoints.length; i += max) out.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + max) });
  }
  return out;
}
