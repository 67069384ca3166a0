// Field sets of server-side apply (structured-merge-diff's fieldpath): a trie of path elements that is FieldsV1.
import { goJsonMarshal } from '../selectors/go-format.ts';

/**
 * One path element in its FieldsV1 spelling: `f:<field or map key>`, `k:<JSON of the key fields, sorted>`,
 * `v:<JSON value>` (set items) or `i:<index>` (atomic-free lists without keys).
 */
export type PathElement = string;
export type Path = readonly PathElement[];

export function fieldPE(name: string): PathElement {
  return `f:${name}`;
}

export function keyPE(keys: Readonly<Record<string, unknown>>): PathElement {
  return `k:${goJsonMarshal(keys)}`;
}

export function valuePE(value: unknown): PathElement {
  return `v:${goJsonMarshal(value)}`;
}

export function indexPE(i: number): PathElement {
  return `i:${i}`;
}

const ORDER: Readonly<Record<string, number>> = { f: 0, k: 1, v: 2, i: 3 };

/** structured-merge-diff's PathElement order: fields, then keys, values, indexes; by text within a kind. */
function comparePE(a: string, b: string): number {
  const ka = ORDER[a[0]!] ?? 9;
  const kb = ORDER[b[0]!] ?? 9;
  if (ka !== kb) return ka - kb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `.spec.template.spec.containers[name="c"].image`, as fieldpath.Path.String() prints a path. */
export function pathString(path: Path): string {
  let out = '';
  for (const pe of path) {
    const body = pe.slice(2);
    switch (pe[0]) {
      case 'f':
        out += `.${body}`;
        break;
      case 'k': {
        const keys = JSON.parse(body) as Record<string, unknown>;
        out += `[${Object.keys(keys)
          .sort()
          .map((k) => `${k}=${goJsonMarshal(keys[k])}`)
          .join(',')}]`;
        break;
      }
      case 'v':
        out += `[=${body}]`;
        break;
      default:
        out += `[${body}]`;
    }
  }
  return out;
}

/** A set of paths, kept as a trie; a node is a member when `member` is set (FieldsV1 `.` or a `{}` leaf). */
export class FieldSet {
  member = false;
  readonly children = new Map<PathElement, FieldSet>();

  static fromFieldsV1(v: unknown): FieldSet {
    const set = new FieldSet();
    set.#read(v);
    return set;
  }

  #read(v: unknown): void {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return;
    const keys = Object.keys(v);
    if (keys.length === 0) this.member = true;
    for (const k of keys) {
      if (k === '.') {
        this.member = true;
        continue;
      }
      const child = new FieldSet();
      child.#read((v as Record<string, unknown>)[k]);
      this.children.set(k, child);
    }
  }

  /** The FieldsV1 JSON of this set (children sorted as upstream serializes them). */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size > 0) out['.'] = {};
    for (const k of [...this.children.keys()].sort(comparePE)) {
      const child = this.children.get(k)!;
      if (!child.empty) out[k] = child.toFieldsV1();
    }
    return out;
  }

  get empty(): boolean {
    if (this.member) return false;
    for (const c of this.children.values()) if (!c.empty) return false;
    return true;
  }

  insert(path: Path): void {
    let node: FieldSet = this;
    for (const pe of path) {
      let next = node.children.get(pe);
      if (!next) {
        next = new FieldSet();
        node.children.set(pe, next);
      }
      node = next;
    }
    node.member = true;
  }

  has(path: Path): boolean {
    let node: FieldSet | undefined = this;
    for (const pe of path) {
      node = node.children.get(pe);
      if (!node) return false;
    }
    return node.member;
  }

  /** True when some member lies at or below `path`. */
  hasPrefix(path: Path): boolean {
    let node: FieldSet | undefined = this;
    for (const pe of path) {
      node = node.children.get(pe);
      if (!node) return false;
    }
    return !node.empty;
  }

  /** Every member path, depth first. */
  *paths(prefix: PathElement[] = []): Generator<Path> {
    if (this.member && prefix.length > 0) yield [...prefix];
    for (const k of [...this.children.keys()].sort(comparePE)) {
      prefix.push(k);
      yield* this.children.get(k)!.paths(prefix);
      prefix.pop();
    }
  }

  // The set operations below walk the tries side by side instead of enumerating sorted paths and re-inserting
  // them: same members, no sorting, no path copies. Results never hold this root's own flag (paths() never
  // yields the root) nor nodes without a member below them.

  union(other: FieldSet): FieldSet {
    const out = this.clone();
    mergeMembers(other, out);
    return out;
  }

  difference(other: FieldSet): FieldSet {
    const out = new FieldSet();
    combine(this, other, out, false);
    return out;
  }

  intersection(other: FieldSet): FieldSet {
    const out = new FieldSet();
    combine(this, other, out, true);
    return out;
  }

  /** The members for which `keep` holds; `keep` sees a path it must not retain (it is reused). */
  filter(keep: (p: Path) => boolean): FieldSet {
    const out = new FieldSet();
    filterMembers(this, keep, [], out);
    return out;
  }

  clone(): FieldSet {
    const out = new FieldSet();
    mergeMembers(this, out);
    return out;
  }
}

/** Adds src's members below it to dst; true when src has any. */
function mergeMembers(src: FieldSet, dst: FieldSet): boolean {
  let any = false;
  for (const [pe, c] of src.children) {
    const existing = dst.children.get(pe);
    const d = existing ?? new FieldSet();
    const below = mergeMembers(c, d);
    if (c.member) d.member = true;
    if (below || c.member) {
      any = true;
      if (!existing) dst.children.set(pe, d);
    }
  }
  return any;
}

/** Puts into dst the members below src that are (intersect) or are not (difference) members of other. */
function combine(src: FieldSet, other: FieldSet | undefined, dst: FieldSet, intersect: boolean): boolean {
  let any = false;
  for (const [pe, c] of src.children) {
    const o = other?.children.get(pe);
    if (intersect && !o) continue;
    const d = new FieldSet();
    const below = combine(c, o, d, intersect);
    const member = c.member && (intersect ? !!o?.member : !o?.member);
    if (member) d.member = true;
    if (below || member) {
      any = true;
      dst.children.set(pe, d);
    }
  }
  return any;
}

function filterMembers(src: FieldSet, keep: (p: Path) => boolean, prefix: PathElement[], dst: FieldSet): boolean {
  let any = false;
  for (const [pe, c] of src.children) {
    prefix.push(pe);
    const d = new FieldSet();
    const below = filterMembers(c, keep, prefix, d);
    const member = c.member && keep(prefix);
    prefix.pop();
    if (member) d.member = true;
    if (below || member) {
      any = true;
      dst.children.set(pe, d);
    }
  }
  return any;
}
