// Exec, attach and port-forward on the kubelet: CRI gives a URL on containerd's streaming server, the upgraded connection is relayed there.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Lister } from '../controllers/runtime/index.ts';
import type { KubeletContext } from './context.ts';
import type { Pod } from './types.ts';
import { proxyUpgrade, refuseUpgrade } from '../server/http/upgrade-proxy.ts';

/** A flag as the API server sends it (upstream's `input=1` …) or as a direct client might (`stdin=true`). */
function flag(q: URLSearchParams, legacy: string, modern: string): boolean {
  const v = q.get(legacy) ?? q.get(modern);
  return v === '1' || v === 'true';
}

/**
 * Serves /exec/{ns}/{pod}/{container}?command=…&input=1&output=1&error=1&tty=1, /attach/{ns}/{pod}/{container}?…
 * and /portForward/{ns}/{pod}: asks the runtime for a fresh streaming URL (each is single-use) and proxies the
 * client's upgrade to it, so the protocol the client offers (SPDY/3.1, WebSocket v4.channel.k8s.io) is
 * negotiated with containerd itself. Unknown pods and containers answer as upstream's kubelet does (404 / 500 with
 * `container not found ("c")`), which kubectl shows as `unable to upgrade connection: …`.
 */
export async function handleStreamUpgrade(ctx: KubeletContext, pods: Lister<Pod>, req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
  const url = new URL(req.url ?? '/', 'https://kubelet');
  const q = url.searchParams;
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [kind, namespace, name, container] = parts;
  const isContainerStream = (kind === 'exec' || kind === 'attach') && parts.length === 4;
  if (!isContainerStream && !(kind === 'portForward' && parts.length === 3)) {
    refuseUpgrade(socket, 404, 'text/plain; charset=utf-8', '404 page not found');
    return;
  }
  const pod = pods.get(`${namespace}/${name}`);
  if (!pod) {
    refuseUpgrade(socket, 404, 'text/plain; charset=utf-8', 'pod does not exist');
    return;
  }
  const runtime = ctx.cache.pod(pod.metadata.uid ?? '');
  let target: string;
  try {
    if (isContainerStream) {
      const inst = runtime.containers.find((c) => c.name === container && c.state === 'CONTAINER_RUNNING');
      if (!inst) {
        refuseUpgrade(socket, 500, 'text/plain; charset=utf-8', `container not found ("${container}")`);
        return;
      }
      const tty = flag(q, 'tty', 'tty');
      const streams = {
        containerId: inst.id, tty, stdin: flag(q, 'input', 'stdin'), stdout: flag(q, 'output', 'stdout'),
        // A terminal merges stderr into stdout; the runtime refuses both at once (upstream drops stderr too).
        stderr: !tty && flag(q, 'error', 'stderr'),
      };
      if (kind === 'exec') {
        const cmd = q.getAll('command');
        if (cmd.length === 0) {
          refuseUpgrade(socket, 400, 'text/plain; charset=utf-8', 'you must specify at least 1 command');
          return;
        }
        target = await ctx.cri.exec({ ...streams, cmd });
      } else {
        target = await ctx.cri.attach(streams);
      }
    } else {
      const sandbox = runtime.sandboxes.find((s) => s.state === 'SANDBOX_READY');
      if (!sandbox) {
        refuseUpgrade(socket, 500, 'text/plain; charset=utf-8', `pod sandbox of "${name}" not found`);
        return;
      }
      target = await ctx.cri.portForward(sandbox.id, q.getAll('port').map(Number).filter((p) => p > 0));
    }
  } catch (e: unknown) {
    refuseUpgrade(socket, 500, 'text/plain; charset=utf-8', e instanceof Error ? e.message : String(e));
    return;
  }
  try {
    await proxyUpgrade(req, socket, head, { url: new URL(target) });
  } catch (e: unknown) {
    refuseUpgrade(socket, 500, 'text/plain; charset=utf-8', `error dialing the runtime's streaming server: ${e instanceof Error ? e.message : String(e)}`);
  }
}
