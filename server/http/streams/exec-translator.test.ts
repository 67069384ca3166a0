// The exec translator between a raw v5 WebSocket client and a fake kubelet speaking SPDY v4: channels, stdin close, resize, exit status, refusals.
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../log.ts';
import { dialUpgrade } from '../upgrade-proxy.ts';
import { Channel, statusFromErrorStream, statusFromRefusal, translatedExecProtocol, translateExec, type ExecStreams } from './exec-translator.ts';
import { SpdySession, type SpdyStream } from './spdy.ts';
import { clientMessage, rawClient, useTestServers } from './ws-test-client.ts';
import { Opcode } from './websocket.ts';

const listen = useTestServers();

const EXIT_3 = '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}';

interface KubeletSeen {
  protocols: string[];
  streams: string[];
  resize: string[];
  /** The kubelet side of the upgraded connection. */
  socket?: Duplex;
}

/**
 * A kubelet-like SPDY server: once every expected stream is there, echoes stdin upper-cased to stdout, writes "bye"
 * to stderr when stdin ends, then reports exit code 3 on the error stream and resets everything, as the kubelet does.
 */
async function fakeKubelet(expected: string[], seen: KubeletSeen, refuse?: { code: number; body: string }): Promise<number> {
  const server = http.createServer((_q, s) => s.writeHead(404).end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    seen.socket = socket;
    seen.protocols = req.rawHeaders.filter((_v, i) => i % 2 === 1 && req.rawHeaders[i - 1]!.toLowerCase() === 'x-stream-protocol-version');
    if (refuse) {
      socket.end(`HTTP/1.1 ${refuse.code} Refused\r\nContent-Type: text/plain\r\nContent-Length: ${refuse.body.length}\r\n\r\n${refuse.body}`);
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    const byType = new Map<string, SpdyStream>();
    const session = new SpdySession(socket, {
      role: 'server',
      stream: (s) => {
        const type = s.headers.streamtype?.[0] ?? '';
        seen.streams.push(type);
        byType.set(type, s);
        s.reply();
        if (expected.every((t) => byType.has(t))) start();
      },
    });
    const finish = (): void => {
      byType.get('stderr')?.write(Buffer.from('bye'));
      byType.get('error')!.write(Buffer.from(EXIT_3));
      for (const s of byType.values()) s.reset();
      session.close();
    };
    const start = (): void => {
      const stdin = byType.get('stdin');
      byType.get('resize')?.handlers && (byType.get('resize')!.handlers = { data: (d) => seen.resize.push(d.toString()) });
      if (!stdin) return finish();
      stdin.handlers = { data: (d) => byType.get('stdout')?.write(Buffer.from(d.toString().toUpperCase())), end: finish };
    };
  });
  return listen(server);
}

async function translator(kubeletPort: number, streams: ExecStreams): Promise<number> {
  const server = http.createServer((_q, s) => s.writeHead(404).end());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const dial = (headers: Record<string, string | string[]>) => dialUpgrade({ url: new URL(`http://127.0.0.1:${kubeletPort}/exec/ns/pod/c`) }, 'POST', headers);
    translateExec(req, socket, head, 'v5.channel.k8s.io', streams, dial, createLogger('test'));
  });
  return listen(server);
}

const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

const channelText = (frames: Array<{ opcode: number; payload: Buffer }>, channel: number): string =>
  frames.filter((f) => f.opcode === Opcode.binary && f.payload[0] === channel).map((f) => f.payload.subarray(1).toString()).join('');

describe('translatedExecProtocol', () => {
  it.each([
    [['v5.channel.k8s.io'], 'v5.channel.k8s.io'],
    [['v4.channel.k8s.io', 'v5.channel.k8s.io'], 'v5.channel.k8s.io'],
    [['v4.channel.k8s.io', 'channel.k8s.io'], undefined],
    [['SPDY/3.1+portforward.k8s.io'], undefined],
  ])('for offered %j translates %s', (offered, want) => {
    expect(translatedExecProtocol(offered)).toBe(want);
  });
});

