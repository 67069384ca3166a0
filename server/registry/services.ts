// core/v1 services and endpoints: defaults (type, ports, traffic policies, IP families), validation and printers.
import { isIP } from 'node:net';
import type { Column, FieldError, KubeObject, ResourceDef } from './types.ts';
import { arr, child, defaultString, defaultValue, get, isObj, obj, records, str, type Obj } from './object.ts';
import { ageColumn, formatLabels, stringColumn } from './columns.ts';
import { nameIsDNS1035Label, nameIsDNSSubdomain, validateLabels, validateObjectMeta, validateObjectMetaUpdate } from './meta-validation.ts';
import {
  duplicate,
  forbidden,
  fp,
  goStringSlice,
  GoText,
  idx,
  invalid,
  IP_EXAMPLE,
  isDNS1123Label,
  isDNS1123Subdomain,
  isValidPortName,
  isValidPortNum,
  notSupported,
  required,
} from './validation.ts';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const FAMILIES = ['IPv4', 'IPv6'];

function isHeadless(spec: Obj): boolean {
  return spec.clusterIP === 'None';
}

/** service.ExternallyAccessible: LoadBalancer, NodePort, or ClusterIP with external IPs. */
function externallyAccessible(spec: Obj): boolean {
  return spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && arr(spec.externalIPs).length > 0);
}

