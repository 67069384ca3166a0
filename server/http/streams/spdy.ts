// A minimal SPDY/3.1 session (streams, half-close, reset, ping, goaway) on an upgraded socket, as Kubernetes' streaming protocols use it.
import type { Duplex } from 'node:stream';
import { FLAG_FIN, RstStatus, SpdyFramer, type HeaderBlock, type SpdyFrame } from './spdy-frames.ts';

export type { HeaderBlock } from './spdy-frames.ts';

/** Data frames we write are at most this long (readers accept up to 16 MiB; smaller frames interleave streams fairly). */
const WRITE_CHUNK = 32 * 1024;

export interface StreamHandlers {
  /** Bytes the peer sent on this stream. */
  data?(data: Buffer): void;
  /** The peer's half ended: 'fin' (orderly), 'reset' (RST_STREAM) or 'closed' (the connection went away). Called once. */
  end?(how: 'fin' | 'reset' | 'closed'): void;
}

/**
 * One stream. Locally opened streams hold written data (and the FIN) until the peer's SYN_REPLY arrives, because
 * Go's spdystream drops data frames on a stream it has not yet replied to.
 */
export class SpdyStream {
  readonly id: number;
  readonly headers: HeaderBlock;
  handlers: StreamHandlers;
  readonly #session: SpdySession;
  #ready: boolean;
  #pending: Array<{ data: Buffer; fin: boolean }> = [];
  #localClosed = false;
  #remoteClosed = false;

  /** @internal created by SpdySession only */
  constructor(session: SpdySession, id: number, headers: HeaderBlock, ready: boolean, handlers: StreamHandlers) {
    this.#session = session;
    this.id = id;
    this.headers = headers;
    this.#ready = ready;
    this.handlers = handlers;
  }

  get localClosed(): boolean {
    return this.#localClosed;
  }

  get remoteClosed(): boolean {
    return this.#remoteClosed;
  }

