// Exec and attach for WebSocket clients: the API server speaks v5.channel.k8s.io to the client and SPDY/3.1 (v4.channel.k8s.io) to the kubelet, as upstream's StreamTranslatorProxy does.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../log.ts';
import type { DialResult } from '../upgrade-proxy.ts';
import { pauseUntilDrain } from './relay.ts';
import { SpdySession, type SpdyStream } from './spdy.ts';
import { acceptWebSocket, type WebSocketConnection } from './websocket.ts';

export const CHANNEL_PROTOCOL_V5 = 'v5.channel.k8s.io';
export const CHANNEL_PROTOCOL_V4 = 'v4.channel.k8s.io';

/** The remote-command protocols we ask the kubelet for over SPDY, best first (what kubectl 1.27 offers). */
export const KUBELET_SPDY_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'] as const;

/** Channel numbers of the remote-command WebSocket protocols (the first byte of each binary message). */
export const Channel = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/**
 * The WebSocket subprotocol the API server translates for a client offering `offered`, or undefined to leave
 * the upgrade to the transparent proxy. Only v5 is translated, as upstream: a v4-only client (client-node) is
 * served by the runtime's own WebSocket server, which speaks v1-v4 natively; v5's stdin CLOSE signal is what the
 * runtime lacks.
 */
export function translatedExecProtocol(offered: readonly string[]): string | undefined {
  return offered.includes(CHANNEL_PROTOCOL_V5) ? CHANNEL_PROTOCOL_V5 : undefined;
}

/** Which streams the client asked for (stderr is already false when tty is on: a terminal merges it into stdout). */
export interface ExecStreams {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** Opens the SPDY upgrade to the kubelet with the given request headers. */
export type KubeletDialer = (headers: Record<string, string | string[]>) => Promise<DialResult>;

/** metav1.Status JSON as Go's encoding/json writes it (field order of the struct, empty fields omitted). */
function statusJson(s: { status: 'Success' | 'Failure'; message?: string; reason?: string; causes?: Array<{ reason?: string; message?: string }>; code?: number }): Buffer {
  const out: Record<string, unknown> = { metadata: {}, status: s.status };
  if (s.message) out.message = s.message;
  if (s.reason) out.reason = s.reason;
  if (s.causes) out.details = { causes: s.causes };
  if (s.code) out.code = s.code;
  return Buffer.from(JSON.stringify(out));
}

/** Upstream's apierrors.NewInternalError(err) as the client sees it on the error channel. */
export function internalErrorStatus(message: string): Buffer {
  return statusJson({ status: 'Failure', message: `Internal error occurred: ${message}`, reason: 'InternalError', causes: [{ message }], code: 500 });
}

const SUCCESS = statusJson({ status: 'Success' });

/** The Status to relay for what the kubelet wrote on its error stream under the negotiated SPDY protocol. */
export function statusFromErrorStream(protocol: string, data: Buffer): Buffer {
  const text = data.toString('utf8').trim();
  if (!text) return SUCCESS;
  if (protocol === CHANNEL_PROTOCOL_V4) {
    try {
      const parsed = JSON.parse(text) as { status?: unknown };
      if (parsed && typeof parsed === 'object' && (parsed.status === 'Success' || parsed.status === 'Failure')) return Buffer.from(text);
    } catch { /* not a Status: reported as an error below */ }
  }
  // v1-v3 report failures as plain text (client-go: "error executing remote command: …").
  return internalErrorStatus(`error executing remote command: ${text}`);
}

/** The Status for a kubelet that refused the SPDY upgrade: its own Status if it sent one, else client-go's wording. */
export function statusFromRefusal(body: Buffer): Buffer {
  const text = body.toString('utf8').trim();
  try {
    const parsed = JSON.parse(text) as { kind?: unknown; status?: unknown };
    if (parsed && typeof parsed === 'object' && parsed.kind === 'Status' && parsed.status === 'Failure') return Buffer.from(text);
  } catch { /* plain text */ }
  return internalErrorStatus(`unable to upgrade connection: ${text}`);
}

function withChannel(channel: number, data: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length + 1);
  out[0] = channel;
  data.copy(out, 1);
  return out;
}

/**
 * Serves one exec/attach WebSocket client by translation: accepts the WebSocket with `protocol` (101), opens a
 * SPDY/3.1 upgrade to the kubelet through `dial`, creates the error, stdin, stdout, stderr and resize streams the
 * request names, and relays channel 0 → stdin, stdout/stderr → channels 1/2, channel 4 → resize, v5's CLOSE of
 * channel 0 → the end of stdin. When the kubelet has reported the outcome (its error stream ended) and the output
 * streams are done, or the kubelet connection is gone, the outcome goes to channel 3 as a Status (Success, or
 * NonZeroExitCode with the ExitCode cause, or the failure) and the WebSocket is closed normally. A client that
 * goes away ends the kubelet connection. Never throws: failures after the handshake are reported on channel 3.
 */
