// The protobuf schema table: message lookup by name and by the apiVersion/kind of a request body.
import core from './core-v1.ts';
import meta from './meta-v1.ts';
import groups from './groups.ts';
import { parseMessage, type MessageSpec } from './notation.ts';
import { GROUP_PACKAGES } from './roots.ts';

const TABLE: Readonly<Record<string, string>> = { ...core, ...meta, ...groups };
const parsed = new Map<string, MessageSpec>();

/** Every message name in the table. */
export function messageNames(): string[] {
  return Object.keys(TABLE);
}

/** The parsed schema of a message, or undefined when the table does not have it. */
export function messageSpec(name: string): MessageSpec | undefined {
  let spec = parsed.get(name);
  if (!spec) {
    const text = TABLE[name];
    if (text === undefined) return undefined;
    spec = parseMessage(name, text);
    parsed.set(name, spec);
  }
  return spec;
}

/**
 * Our message name for an apiVersion/kind (`apps/v1`, `Deployment` → `apps.v1.Deployment`), whether or not the
 * table has it; undefined for a group we have no naming for. DeleteOptions is registered in every group version
 * upstream and is always meta/v1's.
 */
export function messageNameForKind(apiVersion: string, kind: string): string | undefined {
  if (kind === 'DeleteOptions') return 'meta.v1.DeleteOptions';
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (slash < 0 && version !== 'v1') return undefined;
  const pkg = GROUP_PACKAGES[group];
  return pkg && version ? `${pkg}.${version}.${kind}` : undefined;
}
