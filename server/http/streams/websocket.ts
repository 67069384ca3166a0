// RFC 6455 WebSocket, server side only: the opening handshake, the frame codec, and a connection that reassembles messages and answers pings and closes.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

export const Opcode = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Close codes the streaming code uses (RFC 6455 §7.4.1). */
export const CloseCode = { normal: 1000, goingAway: 1001, protocolError: 1002, tooBig: 1009, internalError: 1011 } as const;

const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The largest message we reassemble; kubectl's own frames are far smaller (32 KiB buffers). */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export class WebSocketProtocolError extends Error {
  constructor(message: string, readonly closeCode: number = CloseCode.protocolError) {
    super(message);
  }
}

/** Sec-WebSocket-Accept for a client's Sec-WebSocket-Key. */
export function acceptValue(key: string): string {
  return createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
}

/** True for an HTTP/1.1 upgrade asking for a WebSocket (the Upgrade header may list several protocols). */
export function isWebSocketRequest(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').split(',').some((p) => p.trim().toLowerCase() === 'websocket');
}

/** The subprotocols the client offers, in its order of preference, across repeated Sec-WebSocket-Protocol headers. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() !== 'sec-websocket-protocol') continue;
    for (const p of req.rawHeaders[i + 1]!.split(',')) if (p.trim()) out.push(p.trim());
  }
  return out;
}

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** One frame on the wire; `mask` (4 bytes) only for client-to-server frames, which tests need to play the client. */
export function encodeFrame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: Buffer } = {}): Buffer {
  const fin = opts.fin ?? true;
  const len = payload.length;
  const lenBytes = len < 126 ? 0 : len < 0x10000 ? 2 : 8;
  const maskBytes = opts.mask ? 4 : 0;
  const head = Buffer.alloc(2 + lenBytes + maskBytes);
  head[0] = (fin ? 0x80 : 0) | (opcode & 0x0f);
  head[1] = (opts.mask ? 0x80 : 0) | (lenBytes === 0 ? len : lenBytes === 2 ? 126 : 127);
  if (lenBytes === 2) head.writeUInt16BE(len, 2);
  else if (lenBytes === 8) head.writeBigUInt64BE(BigInt(len), 2);
  if (!opts.mask) return Buffer.concat([head, payload]);
  opts.mask.copy(head, 2 + lenBytes);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= opts.mask[i & 3]!;
  return Buffer.concat([head, body]);
}

