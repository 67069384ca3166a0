// Revision hashes: FNV-32a over a canonical JSON encoding, printed with upstream's SafeEncodeString alphabet.
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** FNV-1a 32-bit of a UTF-8 string. */
export function fnv32a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** JSON with object keys sorted, so equal objects hash equally whatever their key order. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** rand.SafeEncodeString: each character mapped into an alphabet without vowels or look-alike digits. */
export function safeEncode(s: string): string {
  return [...s].map((c) => ALPHANUMS[c.charCodeAt(0) % ALPHANUMS.length]).join('');
}

/** controller.ComputeHash: a template (plus the collision count when set) as a short, safe string. */
export function computeHash(template: unknown, collisionCount?: number): string {
  const base = canonicalJson(template) + (collisionCount ? String(collisionCount) : '');
  return safeEncode(String(fnv32a(base)));
}
