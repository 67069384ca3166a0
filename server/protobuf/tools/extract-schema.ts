// Dev tool: regenerates server/protobuf/schema/*.ts from the Go type data (struct tags) inside a kubectl binary.
//
// Why a binary: a Go program keeps every reflected struct's field names, types and tags
// (`json:"x,omitempty" protobuf:"bytes,3,opt,name=x"`) for encoding/json. Those tags are exactly the wire facts the
// decoder needs — protobuf numbers, JSON names, omitempty, pointer vs value — so the table is read mechanically
// instead of transcribed by hand. Usage (x86-64 ELF, non-PIE Go ≥ 1.24, as the kubectl builds we test with):
//
//   npx tsx server/protobuf/tools/extract-schema.ts /usr/lib/google-cloud-sdk/bin/kubectl.1.33
//
// The output is our own compact notation (see schema/notation.ts); no upstream file is copied.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { ROOT_KINDS } from '../schema/roots.ts';

interface Section {
  name: string;
  addr: number;
  off: number;
  size: number;
}

/** Reads Go runtime type descriptors (internal/abi.Type and friends) out of a static ELF executable. */
class GoTypes {
  readonly #buf: Buffer;
  readonly #sections: Section[] = [];
  readonly #typesBase: number;
  /** Named struct types reachable through pointer types in the typelinks table, keyed `pkgpath.Name`. */
  readonly structs = new Map<string, number>();

