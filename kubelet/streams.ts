// Exec, attach and port-forward on the kubelet: the upgraded connection is relayed to containerd's streaming server.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Lister } from '../controllers/runtime/index.ts';
import type { KubeletContext } from './context.ts';
import type { Pod } from './types.ts';

/** Not implemented yet: answers 501 so clients see a clear error instead of a hang. */
export async function handleStreamUpgrade(_ctx: KubeletContext, _pods: Lister<Pod>, _req: IncomingMessage, socket: Socket, _head: Buffer): Promise<void> {
  socket.end('HTTP/1.1 501 Not Implemented\r\nContent-Type: text/plain\r\nContent-Length: 15\r\n\r\nNot Implemented');
}
