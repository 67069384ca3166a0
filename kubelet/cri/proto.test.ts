// Checks our api.proto against upstream cri-api's, fetched from Debian's containerd sources when apt can reach them.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as protoLoader from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';

const OURS = fileURLToPath(new URL('./api.proto', import.meta.url));
const CACHE_DIR = fileURLToPath(new URL('../../.cache/cri', import.meta.url));
const UPSTREAM = `${CACHE_DIR}/api.proto`;
const FETCH = fileURLToPath(new URL('../../scripts/node/get-cri-proto.sh', import.meta.url));

/** Fetch upstream's api.proto into .cache/cri (about 2 s through apt); say why when it cannot be had. */
async function upstreamProto(): Promise<{ path?: string; why?: string }> {
  if (existsSync(UPSTREAM)) return { path: UPSTREAM };
  if (process.getuid?.() !== 0) return { why: 'not root: apt-get cannot fetch the containerd source package' };
  const why = await new Promise<string | undefined>((resolve) => {
    execFile('bash', [FETCH, CACHE_DIR], { timeout: 60_000 }, (error, _stdout, stderr) =>
      resolve(error ? `fetching it failed: ${stderr.trim().split('\n').pop() ?? error.message}` : undefined));
  });
  return existsSync(UPSTREAM) ? { path: UPSTREAM } : { why: why ?? 'fetch produced no file' };
}

// The parts of a descriptor we compare; proto-loader exposes DescriptorProto objects typed as `object`.
interface Field { name: string; number: number; label: string; type: string; typeName: string }
interface MessageDescriptor { field: Field[]; reservedRange: { start: number; end: number }[] }
interface EnumDescriptor { value: { name: string; number: number }[] }

const typeName = (t: protoLoader.MessageTypeDefinition<object, object>): string => (t.type as { name: string }).name;

function load(path: string): protoLoader.PackageDefinition {
  return protoLoader.loadSync(path, { keepCase: true });
}

function messages(def: protoLoader.PackageDefinition): Map<string, MessageDescriptor> {
  const out = new Map<string, MessageDescriptor>();
  for (const [name, d] of Object.entries(def)) {
    if ('format' in d && d.format === 'Protocol Buffer 3 DescriptorProto') out.set(name, d.type as MessageDescriptor);
  }
  return out;
}

function enums(def: protoLoader.PackageDefinition): Map<string, EnumDescriptor> {
  const out = new Map<string, EnumDescriptor>();
  for (const [name, d] of Object.entries(def)) {
    if ('format' in d && d.format === 'Protocol Buffer 3 EnumDescriptorProto') out.set(name, d.type as EnumDescriptor);
  }
  return out;
}

/** A field's wire identity: number, name, scalar/message/enum type, repeated-ness, and the referenced type. */
function signature(f: Field): string {
  return `${f.number} ${f.name} ${f.label} ${f.type} ${f.typeName.replace(/^\.?runtime\.v1\./, '')}`;
}

const upstream = await upstreamProto();

describe('our CRI proto', () => {
  it('loads, and declares the methods CriClient calls', () => {
    const def = load(OURS);
    const runtime = def['runtime.v1.RuntimeService'] as protoLoader.ServiceDefinition;
    const image = def['runtime.v1.ImageService'] as protoLoader.ServiceDefinition;
    expect(Object.keys(runtime)).toEqual(expect.arrayContaining(['Version', 'RunPodSandbox', 'ExecSync', 'PodSandboxStats', 'Status']));
    expect(Object.keys(image)).toEqual(expect.arrayContaining(['ImageStatus', 'PullImage', 'ImageFsInfo']));
    expect(runtime['Version']?.path).toBe('/runtime.v1.RuntimeService/Version');
  });
});

describe.skipIf(!upstream.path)(`our CRI proto against upstream cri-api (${upstream.why ?? 'from .cache/cri'})`, () => {
  const ours = load(OURS);
  const theirs = upstream.path ? load(upstream.path) : {};

  it.each([...messages(ours).keys()])('message %s matches upstream field by field', (name) => {
    const mine = messages(ours).get(name)!;
    const other = messages(theirs).get(name);
    expect(other, `${name} is not an upstream message`).toBeDefined();
    const upstreamFields = new Map(other!.field.map((f) => [f.number, signature(f)]));
    for (const f of mine.field) expect(signature(f)).toBe(upstreamFields.get(f.number));
    // Every upstream field we leave out must be reserved here, so its number is never reused by mistake.
    // (protobufjs reports a reserved range with an inclusive end.)
    const mineNumbers = new Set(mine.field.map((f) => f.number));
    for (const f of other!.field) {
      if (mineNumbers.has(f.number)) continue;
      const reserved = mine.reservedRange.some((r) => f.number >= r.start && f.number <= r.end);
      expect(reserved, `${name}.${f.name} (${f.number}) is neither declared nor reserved`).toBe(true);
    }
  });

  it.each([...enums(ours).keys()])('enum %s matches upstream', (name) => {
    const values = (d: EnumDescriptor | undefined) => d?.value.map((v) => `${v.name}=${v.number}`).sort();
    expect(values(enums(ours).get(name))).toEqual(values(enums(theirs).get(name)));
  });

  it.each(['RuntimeService', 'ImageService'])('service %s has upstream request and response types', (service) => {
    const mine = ours[`runtime.v1.${service}`] as protoLoader.ServiceDefinition;
    const other = theirs[`runtime.v1.${service}`] as protoLoader.ServiceDefinition;
    for (const [method, d] of Object.entries(mine)) {
      expect(other[method], `${service}.${method}`).toBeDefined();
      expect(d.path).toBe(other[method]!.path);
      expect(typeName(d.requestType)).toBe(typeName(other[method]!.requestType));
      expect(typeName(d.responseType)).toBe(typeName(other[method]!.responseType));
    }
  });
});
