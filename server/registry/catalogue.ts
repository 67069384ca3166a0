// Lookup over the served resources: by REST path segment, by kind, and the groups in discovery order.
import type { ResourceDef } from './types.ts';

export interface GroupVersions {
  group: string;
  versions: string[];
}

export class Catalogue {
  readonly resources: readonly ResourceDef[];
  readonly #byPath = new Map<string, ResourceDef>();
  readonly #byKind = new Map<string, ResourceDef>();

  constructor(resources: readonly ResourceDef[]) {
    this.resources = resources;
    for (const def of resources) {
      this.#byPath.set(`${def.group}/${def.version}/${def.plural}`, def);
      this.#byKind.set(`${def.group}/${def.kind}`, def);
    }
  }

  find(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.#byPath.get(`${group}/${version}/${plural}`);
  }

  findByKind(group: string, kind: string): ResourceDef | undefined {
    return this.#byKind.get(`${group}/${kind}`);
  }

  /** Groups with their versions in declaration order (the catalogue lists them in upstream's discovery order). */
  groups(): GroupVersions[] {
    const out: GroupVersions[] = [];
    for (const def of this.resources) {
      let g = out.find((x) => x.group === def.group);
      if (!g) out.push((g = { group: def.group, versions: [] }));
      if (!g.versions.includes(def.version)) g.versions.push(def.version);
    }
    return out;
  }
}
