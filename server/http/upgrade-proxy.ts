// HTTP upgrades to a target (a kubelet, a runtime): a transparent proxy that joins both sockets after 101, and a dialer for upgrades the API server makes itself.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';

/**
 * The request headers that carry the protocol negotiation. Repeated headers (X-Stream-Protocol-Version is sent
 * once per version) stay separate lines: Go's SPDY handshake compares each value, a joined list matches none.
 */
const FORWARDED = new Set([
  'upgrade', 'connection', 'sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions',
  'x-stream-protocol-version', 'origin', 'user-agent', 'content-length',
]);

export interface UpgradeTarget {
  url: URL;
  /** Client certificate for an https target (the kubelet's); the target's own certificate is not verified. */
  cert?: string;
  key?: string;
}

function forwardedHeaders(req: IncomingMessage): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    if (!FORWARDED.has(name.toLowerCase())) continue;
    (out[name] ??= []).push(req.rawHeaders[i + 1]!);
  }
  return out;
}

function headerBlock(statusCode: number, statusMessage: string, rawHeaders: readonly string[], skip: ReadonlySet<string>): string {
  let out = `HTTP/1.1 ${statusCode} ${statusMessage}\r\n`;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (!skip.has(rawHeaders[i]!.toLowerCase())) out += `${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`;
  }
  return out;
}

const NOT_FORWARDED_ON_REFUSAL = new Set(['transfer-encoding', 'content-length', 'connection', 'keep-alive']);

/**
 * Replays the client's upgrade request (method, path of `target`, negotiation headers) to `target`.
 * On 101 the upstream answer is relayed verbatim and the two connections are piped until either closes;
 * any other answer is relayed as a complete response (status, headers, body) and the client connection is
 * ended, so clients see the upstream's own refusal (which is what makes kubectl fall back from WebSocket to
 * SPDY). Resolves once the answer is relayed; rejects, writing nothing, when the target cannot be reached.
 */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, target: UpgradeTarget): Promise<void> {
  const secure = target.url.protocol === 'https:';
  const options: https.RequestOptions = {
    host: target.url.hostname.replace(/^\[|\]$/g, ''),
    port: target.url.port || (secure ? 443 : 80),
    path: target.url.pathname + target.url.search,
    method: req.method ?? 'GET',
    headers: forwardedHeaders(req),
    agent: false,
    ...(secure ? { cert: target.cert, key: target.key, rejectUnauthorized: false } : {}),
  };
  const up = secure ? https.request(options) : http.request(options);
  up.setTimeout(30_000, () => up.destroy(new Error('timed out')));
  return new Promise<void>((resolve, reject) => {
    let answered = false;
    up.on('upgrade', (res: IncomingMessage, upSocket: Duplex, upHead: Buffer) => {
      answered = true;
      (upSocket as Duplex & { setTimeout?: (ms: number) => void }).setTimeout?.(0);
      socket.write(headerBlock(res.statusCode ?? 101, res.statusMessage ?? 'Switching Protocols', res.rawHeaders, new Set()) + '\r\n');
      if (upHead.length) socket.write(upHead);
      if (head.length) upSocket.write(head);
      upSocket.pipe(socket);
      socket.pipe(upSocket);
      // A finished upstream drains to the client before the client side ends; a vanished client ends everything.
      upSocket.on('error', () => socket.destroy());
      socket.on('error', () => upSocket.destroy());
      upSocket.on('close', () => {
        socket.end();
        // A client that never closes its half would pin the socket (servers allow half-open upgrades).
        setTimeout(() => socket.destroy(), 10_000).unref();
      });
      socket.on('close', () => upSocket.destroy());
      resolve();
    });
    up.on('response', (res: IncomingMessage) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => socket.destroy());
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const headBlock = headerBlock(res.statusCode ?? 502, res.statusMessage ?? '', res.rawHeaders, NOT_FORWARDED_ON_REFUSAL)
          + `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
        socket.end(Buffer.concat([Buffer.from(headBlock), body]));
        resolve();
      });
    });
    up.on('error', (e: Error) => {
      if (answered) socket.destroy();
      else reject(e);
    });
    up.end();
  });
}

/** Writes a complete non-upgrade HTTP answer on a raw socket and ends it (errors before any proxying). */
export function refuseUpgrade(socket: Duplex, statusCode: number, contentType: string, body: string): void {
  const payload = Buffer.from(body, 'utf8');
  socket.end(Buffer.concat([
    Buffer.from(`HTTP/1.1 ${statusCode} ${http.STATUS_CODES[statusCode] ?? ''}\r\nContent-Type: ${contentType}\r\nContent-Length: ${payload.length}\r\nConnection: close\r\n\r\n`),
    payload,
  ]));
}

/** The answer to an upgrade we made ourselves: the upgraded socket (with bytes read past the 101), or the refusal. */
export type DialResult =
  | { upgraded: true; res: IncomingMessage; socket: Duplex; head: Buffer }
  | { upgraded: false; res: IncomingMessage; body: Buffer };

/**
 * Sends an upgrade request of our own to `target` (e.g. SPDY/3.1 to a kubelet, for a WebSocket client whose
 * protocol the API server translates). Resolves with the upgraded socket on 101, or with the complete refusal
 * (status, headers, body up to 64 KiB) otherwise; rejects when the target cannot be reached.
 */
export function dialUpgrade(target: UpgradeTarget, method: string, headers: Record<string, string | string[]>): Promise<DialResult> {
  const secure = target.url.protocol === 'https:';
  const options: https.RequestOptions = {
    host: target.url.hostname.replace(/^\[|\]$/g, ''),
    port: target.url.port || (secure ? 443 : 80),
    path: target.url.pathname + target.url.search,
    method,
    headers,
    agent: false,
    ...(secure ? { cert: target.cert, key: target.key, rejectUnauthorized: false } : {}),
  };
  const up = secure ? https.request(options) : http.request(options);
  up.setTimeout(30_000, () => up.destroy(new Error('timed out')));
  return new Promise<DialResult>((resolve, reject) => {
    up.on('upgrade', (res: IncomingMessage, socket: Duplex, head: Buffer) => {
      (socket as Duplex & { setTimeout?: (ms: number) => void }).setTimeout?.(0);
      (socket as Duplex & { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
      resolve({ upgraded: true, res, socket, head });
    });
    up.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < 64 * 1024) chunks.push(c);
        size += c.length;
      });
      res.on('error', reject);
      res.on('end', () => resolve({ upgraded: false, res, body: Buffer.concat(chunks) }));
    });
    up.on('error', reject);
    up.end();
  });
}