describe('statuses', () => {
  it('relays the kubelet\'s v4 Status verbatim and an empty error stream as Success', () => {
    expect(statusFromErrorStream('v4.channel.k8s.io', Buffer.from(EXIT_3)).toString()).toBe(EXIT_3);
    expect(JSON.parse(statusFromErrorStream('v4.channel.k8s.io', Buffer.alloc(0)).toString())).toEqual({ metadata: {}, status: 'Success' });
  });

  it('reports a plain-text refusal as upstream\'s InternalError for "unable to upgrade connection"', () => {
    expect(JSON.parse(statusFromRefusal(Buffer.from('container not found ("c")\n')).toString())).toEqual({
      metadata: {}, status: 'Failure', message: 'Internal error occurred: unable to upgrade connection: container not found ("c")',
      reason: 'InternalError', details: { causes: [{ message: 'unable to upgrade connection: container not found ("c")' }] }, code: 500,
    });
  });
});

describe('translateExec', () => {
  it('relays stdin, stdout, stderr and the exit status, and turns v5\'s stdin CLOSE into the end of the SPDY stdin', async () => {
    const seen: KubeletSeen = { protocols: [], streams: [], resize: [] };
    const kubelet = await fakeKubelet(['error', 'stdin', 'stdout', 'stderr'], seen);
    const port = await translator(kubelet, { stdin: true, stdout: true, stderr: true, tty: false });
    const c = await rawClient(port, '', { protocols: 'v5.channel.k8s.io' });
    const head = await c.response;
    expect(head).toMatch(/^HTTP\/1.1 101/);
    expect(head).toContain('Sec-WebSocket-Protocol: v5.channel.k8s.io');
    c.socket.write(clientMessage([Channel.stdin, ...Buffer.from('hello ')]));
    c.socket.write(clientMessage([Channel.stdin, ...Buffer.from('world')]));
    c.socket.write(clientMessage([Channel.close, Channel.stdin]));
    await until(() => c.frames.some((f) => f.opcode === Opcode.close));
    // The first message is upstream's empty "connection established" message on stdout.
    expect([...c.frames[0]!.payload]).toEqual([Channel.stdout]);
    expect(channelText(c.frames, Channel.stdout)).toBe('HELLO WORLD');
    expect(channelText(c.frames, Channel.stderr)).toBe('bye');
    expect(channelText(c.frames, Channel.error)).toBe(EXIT_3);
    expect(seen.protocols).toEqual(['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io']);
    expect(seen.streams).toEqual(['error', 'stdin', 'stdout', 'stderr']);
    await c.ended;
  });

  it('with a tty opens the resize stream instead of stderr and relays channel 4', async () => {
    const seen: KubeletSeen = { protocols: [], streams: [], resize: [] };
    const kubelet = await fakeKubelet(['error', 'stdin', 'stdout', 'resize'], seen);
    const port = await translator(kubelet, { stdin: true, stdout: true, stderr: false, tty: true });
    const c = await rawClient(port, '', { protocols: 'v5.channel.k8s.io' });
    await c.response;
    c.socket.write(clientMessage([Channel.resize, ...Buffer.from('{"Width":101,"Height":33}')]));
    await until(() => seen.resize.length === 1);
    expect(seen.resize).toEqual(['{"Width":101,"Height":33}']);
    c.socket.write(clientMessage([Channel.close, Channel.stdin]));
    await until(() => c.frames.some((f) => f.opcode === Opcode.close));
    expect(seen.streams).toEqual(['error', 'stdin', 'stdout', 'resize']);
    expect(channelText(c.frames, Channel.error)).toBe(EXIT_3);
  });

  it('reports a kubelet refusal on the error channel and closes', async () => {
    const seen: KubeletSeen = { protocols: [], streams: [], resize: [] };
    const kubelet = await fakeKubelet([], seen, { code: 500, body: 'container not found ("c")' });
    const port = await translator(kubelet, { stdin: false, stdout: true, stderr: true, tty: false });
    const c = await rawClient(port, '', { protocols: 'v5.channel.k8s.io' });
    await until(() => c.frames.some((f) => f.opcode === Opcode.close));
    expect(JSON.parse(channelText(c.frames, Channel.error)).message).toBe('Internal error occurred: unable to upgrade connection: container not found ("c")');
  });

  it('ends the kubelet connection when the client goes away', async () => {
    const seen: KubeletSeen = { protocols: [], streams: [], resize: [] };
    const kubelet = await fakeKubelet(['error', 'stdin', 'stdout', 'stderr'], seen);
    const port = await translator(kubelet, { stdin: true, stdout: true, stderr: true, tty: false });
    const c = await rawClient(port, '', { protocols: 'v5.channel.k8s.io' });
    await until(() => seen.streams.length === 4);
    const closed = new Promise<void>((r) => seen.socket!.once('end', () => r()));
    c.socket.destroy();
    await closed;
  });
});
