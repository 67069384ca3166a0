// Aggregated discovery (apidiscovery.k8s.io v2 and v2beta1 APIGroupDiscoveryList) for /api and /apis.
import type { ResourceDef } from '../registry/types.ts';
import { groupCatalogue } from './groups.ts';
import type { DiscoveryOptions } from './legacy.ts';
import { DISCOVERY_GROUP, DISCOVERY_KIND } from './negotiate.ts';
import { subresourcesOf, verbsOf } from './subresources.ts';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

export interface APISubresourceDiscovery {
  subresource: string;
  responseKind: GroupVersionKind;
  verbs: string[];
}

export interface APIResourceDiscovery {
  resource: string;
  responseKind: GroupVersionKind;
  scope: 'Namespaced' | 'Cluster';
  singularResource: string;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: APISubresourceDiscovery[];
}

export interface APIVersionDiscovery {
  version: string;
  resources?: APIResourceDiscovery[];
  freshness: 'Current';
}

export interface APIGroupDiscovery {
  /** Go's ObjectMeta: name omitted for the core group; creationTimestamp serialized as null (as 1.33 does). */
  metadata: { name?: string; creationTimestamp: null };
  versions: APIVersionDiscovery[];
}

export interface APIGroupDiscoveryList {
  kind: 'APIGroupDiscoveryList';
  apiVersion: string;
  metadata: Record<string, never>;
  items: APIGroupDiscovery[];
}

function resourceDiscovery(def: ResourceDef, opts: DiscoveryOptions): APIResourceDiscovery {
  const r: APIResourceDiscovery = {
    resource: def.plural,
    responseKind: { group: def.group, version: def.version, kind: def.kind },
    scope: def.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: def.singular,
    verbs: verbsOf(def),
  };
  if (def.shortNames?.length) r.shortNames = [...def.shortNames];
  if (def.categories?.length) r.categories = [...def.categories];
  const subs = subresourcesOf(def, opts.extraSubresources);
  if (subs.length > 0) {
    r.subresources = subs.map((s) => ({
      subresource: s.name,
      responseKind: { group: s.group, version: s.version, kind: s.kind },
      verbs: [...s.verbs],
    }));
  }
  return r;
}

/**
 * The APIGroupDiscoveryList for `/api` (scope 'api': the core group only) or `/apis` (every other group), as
 * apidiscovery.k8s.io/<version>. v2 and v2beta1 differ only in apiVersion. Groups in upstream priority order,
 * versions preferred first, resources sorted; every version is "Current" (we serve it ourselves).
 * client-go rebuilds the legacy lists from this, so responseKind is always a full group/version/kind.
 */
export function aggregatedDiscovery(
  catalogue: readonly ResourceDef[],
  scope: 'api' | 'apis',
  version: 'v2' | 'v2beta1',
  opts: DiscoveryOptions = {},
): APIGroupDiscoveryList {
  const groups = groupCatalogue(catalogue).filter((g) => (scope === 'api') === (g.name === ''));
  return {
    kind: DISCOVERY_KIND,
    apiVersion: `${DISCOVERY_GROUP}/${version}`,
    metadata: {},
    items: groups.map((g) => ({
      metadata: g.name === '' ? { creationTimestamp: null } : { name: g.name, creationTimestamp: null },
      versions: g.versions.map((v) => {
        const out: APIVersionDiscovery = { version: v.version, freshness: 'Current' };
        if (v.defs.length > 0) {
          // Field order as upstream: version, resources, freshness.
          return { version: v.version, resources: v.defs.map((d) => resourceDiscovery(d, opts)), freshness: 'Current' };
        }
        return out;
      }),
    })),
  };
}
