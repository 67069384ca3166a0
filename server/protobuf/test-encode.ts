// Test helper: builds protobuf bytes by hand (field by field) so decoder tests state the wire layout explicitly.

export type Part = Buffer;

export function varintBytes(value: bigint | number): Buffer {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}

const key = (no: number, wireType: number): Buffer => varintBytes((no << 3) | wireType);

/** A varint field (ints, bools, enums); negatives are sign-extended to 64 bits as Go does. */
export const vint = (no: number, value: bigint | number | boolean): Part => Buffer.concat([key(no, 0), varintBytes(typeof value === 'boolean' ? (value ? 1 : 0) : value)]);

/** A length-delimited field with raw payload. */
export const bytes = (no: number, payload: Uint8Array): Part => Buffer.concat([key(no, 2), varintBytes(payload.length), payload]);

export const str = (no: number, s: string): Part => bytes(no, Buffer.from(s, 'utf8'));

/** An embedded message field. */
export const msg = (no: number, ...parts: Part[]): Part => bytes(no, Buffer.concat(parts));

export const double = (no: number, v: number): Part => {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return Buffer.concat([key(no, 1), b]);
};

/** One map entry {key = 1, value = 2} of a map field. */
export const entry = (no: number, k: string, value?: Part): Part => msg(no, str(1, k), ...(value ? [value] : []));

/** A complete Kubernetes protobuf body: magic + runtime.Unknown{typeMeta, raw}. */
export function kube(apiVersion: string, kind: string, ...raw: Part[]): Buffer {
  return Buffer.concat([Buffer.from('k8s\0', 'latin1'), msg(1, str(1, apiVersion), str(2, kind)), bytes(2, Buffer.concat(raw)), str(3, ''), str(4, '')]);
}