/**
 * Incremental frame parser for frames a client sends: every frame must be masked (RFC 6455 §5.1), control frames
 * are at most 125 bytes and never fragmented, and no frame exceeds MAX_MESSAGE_BYTES. Violations throw
 * WebSocketProtocolError carrying the close code to answer with.
 */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0);
  #pending: Buffer[] = [];
  /** Bytes held: #buf plus #pending. */
  #pendingBytes = 0;
  /** Bytes the frame at the head of #buf needs in total (0 when unknown). */
  #need = 0;
  readonly #requireMask: boolean;

  constructor(opts: { requireMask?: boolean } = {}) {
    this.#requireMask = opts.requireMask ?? true;
  }

  push(chunk: Buffer): Frame[] {
    // A large frame arrives in many chunks: collect them and join once it is complete, not once per chunk.
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (this.#pendingBytes < this.#need) return [];
    this.#buf = Buffer.concat([this.#buf, ...this.#pending]);
    this.#pending = [];
    this.#pendingBytes = this.#buf.length;
    this.#need = 0;
    const frames: Frame[] = [];
    for (;;) {
      const b = this.#buf;
      if (b.length < 2) break;
      const fin = (b[0]! & 0x80) !== 0;
      if (b[0]! & 0x70) throw new WebSocketProtocolError('reserved bits set without a negotiated extension');
      const opcode = b[0]! & 0x0f;
      const masked = (b[1]! & 0x80) !== 0;
      let len = b[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        const big = b.readBigUInt64BE(2);
        if (big > BigInt(MAX_MESSAGE_BYTES)) throw new WebSocketProtocolError('frame too large', CloseCode.tooBig);
        len = Number(big);
        off = 10;
      }
      if (len > MAX_MESSAGE_BYTES) throw new WebSocketProtocolError('frame too large', CloseCode.tooBig);
      if (opcode >= 0x8 && (len > 125 || !fin)) throw new WebSocketProtocolError('invalid control frame');
      if (this.#requireMask && !masked) throw new WebSocketProtocolError('client frames must be masked');
      const need = off + (masked ? 4 : 0) + len;
      if (b.length < need) {
        this.#need = need;
        break;
      }
      let payload: Buffer;
      if (masked) {
        const mask = b.subarray(off, off + 4);
        payload = Buffer.from(b.subarray(off + 4, need));
        for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      } else {
        payload = Buffer.from(b.subarray(off, need));
      }
      frames.push({ fin, opcode, payload });
      this.#buf = b.subarray(need);
    }
    this.#pendingBytes = this.#buf.length;
    return frames;
  }
}

export interface WebSocketHandlers {
  /** A complete data message (fragments reassembled). */
  message(data: Buffer, binary: boolean): void;
  /** The connection is gone (close handshake done, peer vanished, or protocol error); called once. */
  closed(code: number | undefined): void;
}

/** How long a closing side waits, once its close frame is sent, for the peer to close before dropping the socket. */
const CLOSE_WAIT_MS = 30_000;

/**
 * A server-side WebSocket on an already upgraded socket. Pings are answered with pongs, a peer's close frame is
 * echoed and ends the connection, fragments are reassembled. `close()` sends our close frame, ends our half of
 * the TCP connection (what is already written still reaches the peer) and waits for the peer to close.
 */
export class WebSocketConnection {
  readonly #socket: Duplex;
  readonly #handlers: WebSocketHandlers;
  readonly #decoder = new FrameDecoder();
  #fragments: Buffer[] = [];
  #fragmentBytes = 0;
  #fragmentBinary = true;
  #closeSent = false;
  #done = false;

  constructor(socket: Duplex, handlers: WebSocketHandlers) {
    this.#socket = socket;
    this.#handlers = handlers;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => {
      this.#finish(undefined);
      socket.end();
    });
    socket.on('close', () => this.#finish(undefined));
    socket.on('error', () => this.#finish(undefined));
    // A socket that closed before we were attached never emits 'close' again.
    if (socket.destroyed) queueMicrotask(() => this.#finish(undefined));
  }

  /** The socket, for back-pressure: pause/resume reading and 'drain'. */
  get socket(): Duplex {
    return this.#socket;
  }

  get closing(): boolean {
    return this.#closeSent || this.#done;
  }

  /** Sends one binary (or text) message; false when the socket buffer is full (wait for 'drain' on `socket`). */
  send(data: Buffer, binary = true): boolean {
    if (this.closing) return true;
    return this.#socket.write(encodeFrame(binary ? Opcode.binary : Opcode.text, data));
  }

  /** Starts the close handshake (idempotent). */
  close(code: number = CloseCode.normal, reason = ''): void {
    if (this.#closeSent || this.#done) return;
    this.#closeSent = true;
    const payload = Buffer.alloc(2 + Buffer.byteLength(reason));
    payload.writeUInt16BE(code, 0);
    payload.write(reason, 2);
    this.#socket.end(encodeFrame(Opcode.close, payload));
    // Counted from when everything we wrote has left our buffers: a slow reader still gets all of its output.
    this.#socket.once('finish', () => setTimeout(() => this.#socket.destroy(), CLOSE_WAIT_MS).unref());
  }

  /** Drops the connection without a close handshake. */
  destroy(): void {
    this.#socket.destroy();
    this.#finish(undefined);
  }

  #onData(chunk: Buffer): void {
    if (this.#done) return;
    let frames: Frame[];
    try {
      frames = this.#decoder.push(chunk);
    } catch (e: unknown) {
      this.close(e instanceof WebSocketProtocolError ? e.closeCode : CloseCode.protocolError, e instanceof Error ? e.message : '');
      this.#finish(CloseCode.protocolError);
      return;
    }
    for (const f of frames) {
      if (this.#done) return;
      this.#onFrame(f);
    }
  }

  #onFrame(f: Frame): void {
    switch (f.opcode) {
      case Opcode.ping:
        if (!this.closing) this.#socket.write(encodeFrame(Opcode.pong, f.payload));
        return;
      case Opcode.pong:
        return;
      case Opcode.close: {
        const code = f.payload.length >= 2 ? f.payload.readUInt16BE(0) : undefined;
        // Echo the peer's code, as RFC 6455 §5.5.1 asks, unless we already sent ours.
        this.close(code ?? CloseCode.normal);
        this.#finish(code);
        return;
      }
      case Opcode.text:
      case Opcode.binary:
        if (this.#fragments.length) return this.#protocolError('new message inside a fragmented one');
        if (f.fin) {
          this.#handlers.message(f.payload, f.opcode === Opcode.binary);
          return;
        }
        this.#fragmentBinary = f.opcode === Opcode.binary;
        this.#fragments = [f.payload];
        this.#fragmentBytes = f.payload.length;
        return;
      case Opcode.continuation: {
        if (!this.#fragments.length) return this.#protocolError('continuation without a message');
        this.#fragments.push(f.payload);
        this.#fragmentBytes += f.payload.length;
        if (this.#fragmentBytes > MAX_MESSAGE_BYTES) return this.#protocolError('message too large', CloseCode.tooBig);
        if (!f.fin) return;
        const data = Buffer.concat(this.#fragments);
        this.#fragments = [];
        this.#fragmentBytes = 0;
        this.#handlers.message(data, this.#fragmentBinary);
        return;
      }
      default:
        this.#protocolError(`unknown opcode ${f.opcode}`);
    }
  }

  #protocolError(message: string, code: number = CloseCode.protocolError): void {
    this.close(code, message);
    this.#finish(code);
  }

  #finish(code: number | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.#handlers.closed(code);
  }
}

/**
 * Completes the opening handshake on an upgrade request: checks version 13 and the key, writes 101 with the
 * chosen subprotocol (none when empty) and returns the connection; `head` (bytes read past the request) is
 * replayed into it. Returns undefined, having answered 400 and ended the socket, when the request is not a valid
 * WebSocket handshake.
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string, handlers: WebSocketHandlers): WebSocketConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  if (req.headers['sec-websocket-version'] !== '13' || typeof key !== 'string' || Buffer.from(key, 'base64').length !== 16) {
    const body = 'websocket: the client is not using the websocket protocol or version 13 with a valid key\n';
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nSec-WebSocket-Version: 13\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    return undefined;
  }
  (socket as Duplex & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
  (socket as Duplex & { setTimeout?: (ms: number) => void }).setTimeout?.(0);
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptValue(key)}\r\n${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ''}\r\n`);
  if (head.length) socket.unshift(head);
  return new WebSocketConnection(socket, handlers);
}
