// Groups the resource catalogue into API groups and versions, in the order upstream's discovery lists them.
import type { ResourceDef } from '../registry/types.ts';
import { groupPriority } from '../registry/index.ts';

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
  return [...byGroup.keys()]
    .sort((a, b) => (a === '' ? -1 : b === '' ? 1 : groupPriority(b) - groupPriority(a) || (a < b ? -1 : a > b ? 1 : 0)))
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