  /** Sends bytes; false when the socket's buffer is full (wait for 'drain' on the session's socket). */
  write(data: Buffer): boolean {
    if (this.#localClosed || data.length === 0) return true;
    if (!this.#ready) {
      this.#pending.push({ data, fin: false });
      return true;
    }
    return this.#session.sendData(this.id, data, false);
  }

  /** Half-closes our side (an empty DATA frame with FIN). */
  end(): void {
    if (this.#localClosed) return;
    this.#localClosed = true;
    if (!this.#ready) this.#pending.push({ data: Buffer.alloc(0), fin: true });
    else this.#session.sendData(this.id, Buffer.alloc(0), true);
    this.#session.forgetIfDone(this);
  }

  /** Aborts the stream both ways with RST_STREAM. */
  reset(status: number = RstStatus.cancel): void {
    if (this.#localClosed && this.#remoteClosed) return;
    this.#localClosed = true;
    this.#pending = [];
    this.#session.sendFrame({ type: 'rstStream', streamId: this.id, status });
    this.remoteEnded('reset');
  }

  /** Server side: accepts a stream the peer opened (SYN_REPLY); `fin` refuses further data from us. */
  reply(headers: HeaderBlock = {}, fin = false): void {
    this.#session.sendFrame({ type: 'synReply', streamId: this.id, flags: fin ? FLAG_FIN : 0, headers });
    if (fin) this.#localClosed = true;
  }

  /** @internal the peer replied: flush what was held back. */
  replied(): void {
    if (this.#ready) return;
    this.#ready = true;
    for (const p of this.#pending.splice(0)) this.#session.sendData(this.id, p.data, p.fin);
  }

  /** @internal the peer's half ended. */
  remoteEnded(how: 'fin' | 'reset' | 'closed'): void {
    if (this.#remoteClosed) return;
    this.#remoteClosed = true;
    if (how !== 'fin') this.#localClosed = true;
    this.#session.forgetIfDone(this);
    this.handlers.end?.(how);
  }
}

export interface SessionOptions {
  /** Clients open odd-numbered streams, servers even (SPDY/3 §2.3.2). */
  role: 'client' | 'server';
  /** A stream the peer opened (SYN_STREAM); without it such streams are refused. */
  stream?(stream: SpdyStream): void;
  /** The peer sent GOAWAY: it opens no more streams (ours still finish). */
  goAway?(): void;
  /** The connection is gone; every open stream has had its end('closed') first. Called once. */
  closed?(err?: Error): void;
}

/**
 * A SPDY/3.1 connection over `socket` (already past the HTTP upgrade). Flow control is not enforced either way:
 * the Go implementation Kubernetes uses (spdystream) neither sends nor honours WINDOW_UPDATE, so neither do we.
 */
export class SpdySession {
  readonly #socket: Duplex;
  readonly #opts: SessionOptions;
  readonly #framer = new SpdyFramer();
  readonly #streams = new Map<number, SpdyStream>();
  #nextId: number;
  #lastRemoteId = 0;
  #done = false;

  constructor(socket: Duplex, opts: SessionOptions) {
    this.#socket = socket;
    this.#opts = opts;
    this.#nextId = opts.role === 'client' ? 1 : 2;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      // The peer can send nothing more (no replies, no data): the session is over; our half follows.
      this.#finish();
      socket.end();
    });
    socket.on('close', () => this.#finish());
    socket.on('error', (e: Error) => this.#finish(e));
  }

  get socket(): Duplex {
    return this.#socket;
  }

  get closed(): boolean {
    return this.#done;
  }

  /** Opens a stream (SYN_STREAM); data written before the peer's SYN_REPLY is held back until it arrives. */
  openStream(headers: HeaderBlock, handlers: StreamHandlers = {}): SpdyStream {
    const id = this.#nextId;
    this.#nextId += 2;
    const stream = new SpdyStream(this, id, headers, false, handlers);
    this.#streams.set(id, stream);
    this.sendFrame({ type: 'synStream', streamId: id, associatedTo: 0, priority: 0, flags: 0, headers });
    return stream;
  }

  /** Says goodbye (GOAWAY) and ends our half of the connection; the peer's remaining bytes are still read. */
  close(): void {
    if (!this.#done && this.#socket.writable) {
      this.sendFrame({ type: 'goAway', lastGoodStreamId: this.#lastRemoteId, status: 0 });
      this.#socket.end();
    }
  }

  destroy(): void {
    this.#socket.destroy();
    this.#finish();
  }

  /** @internal */
  sendFrame(frame: SpdyFrame): boolean {
    if (this.#done || !this.#socket.writable) return true;
    return this.#socket.write(this.#framer.encode(frame));
  }

  /** @internal */
  sendData(streamId: number, data: Buffer, fin: boolean): boolean {
    let ok = true;
    for (let off = 0; off < data.length; off += WRITE_CHUNK) {
      const chunk = data.subarray(off, off + WRITE_CHUNK);
      const last = off + WRITE_CHUNK >= data.length;
      ok = this.sendFrame({ type: 'data', streamId, flags: fin && last ? FLAG_FIN : 0, data: chunk });
    }
    if (data.length === 0 && fin) ok = this.sendFrame({ type: 'data', streamId, flags: FLAG_FIN, data });
    return ok;
  }

  /** @internal */
  forgetIfDone(stream: SpdyStream): void {
    if (stream.localClosed && stream.remoteClosed) this.#streams.delete(stream.id);
  }

  #onData(chunk: Buffer): void {
    let frames: SpdyFrame[];
    try {
      frames = this.#framer.push(chunk);
    } catch (e: unknown) {
      this.sendFrame({ type: 'goAway', lastGoodStreamId: this.#lastRemoteId, status: 1 });
      this.#socket.destroy();
      this.#finish(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    for (const f of frames) this.#onFrame(f);
  }

  #onFrame(f: SpdyFrame): void {
    switch (f.type) {
      case 'synStream': {
        this.#lastRemoteId = Math.max(this.#lastRemoteId, f.streamId);
        const stream = new SpdyStream(this, f.streamId, f.headers, true, {});
        if (!this.#opts.stream) {
          this.sendFrame({ type: 'rstStream', streamId: f.streamId, status: RstStatus.refusedStream });
          return;
        }
        this.#streams.set(f.streamId, stream);
        this.#opts.stream(stream);
        if (f.flags & FLAG_FIN) stream.remoteEnded('fin');
        return;
      }
      case 'synReply': {
        const s = this.#streams.get(f.streamId);
        s?.replied();
        if (s && f.flags & FLAG_FIN) s.remoteEnded('fin');
        return;
      }
      case 'data': {
        const s = this.#streams.get(f.streamId);
        if (!s || s.remoteClosed) return;
        if (f.data.length) s.handlers.data?.(f.data);
        if (f.flags & FLAG_FIN) s.remoteEnded('fin');
        return;
      }
      case 'rstStream':
        this.#streams.get(f.streamId)?.remoteEnded('reset');
        return;
      case 'ping':
        // Echo the peer's pings (their ids have the other parity); ours we never send.
        if ((f.id & 1) !== (this.#opts.role === 'client' ? 1 : 0)) this.sendFrame(f);
        return;
      case 'goAway':
        this.#opts.goAway?.();
        return;
      case 'headers':
      case 'settings':
      case 'windowUpdate':
        return;
    }
  }

  #finish(err?: Error): void {
    if (this.#done) return;
    this.#done = true;
    for (const s of [...this.#streams.values()]) s.remoteEnded('closed');
    this.#streams.clear();
    this.#opts.closed?.(err);
  }
}
