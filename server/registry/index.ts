// The served resource catalogue: every ResourceDef, lookups, and API groups in upstream's discovery order.
import type { ResourceDef } from './types.ts';
import { coreResources } from './core.ts';
import { appsResources } from './apps.ts';
import { batchResources } from './batch.ts';
import { eventsV1Events } from './events.ts';
import { rbacResources } from './rbac.ts';
import { endpointslices, leases, poddisruptionbudgets, priorityclasses } from './small-groups.ts';
import { authReviewResources } from './auth-reviews.ts';
import { storageclasses } from './storage.ts';
import { metricsResources } from '../metrics/resources.ts';

/**
 * Upstream kube-apiserver's group/version priorities (cmd/kube-apiserver aggregator table): /apis lists
 * groups by group priority (descending), ties by name. Includes groups we do not serve, so that other layers can
 * place them. Within a group, discovery orders versions kube-aware (server/discovery/groups.ts), which gives the
 * same preferred version as these version priorities for every built-in group.
 */
export const API_VERSION_PRIORITIES: readonly { group: string; version: string; groupPriority: number; versionPriority: number }[] = [
  { group: '', version: 'v1', groupPriority: 18000, versionPriority: 1 },
  { group: 'apiregistration.k8s.io', version: 'v1', groupPriority: 18000, versionPriority: 15 },
  { group: 'apps', version: 'v1', groupPriority: 17800, versionPriority: 15 },
  { group: 'events.k8s.io', version: 'v1', groupPriority: 17750, versionPriority: 15 },
  { group: 'authentication.k8s.io', version: 'v1', groupPriority: 17700, versionPriority: 15 },
  { group: 'authorization.k8s.io', version: 'v1', groupPriority: 17600, versionPriority: 15 },
  { group: 'autoscaling', version: 'v2', groupPriority: 17500, versionPriority: 30 },
  { group: 'autoscaling', version: 'v1', groupPriority: 17500, versionPriority: 15 },
  { group: 'batch', version: 'v1', groupPriority: 17400, versionPriority: 15 },
  { group: 'certificates.k8s.io', version: 'v1', groupPriority: 17300, versionPriority: 15 },
  { group: 'networking.k8s.io', version: 'v1', groupPriority: 17200, versionPriority: 15 },
  { group: 'policy', version: 'v1', groupPriority: 17100, versionPriority: 15 },
  { group: 'rbac.authorization.k8s.io', version: 'v1', groupPriority: 17000, versionPriority: 15 },
  { group: 'storage.k8s.io', version: 'v1', groupPriority: 16800, versionPriority: 15 },
  { group: 'admissionregistration.k8s.io', version: 'v1', groupPriority: 16700, versionPriority: 15 },
  { group: 'apiextensions.k8s.io', version: 'v1', groupPriority: 16700, versionPriority: 15 },
  { group: 'scheduling.k8s.io', version: 'v1', groupPriority: 16600, versionPriority: 15 },
  { group: 'coordination.k8s.io', version: 'v1', groupPriority: 16500, versionPriority: 15 },
  { group: 'node.k8s.io', version: 'v1', groupPriority: 16300, versionPriority: 15 },
  { group: 'discovery.k8s.io', version: 'v1', groupPriority: 16200, versionPriority: 15 },
  { group: 'flowcontrol.apiserver.k8s.io', version: 'v1', groupPriority: 16100, versionPriority: 21 },
  { group: 'resource.k8s.io', version: 'v1beta1', groupPriority: 15900, versionPriority: 9 },
  // Not built in upstream: metrics-server's APIService declares these.
  { group: 'metrics.k8s.io', version: 'v1beta1', groupPriority: 100, versionPriority: 100 },
  { group: 'internal.apiserver.k8s.io', version: 'v1alpha1', groupPriority: 30, versionPriority: 9 },
];

/** A group's GroupPriorityMinimum; a group not in the table gets 1000, as an APIService (a CRD's group) would. */
export function groupPriority(group: string): number {
  return API_VERSION_PRIORITIES.find((x) => x.group === group)?.groupPriority ?? 1000;
}

/** A group's place in /apis (lower sorts first): by priority, highest first, ties by name. */
export function groupRank(group: string): [number, string] {
  // The core group is served at /api, before every named group.
  return [group === '' ? Number.NEGATIVE_INFINITY : -groupPriority(group), group];
}

function compareGroups(a: string, b: string): number {
  const [pa, na] = groupRank(a);
  const [pb, nb] = groupRank(b);
  if (pa !== pb) return pa - pb;
  return na < nb ? -1 : na > nb ? 1 : 0;
}

const unordered: readonly ResourceDef[] = [
  ...coreResources,
  ...appsResources,
  eventsV1Events,
  ...batchResources,
  poddisruptionbudgets,
  ...rbacResources,
  priorityclasses,
  leases,
  endpointslices,
  storageclasses,
  ...authReviewResources,
  ...metricsResources,
];

/** Every served resource, grouped in discovery order (core, then groups by upstream priority), alphabetical within a group. */
export const resources: readonly ResourceDef[] = [...unordered].sort((a, b) => compareGroups(a.group, b.group) || (a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0));

const byPath = new Map(resources.map((d) => [`${d.group}/${d.version}/${d.plural}`, d]));
const byKind = new Map(resources.map((d) => [`${d.group}/${d.kind}`, d]));

/** The resource served at /api[s]/<group>/<version>/<plural>, if any. */
export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return byPath.get(`${group}/${version}/${plural}`);
}

/** The resource of a kind in a group (its preferred version), if any. */
export function findByKind(group: string, kind: string): ResourceDef | undefined {
  return byKind.get(`${group}/${kind}`);
}
