// SPDY/3.1 framing: the frame codec and the header-block compression (zlib with SPDY/3's dictionary, one context per direction).
import { adler32 } from './adler32.ts';
import { inflateSync, constants as zlibConstants } from 'node:zlib';

/**
 * The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1): protocol data, 1423 bytes,
 * Adler-32 0xe3c6a7c2. Both ends prime zlib with it.
 */
export const SPDY_DICTIONARY = Buffer.from([
  'AAAAB29wdGlvbnMAAAAEaGVhZAAAAARwb3N0AAAAA3B1dAAAAAZkZWxldGUAAAAFdHJhY2UAAAAGYWNjZXB0AAAADmFjY2VwdC1jaGFyc2V0AAAA',
  'D2FjY2VwdC1lbmNvZGluZwAAAA9hY2NlcHQtbGFuZ3VhZ2UAAAANYWNjZXB0LXJhbmdlcwAAAANhZ2UAAAAFYWxsb3cAAAANYXV0aG9yaXphdGlv',
  'bgAAAA1jYWNoZS1jb250cm9sAAAACmNvbm5lY3Rpb24AAAAMY29udGVudC1iYXNlAAAAEGNvbnRlbnQtZW5jb2RpbmcAAAAQY29udGVudC1sYW5n',
  'dWFnZQAAAA5jb250ZW50LWxlbmd0aAAAABBjb250ZW50LWxvY2F0aW9uAAAAC2NvbnRlbnQtbWQ1AAAADWNvbnRlbnQtcmFuZ2UAAAAMY29udGVu',
  'dC10eXBlAAAABGRhdGUAAAAEZXRhZwAAAAZleHBlY3QAAAAHZXhwaXJlcwAAAARmcm9tAAAABGhvc3QAAAAIaWYtbWF0Y2gAAAARaWYtbW9kaWZp',
  'ZWQtc2luY2UAAAANaWYtbm9uZS1tYXRjaAAAAAhpZi1yYW5nZQAAABNpZi11bm1vZGlmaWVkLXNpbmNlAAAADWxhc3QtbW9kaWZpZWQAAAAIbG9j',
  'YXRpb24AAAAMbWF4LWZvcndhcmRzAAAABnByYWdtYQAAABJwcm94eS1hdXRoZW50aWNhdGUAAAATcHJveHktYXV0aG9yaXphdGlvbgAAAAVyYW5n',
  'ZQAAAAdyZWZlcmVyAAAAC3JldHJ5LWFmdGVyAAAABnNlcnZlcgAAAAJ0ZQAAAAd0cmFpbGVyAAAAEXRyYW5zZmVyLWVuY29kaW5nAAAAB3VwZ3Jh',
  'ZGUAAAAKdXNlci1hZ2VudAAAAAR2YXJ5AAAAA3ZpYQAAAAd3YXJuaW5nAAAAEHd3dy1hdXRoZW50aWNhdGUAAAAGbWV0aG9kAAAAA2dldAAAAAZz',
  'dGF0dXMAAAAGMjAwIE9LAAAAB3ZlcnNpb24AAAAISFRUUC8xLjEAAAADdXJsAAAABnB1YmxpYwAAAApzZXQtY29va2llAAAACmtlZXAtYWxpdmUA',
  'AAAGb3JpZ2luMTAwMTAxMjAxMjAyMjA1MjA2MzAwMzAyMzAzMzA0MzA1MzA2MzA3NDAyNDA1NDA2NDA3NDA4NDA5NDEwNDExNDEyNDEzNDE0NDE1',
  'NDE2NDE3NTAyNTA0NTA1MjAzIE5vbi1BdXRob3JpdGF0aXZlIEluZm9ybWF0aW9uMjA0IE5vIENvbnRlbnQzMDEgTW92ZWQgUGVybWFuZW50bHk0',
  'MDAgQmFkIFJlcXVlc3Q0MDEgVW5hdXRob3JpemVkNDAzIEZvcmJpZGRlbjQwNCBOb3QgRm91bmQ1MDAgSW50ZXJuYWwgU2VydmVyIEVycm9yNTAx',
  'IE5vdCBJbXBsZW1lbnRlZDUwMyBTZXJ2aWNlIFVuYXZhaWxhYmxlSmFuIEZlYiBNYXIgQXByIE1heSBKdW4gSnVsIEF1ZyBTZXB0IE9jdCBOb3Yg',
  'RGVjIDAwOjAwOjAwIE1vbiwgVHVlLCBXZWQsIFRodSwgRnJpLCBTYXQsIFN1biwgR01UY2h1bmtlZCx0ZXh0L2h0bWwsaW1hZ2UvcG5nLGltYWdl',
  'L2pwZyxpbWFnZS9naWYsYXBwbGljYXRpb24veG1sLGFwcGxpY2F0aW9uL3hodG1sK3htbCx0ZXh0L3BsYWluLHRleHQvamF2YXNjcmlwdCxwdWJs',
  'aWNwcml2YXRlbWF4LWFnZT1nemlwLGRlZmxhdGUsc2RjaGNoYXJzZXQ9dXRmLThjaGFyc2V0PWlzby04ODU5LTEsdXRmLSwqLGVucT0wLg==',
].join(''), 'base64');

