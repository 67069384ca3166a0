// Port-forward for WebSocket clients: SPDY tunnelled in WebSocket binary messages (SPDY/3.1+portforward.k8s.io), relayed to a SPDY upgrade on the kubelet, as upstream's TunnelingHandler.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../log.ts';
import { refuseUpgrade } from '../upgrade-proxy.ts';
import type { KubeletDialer } from './exec-translator.ts';
import { pauseUntilDrain } from './relay.ts';
import { acceptWebSocket } from './websocket.ts';

/** client-go prefixes each SPDY protocol it would tunnel with this. */
export const TUNNELING_PREFIX = 'SPDY/3.1+';
const KUBERNETES_SUFFIX = '.k8s.io';

/** The SPDY protocols a tunnelling client offers (prefix stripped), in its order; empty when it offers none. */
export function tunneledSpdyProtocols(offered: readonly string[]): string[] {
  return offered.filter((p) => p.startsWith(TUNNELING_PREFIX) && p.endsWith(KUBERNETES_SUFFIX)).map((p) => p.slice(TUNNELING_PREFIX.length));
}

function rawHeaderLines(res: IncomingMessage): string {
  let out = '';
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i]!.toLowerCase();
    if (name === 'transfer-encoding' || name === 'content-length' || name === 'connection' || name === 'keep-alive') continue;
    out += `${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`;
  }
  return out;
}

/**
 * Serves one tunnelling port-forward client: first opens the SPDY upgrade to the kubelet with the offered
 * protocols (X-Stream-Protocol-Version portforward.k8s.io); on the kubelet's 101 accepts the WebSocket with the
 * chosen protocol re-prefixed, then relays bytes both ways: each binary message's payload goes to the kubelet
 * socket unchanged, each chunk from the kubelet becomes one binary message. The client's SPDY session thus runs
 * end to end with the kubelet's. A kubelet refusal is relayed as the HTTP answer (so the client falls back to
 * SPDY, as it would against upstream); an unreachable kubelet rejects, writing nothing.
 */
export async function tunnelPortForward(req: IncomingMessage, socket: Duplex, head: Buffer, protocols: readonly string[], dial: KubeletDialer, log: Logger): Promise<void> {
  if (protocols.length === 0) {
    refuseUpgrade(socket, 400, 'text/plain; charset=utf-8', 'unable to upgrade: no tunneling spdy protocols provided\n');
    return;
  }
  const r = await dial({ Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': [...protocols] });
  if (!r.upgraded) {
    const status = r.res.statusCode ?? 502;
    socket.end(Buffer.concat([
      Buffer.from(`HTTP/1.1 ${status} ${r.res.statusMessage ?? ''}\r\n${rawHeaderLines(r.res)}Content-Length: ${r.body.length}\r\nConnection: close\r\n\r\n`),
      r.body,
    ]));
    return;
  }
  if (socket.destroyed) {
    // The client left while the kubelet was being dialled: nobody would ever close this connection.
    r.socket.destroy();
    return;
  }
  const chosen = r.res.headers['x-stream-protocol-version'];
  const chosenText = (Array.isArray(chosen) ? chosen[0] : chosen)?.trim();
  const kubelet = r.socket;
  const ws = acceptWebSocket(req, socket, head, chosenText ? TUNNELING_PREFIX + chosenText : '', {
    message: (data) => {
      if (!kubelet.write(data)) pauseUntilDrain(socket, kubelet);
    },
    closed: () => {
      kubelet.end();
      setTimeout(() => kubelet.destroy(), 10_000).unref();
    },
  });
  if (!ws) {
    kubelet.destroy();
    return;
  }
  kubelet.on('data', (chunk: Buffer) => {
    if (!ws.send(chunk)) pauseUntilDrain(kubelet, socket);
  });
  kubelet.on('end', () => ws.close());
  kubelet.on('close', () => ws.close());
  kubelet.on('error', (e: Error) => {
    log.debug('port-forward tunnel: kubelet connection failed', { err: e.message });
    ws.close();
  });
  if (r.head.length) kubelet.unshift(r.head);
}
