// Subresources as upstream's discovery lists them: names, verbs and the kind each one reads or writes.
import type { ResourceDef } from '../registry/types.ts';

/** One subresource of a resource, fully resolved (group/version/kind always set). */
export interface Subresource {
  /** `status`, `scale`, `log`, … (the path segment after the object name). */
  name: string;
  /** Sorted, as upstream lists them. */
  verbs: readonly string[];
  group: string;
  version: string;
  kind: string;
  /** exec/attach/portforward/proxy: upstream documents these as `connect` operations taking *Options. */
  connect: boolean;
}

/** A subresource declared by name: group/version default to the parent's, kind to the parent's kind. */
export interface SubresourceSpec {
  name: string;
  verbs: readonly string[];
  group?: string;
  version?: string;
  kind?: string;
  connect?: boolean;
}

/** An extra subresource the server supports beyond ResourceDef.subresources: a KNOWN key or a full spec. */
export type ExtraSubresource = string | { group: string; resource: string; subresource: SubresourceSpec };

const GET_PATCH_UPDATE = ['get', 'patch', 'update'] as const;
const PROXY_VERBS = ['create', 'delete', 'get', 'patch', 'update'] as const;

/**
 * Upstream's core/v1 subresources beyond status/scale/binding, keyed `<plural>/<subresource>`, with the verbs and
 * kinds `kubectl get --raw /api/v1` shows for them.
 */
export const KNOWN_SUBRESOURCES: Readonly<Record<string, SubresourceSpec>> = {
  'pods/log': { name: 'log', verbs: ['get'] },
  'pods/exec': { name: 'exec', verbs: ['create', 'get'], kind: 'PodExecOptions', connect: true },
  'pods/attach': { name: 'attach', verbs: ['create', 'get'], kind: 'PodAttachOptions', connect: true },
  'pods/portforward': { name: 'portforward', verbs: ['create', 'get'], kind: 'PodPortForwardOptions', connect: true },
  'pods/proxy': { name: 'proxy', verbs: PROXY_VERBS, kind: 'PodProxyOptions', connect: true },
  'pods/eviction': { name: 'eviction', verbs: ['create'], group: 'policy', version: 'v1', kind: 'Eviction' },
  'pods/ephemeralcontainers': { name: 'ephemeralcontainers', verbs: GET_PATCH_UPDATE },
  'pods/resize': { name: 'resize', verbs: GET_PATCH_UPDATE },
  'nodes/proxy': { name: 'proxy', verbs: PROXY_VERBS, kind: 'NodeProxyOptions', connect: true },
  'services/proxy': { name: 'proxy', verbs: PROXY_VERBS, kind: 'ServiceProxyOptions', connect: true },
  'serviceaccounts/token': {
    name: 'token',
    verbs: ['create'],
    group: 'authentication.k8s.io',
    version: 'v1',
    kind: 'TokenRequest',
  },
  'namespaces/finalize': { name: 'finalize', verbs: ['update'] },
};

function resolve(def: ResourceDef, spec: SubresourceSpec): Subresource {
  return {
    name: spec.name,
    verbs: [...spec.verbs].sort(),
    group: spec.group ?? def.group,
    version: spec.version ?? def.version,
    kind: spec.kind ?? def.kind,
    connect: spec.connect ?? false,
  };
}

/**
 * The subresources of one resource: those its declaration names (status → get/patch/update of the same kind;
 * scale → get/patch/update of autoscaling/v1 Scale; binding → create of core/v1 Binding) plus the extras that
 * belong to it (string keys are core-group `<plural>/<name>` entries of KNOWN_SUBRESOURCES). Sorted by name;
 * a name given twice keeps the first. Throws on an unknown string key: that is a wiring mistake.
 */
export function subresourcesOf(def: ResourceDef, extras: readonly ExtraSubresource[] = []): Subresource[] {
  const out = new Map<string, Subresource>();
  const add = (spec: SubresourceSpec): void => {
    if (!out.has(spec.name)) out.set(spec.name, resolve(def, spec));
  };
  const declared = def.subresources ?? {};
  if (declared.status) add({ name: 'status', verbs: GET_PATCH_UPDATE });
  if (declared.scale) add({ name: 'scale', verbs: GET_PATCH_UPDATE, group: 'autoscaling', version: 'v1', kind: 'Scale' });
  if (declared.binding) add({ name: 'binding', verbs: ['create'], group: '', version: 'v1', kind: 'Binding' });
  for (const extra of extras) {
    if (typeof extra === 'string') {
      const spec = KNOWN_SUBRESOURCES[extra];
      if (!spec) throw new Error(`unknown subresource ${JSON.stringify(extra)}; known: ${Object.keys(KNOWN_SUBRESOURCES).join(', ')}`);
      if (def.group === '' && extra === `${def.plural}/${spec.name}`) add(spec);
    } else if (extra.group === def.group && extra.resource === def.plural) {
      add(extra.subresource);
    }
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The verbs of a resource's main endpoint: declared or all eight, sorted as upstream prints them. */
export function verbsOf(def: ResourceDef): string[] {
  const all = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
  return [...(def.verbs ?? all)].sort();
}
