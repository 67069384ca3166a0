// SPDY/3.1 framing: every frame type round-trips, header blocks interoperate with a real zlib using the SPDY dictionary.
import { constants, createDeflate, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adler32 } from './adler32.ts';
import { HeaderCompressor, HeaderDecompressor, SPDY_DICTIONARY, SpdyFramer, type SpdyFrame } from './spdy-frames.ts';

describe('SPDY dictionary', () => {
  it('is the 1423-byte SPDY/3 dictionary (Adler-32 0xe3c6a7c2)', () => {
    expect(SPDY_DICTIONARY.length).toBe(1423);
    expect(adler32(SPDY_DICTIONARY)).toBe(0xe3c6a7c2);
    expect(SPDY_DICTIONARY.subarray(0, 11).toString('latin1')).toBe('\0\0\0\x07options');
    expect(SPDY_DICTIONARY.subarray(-7).toString('latin1')).toBe(',enq=0.');
  });

  it('computes Adler-32 as zlib does for the empty input and a long run', () => {
    expect(adler32(new Uint8Array())).toBe(1);
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
    expect(adler32(Buffer.alloc(100_000, 0xff))).toBe(0x149a302c);
  });
});

describe('SpdyFramer', () => {
  const frames: SpdyFrame[] = [
    { type: 'synStream', streamId: 1, associatedTo: 0, priority: 0, flags: 0, headers: { streamtype: ['error'] } },
    { type: 'synStream', streamId: 3, associatedTo: 0, priority: 2, flags: 1, headers: { streamtype: ['stdin'], port: ['80'], multi: ['a', 'b'] } },
    { type: 'synReply', streamId: 1, flags: 0, headers: {} },
    { type: 'headers', streamId: 3, flags: 0, headers: { x: ['y'] } },
    { type: 'data', streamId: 3, flags: 1, data: Buffer.from('hello') },
    { type: 'data', streamId: 5, flags: 0, data: Buffer.alloc(70_000, 1) },
    { type: 'rstStream', streamId: 5, status: 5 },
    { type: 'settings', flags: 0, entries: [{ flags: 1, id: 7, value: 65536 }] },
    { type: 'ping', id: 2 },
    { type: 'goAway', lastGoodStreamId: 4, status: 0 },
    { type: 'windowUpdate', streamId: 3, delta: 1000 },
  ];

  it.each(frames.map((f) => [f.type, f] as const))('round-trips a %s frame', (_t, frame) => {
    const [out, ...rest] = new SpdyFramer().push(new SpdyFramer().encode(frame));
    expect(rest).toEqual([]);
    expect(out).toEqual(frame);
  });

  it('decodes a whole conversation split at every byte, sharing one compression context', () => {
    const tx = new SpdyFramer();
    const wire = Buffer.concat(frames.map((f) => tx.encode(f)));
    const rx = new SpdyFramer();
    const got: SpdyFrame[] = [];
    for (let i = 0; i < wire.length; i += 7) got.push(...rx.push(wire.subarray(i, i + 7)));
    expect(got).toEqual(frames);
  });

  it('writes the control frame header as SPDY/3 lays it out', () => {
    const wire = new SpdyFramer().encode({ type: 'ping', id: 9 });
    expect([...wire]).toEqual([0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 9]);
    const data = new SpdyFramer().encode({ type: 'data', streamId: 3, flags: 1, data: Buffer.from('ab') });
    expect([...data]).toEqual([0, 0, 0, 3, 1, 0, 0, 2, 0x61, 0x62]);
  });

  it('skips unknown control frame types', () => {
    const unknown = Buffer.from([0x80, 0x03, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x01, 0xff]);
    const ping = new SpdyFramer().encode({ type: 'ping', id: 1 });
    expect(new SpdyFramer().push(Buffer.concat([unknown, ping]))).toEqual([{ type: 'ping', id: 1 }]);
  });
});

describe('header compression', () => {
  it('produces a zlib stream that a standard inflater reads with the SPDY dictionary', () => {
    const c = new HeaderCompressor();
    const a = c.compress({ streamtype: ['error'] });
    const b = c.compress({ streamtype: ['stdout'] });
    const out = inflateSync(Buffer.concat([a, b]), { dictionary: SPDY_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    expect(out.toString('latin1')).toBe('\0\0\0\x01\0\0\0\x0astreamtype\0\0\0\x05error\0\0\0\x01\0\0\0\x0astreamtype\0\0\0\x06stdout');
  });

  it('ends every block with the sync-flush marker (Go\'s inflater yields a stored block only once it sees the next block header)', () => {
    const c = new HeaderCompressor();
    for (const v of ['error', 'stdin']) expect([...c.compress({ streamtype: [v] }).subarray(-5)]).toEqual([0, 0, 0, 0xff, 0xff]);
  });

  it('reads blocks a real zlib compressed with the dictionary and a sync flush per block (as Go peers write them)', async () => {
    const deflate = createDeflate({ dictionary: SPDY_DICTIONARY, level: 9 });
    const chunks: Buffer[] = [];
    deflate.on('data', (c: Buffer) => chunks.push(c));
    const block = async (raw: Buffer): Promise<Buffer> => {
      const before = chunks.length;
      deflate.write(raw);
      await new Promise<void>((r) => deflate.flush(constants.Z_SYNC_FLUSH, () => r()));
      return Buffer.concat(chunks.slice(before));
    };
    const raw = (name: string, value: string): Buffer => {
      const b = Buffer.alloc(12 + name.length + value.length);
      b.writeUInt32BE(1, 0);
      b.writeUInt32BE(name.length, 4);
      b.write(name, 8);
      b.writeUInt32BE(value.length, 8 + name.length);
      b.write(value, 12 + name.length);
      return b;
    };
    const d = new HeaderDecompressor();
    expect(d.decompress(await block(raw('streamtype', 'error')))).toEqual({ streamtype: ['error'] });
    expect(d.decompress(await block(raw('streamtype', 'stdout')))).toEqual({ streamtype: ['stdout'] });
    expect(d.decompress(await block(Buffer.from([0, 0, 0, 0])))).toEqual({});
    deflate.end();
  });
});
