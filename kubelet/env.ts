// A container's environment as upstream's kubelet builds it: envFrom, then env with valueFrom and $(VAR) expansion.
import { parseQuantity } from '../server/registry/quantity.ts';
import type { KeyValue } from './cri/types.ts';
import { expandVars } from './pod-config.ts';
import { serviceEnv, type ServiceLike } from './service-env.ts';
import type { Container, Pod } from './types.ts';

/** Reads ConfigMaps and Secrets of the pod's namespace: the object's data (secrets decoded), or undefined when absent. */
export interface ConfigSource {
  configMap(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  secret(namespace: string, name: string): Promise<Record<string, string> | undefined>;
  /**
   * Every Service of the cluster, for the service link variables; absent: no service variables (as a kubelet
   * without an API server). Rejects with a ContainerConfigError while the services were never read.
   */
  services?(): Promise<readonly ServiceLike[]>;
}

/** Why a container could not be configured; becomes waiting reason CreateContainerConfigError with this message. */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

export interface RuntimeFacts {
  podIP: string;
  podIPs: string[];
  hostIP: string;
  nodeAllocatable: { cpuMilli: number; memoryBytes: number; ephemeralStorageBytes: number };
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** metadata.labels['x'] and friends; undefined for a path the downward API does not offer. */
export function fieldRefValue(pod: Pod, path: string, facts: RuntimeFacts): string | undefined {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]!] ?? '';
  const mapText = (o: Record<string, string> | undefined): string => Object.entries(o ?? {}).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n');
  switch (path) {
    case 'metadata.name': return pod.metadata.name ?? '';
    case 'metadata.namespace': return pod.metadata.namespace ?? '';
    case 'metadata.uid': return pod.metadata.uid ?? '';
    case 'metadata.labels': return mapText(pod.metadata.labels);
    case 'metadata.annotations': return mapText(pod.metadata.annotations);
    case 'spec.nodeName': return pod.spec.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? '';
    case 'status.hostIP': return facts.hostIP;
    case 'status.hostIPs': return facts.hostIP;
    case 'status.podIP': return facts.podIP;
    case 'status.podIPs': return facts.podIPs.join(',');
    default: return undefined;
  }
}

/** resourceFieldRef: the container's limit (node allocatable when unset) or request, divided by `divisor` and rounded up. */
export function resourceFieldValue(pod: Pod, ref: { containerName?: string; resource: string; divisor?: string | number }, containerName: string, facts: RuntimeFacts): string {
  const c = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find((x) => x.name === (ref.containerName || containerName));
  const [kind, res] = ref.resource.split('.', 2) as [string, string];
  const list = (kind === 'limits' ? c?.resources?.limits : c?.resources?.requests) ?? {};
  let nano = parseQuantity(list[res]);
  if (nano === undefined) {
    if (kind === 'limits') {
      const a = facts.nodeAllocatable;
      const fallback = res === 'cpu' ? BigInt(a.cpuMilli) * 1_000_000n : res === 'memory' ? BigInt(a.memoryBytes) * 1_000_000_000n : BigInt(a.ephemeralStorageBytes) * 1_000_000_000n;
      nano = fallback;
    } else {
      nano = 0n;
    }
  }
  const divisor = parseQuantity(ref.divisor ?? '1') || 1_000_000_000n;
  const value = (nano + divisor - 1n) / divisor;
  // Upstream reports at least 1 for a cpu request/limit that is set but below the divisor.
  return String(res === 'cpu' && value === 0n && nano > 0n ? 1n : value);
}

/**
 * The container's env in upstream's order: envFrom sources (invalid keys skipped), then env entries,
 * each value expanded with the variables defined before it and the service variables, then the service
 * variables (see serviceEnv) the container does not define itself.
 * @throws ContainerConfigError with upstream's message for a missing non-optional ConfigMap, Secret or key.
 */
export async function containerEnv(pod: Pod, c: Container, facts: RuntimeFacts, source: ConfigSource): Promise<KeyValue[]> {
  const ns = pod.metadata.namespace ?? 'default';
  const services = source.services ? serviceEnv(await source.services(), ns, pod.spec.enableServiceLinks !== false) : new Map<string, string>();
  const vars = new Map<string, string>();
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const data = await source.configMap(ns, from.configMapRef.name ?? '');
      if (!data) {
        if (from.configMapRef.optional) continue;
        throw new ContainerConfigError(`configmap "${from.configMapRef.name ?? ''}" not found`);
      }
      for (const [k, v] of Object.entries(data)) if (ENV_NAME.test(prefix + k)) vars.set(prefix + k, v);
    } else if (from.secretRef) {
      const data = await source.secret(ns, from.secretRef.name ?? '');
      if (!data) {
        if (from.secretRef.optional) continue;
        throw new ContainerConfigError(`secret "${from.secretRef.name ?? ''}" not found`);
      }
      for (const [k, v] of Object.entries(data)) if (ENV_NAME.test(prefix + k)) vars.set(prefix + k, v);
    }
  }
  for (const e of c.env ?? []) {
    let value: string | undefined;
    const vf = e.valueFrom;
    if (!vf) {
      value = expandVars(e.value ?? '', services.size ? new Map([...services, ...vars]) : vars);
    } else if (vf.fieldRef) {
      value = fieldRefValue(pod, vf.fieldRef.fieldPath, facts) ?? '';
    } else if (vf.resourceFieldRef) {
      value = resourceFieldValue(pod, vf.resourceFieldRef, c.name, facts);
    } else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      const data = await source.configMap(ns, ref.name ?? '');
      if (!data) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`configmap "${ref.name ?? ''}" not found`);
      }
      if (!(ref.key in data)) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name ?? ''}`);
      }
      value = data[ref.key];
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      const data = await source.secret(ns, ref.name ?? '');
      if (!data) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`secret "${ref.name ?? ''}" not found`);
      }
      if (!(ref.key in data)) {
        if (ref.optional) continue;
        throw new ContainerConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name ?? ''}`);
      }
      value = data[ref.key];
    }
    vars.set(e.name, value ?? '');
  }
  for (const [k, v] of services) if (!vars.has(k)) vars.set(k, v);
  return [...vars].map(([key, value]) => ({ key, value }));
}
