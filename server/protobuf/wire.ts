// Protobuf wire-format reading: varints and the (field number, wire type, payload) stream of one message.

/** Malformed input (400) or a message/encoding we do not model (415, `unsupported`). */
export class ProtobufDecodeError extends Error {
  readonly unsupported: boolean;

  constructor(message: string, unsupported = false) {
    super(message);
    this.name = 'ProtobufDecodeError';
    this.unsupported = unsupported;
  }
}

export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;

export type WireField =
  | { no: number; wireType: 0; value: bigint }
  | { no: number; wireType: 1; value: Uint8Array }
  | { no: number; wireType: 2; value: Uint8Array }
  | { no: number; wireType: 5; value: Uint8Array };

/** Reads one varint at `pos`; returns the unsigned 64-bit value and the position after it. */
export function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new ProtobufDecodeError('unexpected end of data in varint');
    const b = buf[pos++];
    result |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [BigInt.asUintN(64, result), pos];
    shift += 7n;
  }
  throw new ProtobufDecodeError('varint longer than 10 bytes');
}

/**
 * The fields of one message in wire order. Payloads are views into `buf` (no copy). Groups (wire types 3/4) are
 * rejected: no Kubernetes type uses them.
 */
export function* readFields(buf: Uint8Array): Generator<WireField> {
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    pos = afterKey;
    const no = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (no <= 0 || no > 0x1fffffff) throw new ProtobufDecodeError(`illegal field number ${no}`);
    switch (wireType) {
      case WireType.Varint: {
        const [value, next] = readVarint(buf, pos);
        pos = next;
        yield { no, wireType, value };
        break;
      }
      case WireType.Fixed64:
      case WireType.Fixed32: {
        const size = wireType === WireType.Fixed64 ? 8 : 4;
        if (pos + size > buf.length) throw new ProtobufDecodeError('unexpected end of data in fixed-size field');
        yield { no, wireType, value: buf.subarray(pos, pos + size) };
        pos += size;
        break;
      }
      case WireType.Bytes: {
        const [len, next] = readVarint(buf, pos);
        if (len > BigInt(buf.length - next)) throw new ProtobufDecodeError(`field ${no}: length ${len} runs past the end of the data`);
        pos = next + Number(len);
        yield { no, wireType, value: buf.subarray(next, pos) };
        break;
      }
      default:
        throw new ProtobufDecodeError(`field ${no}: unsupported wire type ${wireType}`);
    }
  }
}

/** Unpacks a packed repeated varint payload. */
export function readPackedVarints(buf: Uint8Array): bigint[] {
  const out: bigint[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [v, next] = readVarint(buf, pos);
    out.push(v);
    pos = next;
  }
  return out;
}

/** Concatenation, which for an embedded message is protobuf's merge of its occurrences. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  return Buffer.concat(chunks);
}
