// Adler-32 (RFC 1950 §8.2), which a zlib stream header uses to name its preset dictionary.

/** The Adler-32 checksum of `data`, as an unsigned 32-bit integer. */
export function adler32(data: Uint8Array): number {
  const MOD = 65521;
  let a = 1;
  let b = 0;
  // 5552 bytes is the longest run that cannot overflow before the modulo (zlib's NMAX).
  for (let i = 0; i < data.length; ) {
    const end = Math.min(i + 5552, data.length);
    for (; i < end; i++) {
      a += data[i]!;
      b += a;
    }
    a %= MOD;
    b %= MOD;
  }
  return ((b << 16) | a) >>> 0;
}
