// Groups the resource catalogue into API groups and versions, in the order upstream's discovery lists them.
import type { ResourceDef } from '../registry/types.ts';

export interface GroupVersionDefs {
  version: string;
  /** Resources of this group-version, sorted by plural (upstream lists them sorted by path). */
  defs: readonly ResourceDef[];
}

export interface GroupDefs {
  /** `''` for the core (legacy) group. */
  name: string;
  /** Preferred version first. */
  versions: readonly GroupVersionDefs[];
}

/**
 * The aggregator's GroupPriorityMinimum for built-in groups (k8s.io/kubernetes pkg/controlplane apiVersionPriorities):
 * /apis lists groups by this, highest first, ties by name. Unknown groups get 1000, as an APIService would.
 */
const GROUP_PRIORITY: Readonly<Record<string, number>> = {
  '': 18000,
  'apiregistration.k8s.io': 18000,
  apps: 17800,
  'events.k8s.io': 17750,
  'authentication.k8s.io': 17700,
  'authorization.k8s.io': 17600,
  autoscaling: 17500,
  batch: 17400,
  'certificates.k8s.io': 17300,
  'networking.k8s.io': 17200,
  policy: 17100,
  'rbac.authorization.k8s.io': 17000,
  'storage.k8s.io': 16800,
  'admissionregistration.k8s.io': 16700,
  'apiextensions.k8s.io': 16700,
  'scheduling.k8s.io': 16600,
  'coordination.k8s.io': 16500,
  'node.k8s.io': 16300,
  'discovery.k8s.io': 16200,
  'flowcontrol.apiserver.k8s.io': 16100,
  'resource.k8s.io': 15300,
  'storagemigration.k8s.io': 15000,
  // metrics-server's APIService (groupPriorityMinimum 100); tskube serves the group itself.
  'metrics.k8s.io': 100,
  'internal.apiserver.k8s.io': 30,
};

const KUBE_VERSION_RE = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/**
 * Upstream's CompareKubeAwareVersionStrings as a sort comparator: GA before beta before alpha, higher numbers
 * first (v2, v1, v2beta1, v1beta2, v1alpha1); non-kube-like versions last, by name.
 */
export function compareKubeVersions(a: string, b: string): number {
  const ma = KUBE_VERSION_RE.exec(a);
  const mb = KUBE_VERSION_RE.exec(b);
  if (!ma || !mb) {
    if (ma) return -1;
    if (mb) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  const stage = (m: RegExpExecArray): number => (m[2] === undefined ? 2 : m[2] === 'beta' ? 1 : 0);
  return (
    stage(mb) - stage(ma) ||
    Number(mb[1]) - Number(ma[1]) ||
    Number(mb[3] ?? 0) - Number(ma[3] ?? 0)
  );
}

/**
 * All groups of the catalogue: core first, then by upstream group priority (ties by name); each group's versions
 * in kube-aware order (preferred first); each version's resources sorted by plural. Pure; the input is not changed.
 */
export function groupCatalogue(catalogue: readonly ResourceDef[]): GroupDefs[] {
  const byGroup = new Map<string, Map<string, ResourceDef[]>>();
  for (const def of catalogue) {
    let versions = byGroup.get(def.group);
    if (!versions) byGroup.set(def.group, (versions = new Map()));
    let defs = versions.get(def.version);
    if (!defs) versions.set(def.version, (defs = []));
    defs.push(def);
  }
  const priority = (g: string): number => GROUP_PRIORITY[g] ?? 1000;
  return [...byGroup.keys()]
    .sort((a, b) => (a === '' ? -1 : b === '' ? 1 : priority(b) - priority(a) || (a < b ? -1 : a > b ? 1 : 0)))
    .map((name) => {
      const versions = byGroup.get(name)!;
      return {
        name,
        versions: [...versions.keys()].sort(compareKubeVersions).map((version) => ({
          version,
          defs: [...versions.get(version)!].sort((x, y) => (x.plural < y.plural ? -1 : x.plural > y.plural ? 1 : 0)),
        })),
      };
    });
}

/** The resources served at one group-version, or undefined if the catalogue has none there. */
export function defsOf(catalogue: readonly ResourceDef[], group: string, version: string): readonly ResourceDef[] | undefined {
  const g = groupCatalogue(catalogue).find((x) => x.name === group);
  return g?.versions.find((v) => v.version === version)?.defs;
}