export function translateExec(req: IncomingMessage, socket: Duplex, head: Buffer, protocol: string, streams: ExecStreams, dial: KubeletDialer, log: Logger): void {
  let session: SpdySession | undefined;
  let spdyProtocol: string = CHANNEL_PROTOCOL_V4;
  let stdin: SpdyStream | undefined;
  let resize: SpdyStream | undefined;
  let stdinClosed = false;
  let finished = false;
  const early: Buffer[] = [];

  const finish = (status: Buffer): void => {
    if (finished) return;
    finished = true;
    ws.send(withChannel(Channel.error, status));
    ws.close();
    session?.close();
    // A kubelet connection that lingers after the outcome is of no use to anyone.
    setTimeout(() => session?.destroy(), 10_000).unref();
  };

  const fromClient = (msg: Buffer): void => {
    if (!session) {
      early.push(msg);
      return;
    }
    const channel = msg[0];
    const data = msg.subarray(1);
    let ok = true;
    if (channel === Channel.stdin && stdin && !stdinClosed) ok = stdin.write(data);
    else if (channel === Channel.resize && resize) ok = resize.write(data);
    else if (channel === Channel.close && data[0] === Channel.stdin && stdin && !stdinClosed) {
      stdinClosed = true;
      stdin.end();
    }
    if (!ok) pauseUntilDrain(socket, session.socket);
  };

  const maybeWs = acceptWebSocket(req, socket, head, protocol, {
    message: (data, binary) => {
      if (binary && data.length > 0 && !finished) fromClient(data);
    },
    closed: () => {
      if (!finished) {
        finished = true;
        session?.destroy();
      }
    },
  });
  if (!maybeWs) return;
  const ws: WebSocketConnection = maybeWs;
  // Upstream writes an empty message on the lowest writable channel once the connection is established.
  ws.send(Buffer.from([streams.stdout ? Channel.stdout : streams.stderr ? Channel.stderr : Channel.error]));

  const toClient = (channel: number) => (data: Buffer): void => {
    if (finished) return;
    if (!ws.send(withChannel(channel, data)) && session) pauseUntilDrain(session.socket, socket);
  };

  const headers: Record<string, string | string[]> = {
    Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': [...KUBELET_SPDY_PROTOCOLS],
  };
  dial(headers).then((r) => {
    if (!r.upgraded) {
      finish(statusFromRefusal(r.body));
      return;
    }
    if (finished) {
      r.socket.destroy();
      return;
    }
    const negotiated = r.res.headers['x-stream-protocol-version'];
    spdyProtocol = (Array.isArray(negotiated) ? negotiated[0] : negotiated)?.trim() || 'channel.k8s.io';
    const errorData: Buffer[] = [];
    let errorDone = false;
    let outputsOpen = (streams.stdout ? 1 : 0) + (streams.stderr ? 1 : 0);
    const outcome = (): Buffer => statusFromErrorStream(spdyProtocol, Buffer.concat(errorData));
    const maybeDone = (): void => {
      if (errorDone && outputsOpen === 0) finish(outcome());
    };
    const s = new SpdySession(r.socket, {
      role: 'client',
      closed: () => finish(outcome()),
    });
    session = s;
    const open = (type: string, handlers: Parameters<SpdySession['openStream']>[1] = {}): SpdyStream => s.openStream({ streamtype: [type] }, handlers);
    open('error', {
      data: (d) => errorData.push(d),
      end: () => {
        errorDone = true;
        maybeDone();
      },
    });
    if (streams.stdin) stdin = open('stdin');
    const output = (type: string, channel: number): void => {
      open(type, {
        data: toClient(channel),
        end: () => {
          outputsOpen--;
          maybeDone();
        },
      });
    };
    if (streams.stdout) output('stdout', Channel.stdout);
    if (streams.stderr) output('stderr', Channel.stderr);
    if (streams.tty) resize = open('resize');
    if (r.head.length) r.socket.unshift(r.head);
    for (const m of early.splice(0)) fromClient(m);
  }).catch((e: unknown) => {
    log.warn('exec translation: kubelet unreachable', { err: e instanceof Error ? e.message : String(e) });
    finish(internalErrorStatus(`error dialing backend: ${e instanceof Error ? e.message : String(e)}`));
  });
}