/** SetDefaults_Service, plus the IP family fields the service REST storage fills on a single-stack cluster. */
function defaultService(svc: KubeObject): void {
  const spec = child(svc, 'spec');
  defaultString(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP') {
    const timeout = get(spec, 'sessionAffinityConfig.clientIP.timeoutSeconds');
    if (timeout === undefined || timeout === null) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  defaultString(spec, 'type', 'ClusterIP');
  for (const p of records(spec.ports)) {
    defaultString(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (externallyAccessible(spec)) defaultString(spec, 'externalTrafficPolicy', 'Cluster');
  if (spec.type === 'ClusterIP' || spec.type === 'NodePort' || spec.type === 'LoadBalancer') defaultValue(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') defaultValue(spec, 'allocateLoadBalancerNodePorts', true);
  if (spec.type === 'ExternalName') return;
  if (str(spec.clusterIP) && arr(spec.clusterIPs).length === 0) spec.clusterIPs = [spec.clusterIP];
  if (!str(spec.clusterIP) && typeof arr(spec.clusterIPs)[0] === 'string') spec.clusterIP = arr(spec.clusterIPs)[0];
  const headlessNoSelector = isHeadless(spec) && !isObj(spec.selector);
  defaultString(spec, 'ipFamilyPolicy', headlessNoSelector ? 'RequireDualStack' : 'SingleStack');
  if (arr(spec.ipFamilies).length === 0) {
    const ip = str(spec.clusterIP);
    spec.ipFamilies = [isIP(ip) === 6 ? 'IPv6' : 'IPv4'];
  }
}

/** patchAllocatedValues: a replace without the allocated fields keeps them (kubectl replace / apply). */
function keepAllocated(svc: KubeObject, old: Readonly<KubeObject>): void {
  const spec = child(svc, 'spec');
  const prev = obj(old.spec) ?? {};
  if (spec.type === 'ExternalName' || prev.type === 'ExternalName') return;
  if (!str(spec.clusterIP) && str(prev.clusterIP)) {
    spec.clusterIP = prev.clusterIP;
    if (arr(spec.clusterIPs).length === 0 && prev.clusterIPs !== undefined) spec.clusterIPs = prev.clusterIPs;
  }
  if (spec.ipFamilyPolicy === undefined && prev.ipFamilyPolicy !== undefined) spec.ipFamilyPolicy = prev.ipFamilyPolicy;
  if (spec.ipFamilies === undefined && prev.ipFamilies !== undefined) spec.ipFamilies = prev.ipFamilies;
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') {
    const oldPorts = records(prev.ports);
    for (const p of records(spec.ports)) {
      if (p.nodePort) continue;
      const match = oldPorts.find((o) => o.port === p.port && (o.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (match?.nodePort) p.nodePort = match.nodePort;
    }
    if (!spec.healthCheckNodePort && prev.healthCheckNodePort) spec.healthCheckNodePort = prev.healthCheckNodePort;
  }
}

function validateServicePorts(spec: Obj): FieldError[] {
  const errs: FieldError[] = [];
  const ports = arr(spec.ports);
  if (ports.length === 0 && !isHeadless(spec) && spec.type !== 'ExternalName') errs.push(required('spec.ports'));
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((raw, i) => {
    const path = idx('spec.ports', i);
    const p = obj(raw) ?? {};
    const name = str(p.name);
    if (ports.length > 1 && !name) errs.push(required(fp(path, 'name')));
    else if (name) {
      for (const m of isDNS1123Label(name)) errs.push(invalid(fp(path, 'name'), name, m));
      if (names.has(name)) errs.push(duplicate(fp(path, 'name'), name));
      names.add(name);
    }
    for (const m of isValidPortNum(Number(p.port))) errs.push(invalid(fp(path, 'port'), p.port ?? 0, m));
    const protocol = str(p.protocol);
    if (!protocol) errs.push(required(fp(path, 'protocol')));
    else if (!PROTOCOLS.includes(protocol)) errs.push(notSupported(fp(path, 'protocol'), protocol, PROTOCOLS));
    const target = p.targetPort;
    if (typeof target === 'number') for (const m of isValidPortNum(target)) errs.push(invalid(fp(path, 'targetPort'), target, m));
    else if (typeof target === 'string') for (const m of isValidPortName(target)) errs.push(invalid(fp(path, 'targetPort'), target, m));
    if (p.nodePort !== undefined && p.nodePort !== 0) {
      if (spec.type === 'ClusterIP') errs.push(forbidden(fp(path, 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
      else for (const m of isValidPortNum(Number(p.nodePort))) errs.push(invalid(fp(path, 'nodePort'), p.nodePort, m));
    }
    const k = `${String(p.port)}/${protocol}`;
    if (seen.has(k)) errs.push(duplicate(path, new GoText(`core.ServicePort{Name:${JSON.stringify(name)}, Protocol:${JSON.stringify(protocol)}, Port:${String(p.port)}}`)));
    seen.add(k);
  });
  return errs;
}

function validateService(svc: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(svc.metadata, { namespaced: true, name: nameIsDNS1035Label });
  const spec = obj(svc.spec) ?? {};
  const type = str(spec.type);
  if (!type) errs.push(required('spec.type'));
  else if (!TYPES.includes(type)) errs.push(notSupported('spec.type', type, TYPES));
  if (type === 'ExternalName') {
    if (str(spec.clusterIP)) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    const cname = str(spec.externalName).replace(/\.$/, '');
    if (!cname) errs.push(required('spec.externalName'));
    else for (const m of isDNS1123Subdomain(cname)) errs.push(invalid('spec.externalName', cname, m));
  }
  errs.push(...validateServicePorts(spec));
  errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const affinity = str(spec.sessionAffinity);
  if (affinity && !AFFINITIES.includes(affinity)) errs.push(notSupported('spec.sessionAffinity', affinity, AFFINITIES));
  arr(spec.clusterIPs).forEach((ip, i) => {
    if (i === 0 && ip === 'None') return;
    if (typeof ip !== 'string' || isIP(ip) === 0) errs.push(invalid(idx('spec.clusterIPs', i), ip, IP_EXAMPLE));
  });
  if (str(spec.clusterIP) && arr(spec.clusterIPs)[0] !== spec.clusterIP) errs.push(invalid('spec.clusterIPs', new GoText(goStringSlice(arr(spec.clusterIPs).map(String))), 'first value must match `clusterIP`'));
  arr(spec.externalIPs).forEach((ip, i) => {
    if (typeof ip !== 'string' || isIP(ip) === 0) errs.push(invalid(idx('spec.externalIPs', i), ip, IP_EXAMPLE));
  });
  const policy = spec.ipFamilyPolicy;
  if (policy !== undefined && policy !== null && !FAMILY_POLICIES.includes(String(policy))) errs.push(notSupported('spec.ipFamilyPolicy', policy, FAMILY_POLICIES));
  arr(spec.ipFamilies).forEach((f, i) => {
    if (!FAMILIES.includes(String(f))) errs.push(notSupported(idx('spec.ipFamilies', i), f, FAMILIES));
  });
  const itp = spec.internalTrafficPolicy;
  if (itp !== undefined && itp !== null && itp !== 'Cluster' && itp !== 'Local') errs.push(notSupported('spec.internalTrafficPolicy', itp, ['Cluster', 'Local']));
  const etp = str(spec.externalTrafficPolicy);
  if (etp && !externallyAccessible(spec)) errs.push(invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  else if (etp && etp !== 'Cluster' && etp !== 'Local') errs.push(notSupported('spec.externalTrafficPolicy', etp, ['Cluster', 'Local']));
  return errs;
}

function validateServiceUpdate(svc: Readonly<KubeObject>, old: Readonly<KubeObject>): FieldError[] {
  const errs = [...validateObjectMetaUpdate(svc.metadata, old.metadata), ...validateService(svc)];
  const spec = obj(svc.spec) ?? {};
  const prev = obj(old.spec) ?? {};
  if (spec.type !== 'ExternalName' && prev.type !== 'ExternalName' && str(prev.clusterIP) && spec.clusterIP !== prev.clusterIP) {
    errs.push(invalid(idx('spec.clusterIPs', 0), new GoText(goStringSlice(arr(spec.clusterIPs).map(String))), 'may not change once set'));
  }
  return errs;
}

function externalIP(svc: KubeObject): string {
  const spec = obj(svc.spec) ?? {};
  const externalIPs = arr(spec.externalIPs).map(String);
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = [...new Set(records(get(svc, 'status.loadBalancer.ingress')).map((i) => str(i.ip) || str(i.hostname)).filter(Boolean))].sort();
      if (externalIPs.length) return [...lb, ...externalIPs].join(',');
      return lb.length ? lb.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function portsString(svc: KubeObject): string {
  const parts = records(get(svc, 'spec.ports')).map((p) => (p.nodePort ? `${String(p.port)}:${String(p.nodePort)}/${str(p.protocol)}` : `${String(p.port)}/${str(p.protocol)}`));
  return parts.length ? parts.join(',') : '<none>';
}

const SERVICE_COLUMNS: readonly Column[] = [
  stringColumn('Type', 'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, NodePort, and LoadBalancer.', 0, (o) => str(get(o, 'spec.type'))),
  stringColumn('Cluster-IP', 'clusterIP is the IP address of the service and is usually assigned randomly.', 0, (o) => str(arr(get(o, 'spec.clusterIPs'))[0]) || str(get(o, 'spec.clusterIP')) || '<none>'),
  stringColumn('External-IP', 'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.', 0, externalIP),
  stringColumn('Port(s)', 'The list of ports that are exposed by this service.', 0, portsString),
  ageColumn,
  stringColumn('Selector', 'Route service traffic to pods with label keys and values matching this selector.', 1, (o) => formatLabels(get(o, 'spec.selector'))),
];

export const services: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  singular: 'service',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  storageName: 'services/specs',
  allowCreateOnUpdate: true,
  returnDeletedObject: true,
  subresources: { status: true },
  strategy: {
    prepareForCreate(svc) {
      defaultService(svc);
      svc.status = { loadBalancer: {} };
    },
    prepareForUpdate(svc, old) {
      keepAllocated(svc, old);
      defaultService(svc);
    },
    validate: validateService,
    validateUpdate: validateServiceUpdate,
  },
  fieldSelectors: {
    'spec.clusterIP': (o) => str(get(o, 'spec.clusterIP')),
    'spec.type': (o) => str(get(o, 'spec.type')),
  },
  columns: SERVICE_COLUMNS,
};

// ---- endpoints ----

function validateEndpoints(ep: Readonly<KubeObject>): FieldError[] {
  const errs = validateObjectMeta(ep.metadata, { namespaced: true, name: nameIsDNSSubdomain });
  arr(ep.subsets).forEach((raw, i) => {
    const path = idx('subsets', i);
    const ss = obj(raw) ?? {};
    for (const kind of ['addresses', 'notReadyAddresses'] as const) {
      arr(ss[kind]).forEach((a, j) => {
        const ip = str(obj(a)?.ip);
        if (isIP(ip) === 0) errs.push(invalid(fp(idx(fp(path, kind), j), 'ip'), ip, IP_EXAMPLE));
      });
    }
    const ports = arr(ss.ports);
    ports.forEach((rawPort, j) => {
      const pp = idx(fp(path, 'ports'), j);
      const p = obj(rawPort) ?? {};
      const name = str(p.name);
      if (ports.length > 1 && !name) errs.push(required(fp(pp, 'name')));
      else if (name) for (const m of isDNS1123Label(name)) errs.push(invalid(fp(pp, 'name'), name, m));
      for (const m of isValidPortNum(Number(p.port))) errs.push(invalid(fp(pp, 'port'), p.port ?? 0, m));
      const protocol = str(p.protocol);
      if (!protocol) errs.push(required(fp(pp, 'protocol')));
      else if (!PROTOCOLS.includes(protocol)) errs.push(notSupported(fp(pp, 'protocol'), protocol, PROTOCOLS));
    });
  });
  return errs;
}

function defaultEndpoints(ep: KubeObject): void {
  for (const ss of records(ep.subsets)) for (const p of records(ss.ports)) defaultString(p, 'protocol', 'TCP');
}

/** formatEndpoints: up to three `ip:port` (or bare ips for port-less subsets), then `+ N more...`. */
export function formatEndpoints(ep: KubeObject): string {
  const subsets = records(ep.subsets);
  if (subsets.length === 0) return '<none>';
  const list: string[] = [];
  const max = 3;
  let more = false;
  let count = 0;
  for (const ss of subsets) {
    const addresses = records(ss.addresses);
    const ports = records(ss.ports);
    if (ports.length === 0) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(str(a.ip));
      }
      continue;
    }
    for (const p of ports) {
      count += addresses.length;
      for (const a of addresses) {
        if (list.length === max) {
          more = true;
          break;
        }
        const ip = str(a.ip);
        list.push(ip.includes(':') ? `[${ip}]:${String(p.port)}` : `${ip}:${String(p.port)}`);
      }
    }
  }
  const joined = list.join(',');
  return more ? `${joined} + ${count - max} more...` : joined;
}

export const endpoints: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  storageName: 'services/endpoints',
  allowCreateOnUpdate: true,
  strategy: {
    prepareForCreate: defaultEndpoints,
    prepareForUpdate: defaultEndpoints,
    validate: validateEndpoints,
    validateUpdate: (ep, old) => [...validateObjectMetaUpdate(ep.metadata, old.metadata), ...validateEndpoints(ep)],
  },
  columns: [
    stringColumn('Endpoints', 'The set of all endpoints is the union of all subsets.', 0, formatEndpoints),
    ageColumn,
  ],
};