  constructor(buf: Buffer) {
    this.#buf = buf;
    if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 2) throw new Error('not an ELF64 file');
    const shoff = Number(buf.readBigUInt64LE(0x28));
    const shentsize = buf.readUInt16LE(0x3a);
    const shnum = buf.readUInt16LE(0x3c);
    const strtab = Number(buf.readBigUInt64LE(shoff + buf.readUInt16LE(0x3e) * shentsize + 0x18));
    for (let i = 0; i < shnum; i++) {
      const h = shoff + i * shentsize;
      const nameStart = strtab + buf.readUInt32LE(h);
      const name = buf.toString('latin1', nameStart, buf.indexOf(0, nameStart));
      this.#sections.push({ name, addr: Number(buf.readBigUInt64LE(h + 0x10)), off: Number(buf.readBigUInt64LE(h + 0x18)), size: Number(buf.readBigUInt64LE(h + 0x20)) });
    }
    const rodata = this.#section('.rodata');
    const typelink = this.#section('.typelink');
    // The linker places runtime.types (the base of every NameOff/TypeOff) at the start of .rodata.
    this.#typesBase = rodata.addr;
    for (let i = 0; i < typelink.size; i += 4) {
      const t = this.#typesBase + buf.readInt32LE(typelink.off + i);
      if (this.kind(t) !== Kind.Pointer) continue;
      const e = this.elem(t);
      if (this.kind(e) !== Kind.Struct) continue;
      const { pkg, name } = this.typeName(e);
      if (pkg) this.structs.set(`${pkg}.${name}`, e);
    }
  }

  #section(name: string): Section {
    const s = this.#sections.find((x) => x.name === name);
    if (!s) throw new Error(`no ${name} section`);
    return s;
  }

  #at(addr: number): number {
    for (const s of this.#sections) if (s.addr && addr >= s.addr && addr < s.addr + s.size) return addr - s.addr + s.off;
    throw new Error(`address 0x${addr.toString(16)} is in no section`);
  }

  #u64(addr: number): number {
    return Number(this.#buf.readBigUInt64LE(this.#at(addr)));
  }

  /** A runtime name: flags byte, varint length, bytes, then (flag 2) a varint-length tag. */
  #name(addr: number): { name: string; tag: string; embedded: boolean } {
    const b = this.#buf;
    let p = this.#at(addr);
    const flags = b[p++];
    const read = (): string => {
      let len = 0;
      for (let shift = 0; ; shift += 7) {
        const x = b[p++];
        len |= (x & 0x7f) << shift;
        if (!(x & 0x80)) break;
      }
      const s = b.toString('utf8', p, p + len);
      p += len;
      return s;
    };
    const name = read();
    const tag = flags & 2 ? read() : '';
    return { name, tag, embedded: (flags & 8) !== 0 };
  }

  kind(t: number): number {
    return this.#buf[this.#at(t) + 23] & 31;
  }

  elem(t: number): number {
    return this.#u64(t + 48);
  }

  /** Map value type (key is at +48, like elem). */
  mapValue(t: number): number {
    return this.#u64(t + 56);
  }

  /** Package path (from the uncommon section) and bare name of a named type; pkg '' for unnamed types. */
  typeName(t: number): { pkg: string; name: string } {
    const p = this.#at(t);
    const tflag = this.#buf[p + 20];
    let name = this.#name(this.#typesBase + this.#buf.readInt32LE(p + 40)).name;
    if (tflag & 2) name = name.slice(1);
    if (!(tflag & 4) || !(tflag & 1)) return { pkg: '', name };
    const kind = this.kind(t);
    const uncommonAt = kind === Kind.Struct ? 80 : kind === Kind.Pointer || kind === Kind.Slice ? 56 : kind === Kind.Map ? 112 : kind === Kind.Interface ? 80 : 48;
    const pkgOff = this.#buf.readInt32LE(p + uncommonAt);
    const pkg = pkgOff ? this.#name(this.#typesBase + pkgOff).name : '';
    return { pkg, name: name.slice(name.indexOf('.') + 1) };
  }

  fields(t: number): { name: string; tag: string; embedded: boolean; type: number }[] {
    const ptr = this.#u64(t + 56);
    const len = this.#u64(t + 64);
    const out = [];
    for (let i = 0; i < len; i++) out.push({ ...this.#name(this.#u64(ptr + i * 24)), type: this.#u64(ptr + i * 24 + 8) });
    return out;
  }
}

const Kind = { Bool: 1, Int32: 5, Int64: 6, Uint8: 8, Float64: 14, Interface: 20, Map: 21, Pointer: 22, Slice: 23, String: 24, Struct: 25 } as const;

const SPECIAL: Record<string, string> = {
  'k8s.io/apimachinery/pkg/apis/meta/v1.Time': 'time',
  'k8s.io/apimachinery/pkg/apis/meta/v1.MicroTime': 'mtime',
  'k8s.io/apimachinery/pkg/apis/meta/v1.Duration': 'dur',
  'k8s.io/apimachinery/pkg/apis/meta/v1.FieldsV1': 'fv1',
  'k8s.io/apimachinery/pkg/util/intstr.IntOrString': 'ios',
  'k8s.io/apimachinery/pkg/api/resource.Quantity': 'q',
  'k8s.io/apimachinery/pkg/runtime.RawExtension': 'raw',
};

/** Our message naming: `<group>.<version>.<Type>` (`meta.v1.ObjectMeta`, `core.v1.PodSpec`). */
function messageName(pkg: string, name: string): string {
  const api = /^k8s\.io\/api\/([a-z0-9]+)\/(v[a-z0-9]+)$/.exec(pkg);
  if (api) return `${api[1]}.${api[2]}.${name}`;
  if (pkg === 'k8s.io/apimachinery/pkg/apis/meta/v1') return `meta.v1.${name}`;
  throw new Error(`type ${pkg}.${name} has no message naming rule`);
}

function parseTag(tag: string, key: string): string | undefined {
  const m = new RegExp(`(?:^| )${key}:"([^"]*)"`).exec(tag);
  return m?.[1];
}

function extract(go: GoTypes): Map<string, string> {
  const messages = new Map<string, string>();
  const queue: number[] = [];
  const seen = new Set<number>();
  const problems: string[] = [];

  const typeCode = (t: number, where: string): string => {
    const kind = go.kind(t);
    switch (kind) {
      case Kind.String:
        return 's';
      case Kind.Bool:
        return 'b';
      case Kind.Int32:
        return 'i32';
      case Kind.Int64:
        return 'i64';
      case Kind.Float64:
        return 'f64';
      case Kind.Pointer: {
        const inner = typeCode(go.elem(t), where);
        if (/^[*[{~]/.test(inner) || inner === 'bytes') throw new Error(`${where}: pointer to ${inner} is not modelled`);
        return `*${inner}`;
      }
      case Kind.Slice: {
        const e = go.elem(t);
        if (go.kind(e) === Kind.Uint8) return 'bytes';
        const inner = typeCode(e, where);
        if (/^[*[{~]/.test(inner)) throw new Error(`${where}: slice of ${inner} is not modelled`);
        // A named slice type (authentication's ExtraValue, meta's Verbs) is its own wrapper message
        // {repeated items = 1}; unnamed slices are plain repeated fields whatever their tag says (some say `opt`).
        return go.typeName(t).pkg ? `~${inner}` : `[]${inner}`;
      }
      case Kind.Map: {
        // Map values are decided by their Go type alone; a named slice value is again a wrapper message.
        const inner = typeCode(go.mapValue(t), where);
        if (/^[*[{]/.test(inner)) throw new Error(`${where}: map of ${inner} is not modelled`);
        return `{}${inner}`;
      }
      case Kind.Struct: {
        const { pkg, name } = go.typeName(t);
        const special = SPECIAL[`${pkg}.${name}`];
        if (special) return special;
        const msg = messageName(pkg, name);
        if (!seen.has(t)) {
          seen.add(t);
          queue.push(t);
        }
        return msg;
      }
      default:
        throw new Error(`${where}: Go kind ${kind} is not modelled`);
    }
  };

  const describe = (t: number): string => {
    const { pkg, name } = go.typeName(t);
    const msg = messageName(pkg, name);
    const parts: string[] = [];
    for (const f of go.fields(t)) {
      const json = parseTag(f.tag, 'json');
      const proto = parseTag(f.tag, 'protobuf');
      const where = `${msg}.${f.name}`;
      if (json === '-') {
        if (proto) throw new Error(`${where} is on the wire but not in JSON`);
        continue;
      }
      const [jsonName = '', ...opts] = (json ?? '').split(',');
      const inline = opts.includes('inline') || (f.embedded && json === undefined);
      // TypeMeta carries apiVersion/kind, which the protobuf envelope (runtime.Unknown) holds instead.
      if (inline && go.typeName(f.type).name === 'TypeMeta') continue;
      if (json === undefined && !f.embedded) {
        if (proto) throw new Error(`${where} has a protobuf tag but no json tag`);
        continue;
      }
      const no = proto ? Number(proto.split(',')[1]) : 0;
      if (!proto) problems.push(`${where} has no protobuf tag (JSON zero value only)`);
      const code = typeCode(f.type, where);
      if (opts.includes('omitzero')) throw new Error(`${where}: omitzero is not modelled`);
      const suffix = opts.includes('omitempty') ? '?' : '';
      parts.push(`${inline ? '' : jsonName}${suffix}=${no}:${code}`);
    }
    return parts.join(' ');
  };

  for (const root of ROOT_KINDS) {
    const [group, version, kind] = root.split('/');
    const pkg = group === 'meta' ? 'k8s.io/apimachinery/pkg/apis/meta/v1' : `k8s.io/api/${group}/${version}`;
    const t = go.structs.get(`${pkg}.${kind}`);
    if (t === undefined) throw new Error(`${pkg}.${kind} not found in the binary`);
    typeCode(t, root);
  }
  while (queue.length) {
    const t = queue.shift()!;
    const { pkg, name } = go.typeName(t);
    messages.set(messageName(pkg, name), describe(t));
  }
  for (const p of problems) console.error(`note: ${p}`);
  return messages;
}

function render(header: string, messages: [string, string][]): string {
  const lines = messages.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, fields]) => `  '${name}': '${fields}',`);
  return `${header}\n// Generated by server/protobuf/tools/extract-schema.ts; regenerate rather than edit by hand.\nexport default {\n${lines.join('\n')}\n} as const satisfies Record<string, string>;\n`;
}

function main(): void {
  const binary = process.argv[2];
  if (!binary) throw new Error('usage: extract-schema.ts <kubectl binary>');
  const messages = [...extract(new GoTypes(readFileSync(binary)))];
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'schema');
  const core = messages.filter(([n]) => n.startsWith('core.'));
  const meta = messages.filter(([n]) => n.startsWith('meta.'));
  const rest = messages.filter(([n]) => !n.startsWith('core.') && !n.startsWith('meta.'));
  writeFileSync(join(dir, 'core-v1.ts'), render('// Wire schema of core/v1 messages in our notation (see notation.ts): field → number and JSON shape.', core));
  writeFileSync(join(dir, 'meta-v1.ts'), render('// Wire schema of meta/v1 messages in our notation (see notation.ts): field → number and JSON shape.', meta));
  writeFileSync(join(dir, 'groups.ts'), render('// Wire schema of the named API groups\' messages in our notation (see notation.ts): field → number and JSON shape.', rest));
  console.error(`wrote ${messages.length} messages (${core.length} core, ${meta.length} meta, ${rest.length} other)`);
}

main();
