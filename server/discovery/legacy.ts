// Unaggregated (legacy) discovery documents: /api, /apis, /apis/{group}, /api/v1 and /apis/{group}/{version}.
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../registry/types.ts';
import { groupCatalogue, type GroupDefs } from './groups.ts';
import { subresourcesOf, verbsOf, type ExtraSubresource } from './subresources.ts';

export interface DiscoveryOptions {
  /** Subresources the server serves beyond those declared in ResourceDef.subresources (e.g. `pods/log`). */
  extraSubresources?: readonly ExtraSubresource[];
}

/**
 * Upstream's storage version hash: base64 of the first 8 bytes of sha256("<group>/<version>/<kind>"); the core
 * group is the empty string, so pods hash "/v1/Pod" to "xPOwRZ+Yhw8=".
 */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}

/** metav1.APIVersions for /api. Upstream sends no apiVersion here. */
export function apiVersions(serverAddress: string): {
  kind: 'APIVersions';
  versions: string[];
  serverAddressByClientCIDRs: { clientCIDR: string; serverAddress: string }[];
} {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

interface GroupVersionForDiscovery {
  groupVersion: string;
  version: string;
}

export interface APIGroupBody {
  name: string;
  versions: GroupVersionForDiscovery[];
  preferredVersion: GroupVersionForDiscovery;
}

function groupBody(g: GroupDefs): APIGroupBody {
  const versions = g.versions.map((v) => ({ groupVersion: `${g.name}/${v.version}`, version: v.version }));
  return { name: g.name, versions, preferredVersion: versions[0]! };
}

/** metav1.APIGroupList for /apis: every non-core group, in upstream priority order, preferred version first. */
export function apiGroupList(catalogue: readonly ResourceDef[]): { kind: 'APIGroupList'; apiVersion: 'v1'; groups: APIGroupBody[] } {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groupCatalogue(catalogue).filter((g) => g.name !== '').map(groupBody) };
}

/** metav1.APIGroup for /apis/{group}; undefined when the catalogue has no such (non-core) group (→ 404). */
export function apiGroup(catalogue: readonly ResourceDef[], group: string): ({ kind: 'APIGroup'; apiVersion: 'v1' } & APIGroupBody) | undefined {
  if (group === '') return undefined;
  const g = groupCatalogue(catalogue).find((x) => x.name === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...groupBody(g) } : undefined;
}

/** metav1.APIResource as upstream serializes it (optional fields omitted when empty). */
export interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  storageVersionHash?: string;
}

/**
 * Whether upstream would publish a storage version hash: only for resources kept in storage. We take "serves
 * watch" as the sign (bindings, reviews and componentstatuses do not; every etcd-backed resource does).
 */
function isStored(def: ResourceDef): boolean {
  return verbsOf(def).includes('watch');
}

/** The APIResource entries of one resource: itself, then its subresources as `<plural>/<name>` (sorted). */
export function apiResourcesOf(def: ResourceDef, opts: DiscoveryOptions = {}): APIResource[] {
  const main: APIResource = { name: def.plural, singularName: def.singular, namespaced: def.namespaced, kind: def.kind, verbs: verbsOf(def) };
  if (def.shortNames?.length) main.shortNames = [...def.shortNames];
  if (def.categories?.length) main.categories = [...def.categories];
  if (isStored(def)) main.storageVersionHash = storageVersionHash(def.group, def.version, def.kind);
  const subs = subresourcesOf(def, opts.extraSubresources).map((s): APIResource => {
    const r: APIResource = { name: `${def.plural}/${s.name}`, singularName: '', namespaced: def.namespaced, kind: s.kind, verbs: [...s.verbs] };
    if (s.group !== def.group || s.version !== def.version) {
      // Upstream names the group/version only when they differ from the list's own (fields kept in upstream order).
      return { name: r.name, singularName: '', namespaced: r.namespaced, group: s.group, version: s.version, kind: s.kind, verbs: r.verbs };
    }
    return r;
  });
  return [main, ...subs];
}

/**
 * metav1.APIResourceList for /api/v1 (group '') or /apis/{group}/{version}; undefined when the catalogue serves
 * nothing there (→ 404). Resources sorted by name, each followed by its subresources.
 */
export function apiResourceList(
  catalogue: readonly ResourceDef[],
  group: string,
  version: string,
  opts: DiscoveryOptions = {},
): { kind: 'APIResourceList'; apiVersion: 'v1'; groupVersion: string; resources: APIResource[] } | undefined {
  const g = groupCatalogue(catalogue).find((x) => x.name === group);
  const v = g?.versions.find((x) => x.version === version);
  if (!v) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? version : `${group}/${version}`,
    resources: v.defs.flatMap((def) => apiResourcesOf(def, opts)),
  };
}