export const SPDY_VERSION = 3;
export const FrameType = { synStream: 1, synReply: 2, rstStream: 3, settings: 4, ping: 6, goAway: 7, headers: 8, windowUpdate: 9 } as const;
export const FLAG_FIN = 0x01;
export const FLAG_UNIDIRECTIONAL = 0x02;
/** RST_STREAM status codes (SPDY/3 §2.4.2). */
export const RstStatus = { protocolError: 1, invalidStream: 2, refusedStream: 3, unsupportedVersion: 4, cancel: 5, internalError: 6 } as const;
/** The largest frame payload we accept (the 24-bit length allows 16 MiB). */
export const MAX_FRAME_PAYLOAD = 0xffffff;

/** Header names are lowercase (SPDY/3 §2.6.10); a name may carry several values (NUL-joined on the wire). */
export type HeaderBlock = Record<string, string[]>;

export type SpdyFrame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'synStream'; streamId: number; associatedTo: number; priority: number; flags: number; headers: HeaderBlock }
  | { type: 'synReply'; streamId: number; flags: number; headers: HeaderBlock }
  | { type: 'rstStream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; entries: Array<{ flags: number; id: number; value: number }> }
  | { type: 'ping'; id: number }
  | { type: 'goAway'; lastGoodStreamId: number; status: number }
  | { type: 'headers'; streamId: number; flags: number; headers: HeaderBlock }
  | { type: 'windowUpdate'; streamId: number; delta: number };

export class SpdyProtocolError extends Error {}

function encodeHeaderBlock(headers: HeaderBlock): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const names = Object.keys(headers);
  parts.push(u32(names.length));
  for (const name of names) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(headers[name]!.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

function decodeHeaderBlock(raw: Buffer): HeaderBlock {
  const out: HeaderBlock = {};
  let off = 0;
  const u32 = (): number => {
    if (off + 4 > raw.length) throw new SpdyProtocolError('truncated header block');
    const n = raw.readUInt32BE(off);
    off += 4;
    return n;
  };
  const str = (): string => {
    const len = u32();
    if (off + len > raw.length) throw new SpdyProtocolError('truncated header block');
    const s = raw.toString('utf8', off, off + len);
    off += len;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = str();
    out[name] = str().split('\0');
  }
  return out;
}

const SYNC_FLUSH_MARKER = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

/**
 * The sending side's zlib context. Blocks are written as stored (uncompressed) deflate blocks, which every
 * inflater reading with the SPDY dictionary accepts: the stream starts with a zlib header naming the dictionary,
 * and each header block is byte-aligned and ends with a sync-flush marker, as a peer flushing zlib writes it.
 */
export class HeaderCompressor {
  #started = false;

  compress(block: HeaderBlock): Buffer {
    const raw = encodeHeaderBlock(block);
    const parts: Buffer[] = [];
    if (!this.#started) {
      this.#started = true;
      // CMF 0x78 (deflate, 32K window); FLG with FDICT, FCHECK making (CMF*256+FLG) % 31 == 0.
      const cmf = 0x78;
      let flg = 0x20;
      flg += 31 - ((cmf * 256 + flg) % 31);
      const dictId = Buffer.alloc(4);
      dictId.writeUInt32BE(adler32(SPDY_DICTIONARY));
      parts.push(Buffer.from([cmf, flg]), dictId);
    }
    // The block always holds at least its 4-byte pair count, so there is at least one stored block.
    for (let off = 0; off < raw.length; off += 0xffff) {
      const chunk = raw.subarray(off, off + 0xffff);
      const hdr = Buffer.alloc(5);
      hdr[0] = 0x00; // BFINAL=0, BTYPE=00 (stored); the rest of the byte is padding
      hdr.writeUInt16LE(chunk.length, 1);
      hdr.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(hdr, chunk);
    }
    // The empty stored block a sync flush writes. Go's inflater hands out a stored block's bytes only once it has
    // read the next block header; without this marker it would read past the frame and fail for good.
    parts.push(SYNC_FLUSH_MARKER);
    return Buffer.concat(parts);
  }
}

/** Header blocks a connection may receive in total; SPDY peers send one small block per stream. */
const MAX_COMPRESSED_HEADER_BYTES = 1024 * 1024;

/**
 * The receiving side's zlib context. Node's synchronous inflate has no persistent state, so the whole compressed
 * history is inflated again for each block and the new output taken; the history is a few hundred bytes per
 * connection (one block per stream), bounded by MAX_COMPRESSED_HEADER_BYTES.
 */
export class HeaderDecompressor {
  #history: Buffer = Buffer.alloc(0);
  #produced = 0;

  decompress(compressed: Buffer): HeaderBlock {
    if (this.#history.length + compressed.length > MAX_COMPRESSED_HEADER_BYTES) throw new SpdyProtocolError('too many header bytes on one connection');
    this.#history = Buffer.concat([this.#history, compressed]);
    let out: Buffer;
    try {
      out = inflateSync(this.#history, { dictionary: SPDY_DICTIONARY, finishFlush: zlibConstants.Z_SYNC_FLUSH });
    } catch (e: unknown) {
      throw new SpdyProtocolError(`header decompression failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const block = out.subarray(this.#produced);
    this.#produced = out.length;
    return decodeHeaderBlock(block);
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE(((flags & 0xff) << 24 | payload.length) >>> 0, 4);
  return Buffer.concat([head, payload]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/**
 * Encodes and decodes the frames of one connection. The header compression contexts live here, so one framer
 * serves exactly one connection and frames must be encoded in the order they are written.
 */
export class SpdyFramer {
  readonly #compressor = new HeaderCompressor();
  readonly #decompressor = new HeaderDecompressor();
  #buf: Buffer = Buffer.alloc(0);
  #pending: Buffer[] = [];
  /** Bytes held: #buf plus #pending. */
  #held = 0;
  /** Bytes the frame at the head of #buf needs in total (0 when unknown). */
  #need = 0;

  encode(frame: SpdyFrame): Buffer {
    switch (frame.type) {
      case 'data': {
        if (frame.data.length > MAX_FRAME_PAYLOAD) throw new RangeError('data frame too large');
        const head = u32s(frame.streamId & 0x7fffffff, ((frame.flags & 0xff) << 24 | frame.data.length) >>> 0);
        return Buffer.concat([head, frame.data]);
      }
      case 'synStream': {
        const fixed = Buffer.alloc(10);
        fixed.writeUInt32BE(frame.streamId & 0x7fffffff, 0);
        fixed.writeUInt32BE(frame.associatedTo & 0x7fffffff, 4);
        fixed[8] = (frame.priority & 0x7) << 5;
        fixed[9] = 0; // credential slot
        return controlFrame(FrameType.synStream, frame.flags, Buffer.concat([fixed, this.#compressor.compress(frame.headers)]));
      }
      case 'synReply':
        return controlFrame(FrameType.synReply, frame.flags, Buffer.concat([u32s(frame.streamId & 0x7fffffff), this.#compressor.compress(frame.headers)]));
      case 'headers':
        return controlFrame(FrameType.headers, frame.flags, Buffer.concat([u32s(frame.streamId & 0x7fffffff), this.#compressor.compress(frame.headers)]));
      case 'rstStream':
        return controlFrame(FrameType.rstStream, 0, u32s(frame.streamId & 0x7fffffff, frame.status));
      case 'settings': {
        const body = Buffer.alloc(4 + frame.entries.length * 8);
        body.writeUInt32BE(frame.entries.length, 0);
        frame.entries.forEach((e, i) => {
          body.writeUInt32BE(((e.flags & 0xff) << 24 | (e.id & 0xffffff)) >>> 0, 4 + i * 8);
          body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
        });
        return controlFrame(FrameType.settings, frame.flags, body);
      }
      case 'ping':
        return controlFrame(FrameType.ping, 0, u32s(frame.id));
      case 'goAway':
        return controlFrame(FrameType.goAway, 0, u32s(frame.lastGoodStreamId & 0x7fffffff, frame.status));
      case 'windowUpdate':
        return controlFrame(FrameType.windowUpdate, 0, u32s(frame.streamId & 0x7fffffff, frame.delta & 0x7fffffff));
    }
  }

  /** Feeds received bytes; returns the complete frames (unknown control frame types are skipped, as SPDY/3 asks). */
  push(chunk: Buffer): SpdyFrame[] {
    // A large frame arrives in many chunks: collect them and join once it is complete, not once per chunk.
    this.#pending.push(chunk);
    this.#held += chunk.length;
    if (this.#held < this.#need) return [];
    this.#buf = Buffer.concat([this.#buf, ...this.#pending]);
    this.#pending = [];
    this.#need = 0;
    const frames: SpdyFrame[] = [];
    while (this.#buf.length >= 8) {
      const b = this.#buf;
      const length = b.readUInt32BE(4) & 0xffffff;
      if (b.length < 8 + length) {
        this.#need = 8 + length;
        break;
      }
      const flags = b[4]!;
      const payload = b.subarray(8, 8 + length);
      this.#buf = b.subarray(8 + length);
      if ((b[0]! & 0x80) === 0) {
        frames.push({ type: 'data', streamId: b.readUInt32BE(0) & 0x7fffffff, flags, data: Buffer.from(payload) });
        continue;
      }
      const version = b.readUInt16BE(0) & 0x7fff;
      if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}`);
      const frame = this.#decodeControl(b.readUInt16BE(2), flags, payload);
      if (frame) frames.push(frame);
    }
    this.#held = this.#buf.length;
    return frames;
  }

  #decodeControl(type: number, flags: number, p: Buffer): SpdyFrame | undefined {
    const need = (n: number): void => {
      if (p.length < n) throw new SpdyProtocolError(`control frame ${type} too short`);
    };
    switch (type) {
      case FrameType.synStream:
        need(10);
        return {
          type: 'synStream', streamId: p.readUInt32BE(0) & 0x7fffffff, associatedTo: p.readUInt32BE(4) & 0x7fffffff,
          priority: p[8]! >> 5, flags, headers: this.#decompressor.decompress(p.subarray(10)),
        };
      case FrameType.synReply:
        need(4);
        return { type: 'synReply', streamId: p.readUInt32BE(0) & 0x7fffffff, flags, headers: this.#decompressor.decompress(p.subarray(4)) };
      case FrameType.headers:
        need(4);
        return { type: 'headers', streamId: p.readUInt32BE(0) & 0x7fffffff, flags, headers: this.#decompressor.decompress(p.subarray(4)) };
      case FrameType.rstStream:
        need(8);
        return { type: 'rstStream', streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
      case FrameType.settings: {
        need(4);
        const n = p.readUInt32BE(0);
        need(4 + n * 8);
        const entries = Array.from({ length: n }, (_, i) => ({ flags: p[4 + i * 8]!, id: p.readUInt32BE(4 + i * 8) & 0xffffff, value: p.readUInt32BE(8 + i * 8) }));
        return { type: 'settings', flags, entries };
      }
      case FrameType.ping:
        need(4);
        return { type: 'ping', id: p.readUInt32BE(0) };
      case FrameType.goAway:
        need(4);
        return { type: 'goAway', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.length >= 8 ? p.readUInt32BE(4) : 0 };
      case FrameType.windowUpdate:
        need(8);
        return { type: 'windowUpdate', streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
      default:
        return undefined;
    }
  }
}
