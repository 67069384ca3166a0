// Streaming through the API server on a real node: kubectl exec (SPDY with 1.27, WebSocket with 1.33, proven by its own
// verbose log), exit codes, stdin, a terminal, attach, port-forward and cp both ways, plus upstream's refusals.
// Pods name their node directly (spec.nodeName), so only the kubelet and the API server's proxying are under test.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeconfigPath, kubectl, kubectlBackground, kubectlBinary, kubectlOk, uniqueName, realNode, type KubectlResult } from './kubectl.ts';

const ns = uniqueName('streams');
const MINORS = [27, 33] as const;


const node = realNode();

/** kubectl 1.30+ logs these at -v=4: the negotiated WebSocket subprotocol, and any fall back to SPDY. */
const WEBSOCKET_EXEC = 'The subprotocol is v5.channel.k8s.io';
const FALLBACK = /fallback/i;
/** kubectl 1.33's tunnelling dialer once the WebSocket is up (later releases word it "Negotiation complete"). */
const WEBSOCKET_PORT_FORWARD = /negotiated protocol:? "?portforward\.k8s\.io|Negotiation complete.*portforward\.k8s\.io/;
/** Asks kubectl for its WebSocket streaming explicitly (the default since 1.30 / 1.31, so this also holds against upstream). */
const WEBSOCKET_ENV = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'true', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'true' };

/** kubectl 1.NN with the WebSocket switches on and -v=4, so its log tells which protocol carried the session. */
function kubectlWs(minor: number, args: readonly string[], stdin?: string): KubectlResult {
  const r = spawnSync(kubectlBinary(minor), ['-v=4', ...args], {
    input: stdin, encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...WEBSOCKET_ENV, KUBECONFIG: kubeconfigPath() },
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Runs kubectl on a pseudo-terminal of 33 rows × 101 columns (kubectl exec -t needs a real terminal on stdin), via
 * python3's pty module; returns what the terminal showed and kubectl's exit code. Undefined without python3.
 */
const PTY_RUNNER = `
import os, sys, pty, fcntl, termios, struct
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 33, 101, 0, 0))
    os.execvp(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.waitstatus_to_exitcode(status))
`;
const hasPty = spawnSync('python3', ['-c', 'import pty, termios, fcntl'], { timeout: 10_000 }).status === 0;
function onTerminal(minor: number, args: readonly string[]): { code: number; output: string } {
  const r = spawnSync('python3', ['-c', PTY_RUNNER, kubectlBinary(minor), ...args], {
    encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...WEBSOCKET_ENV, KUBECONFIG: kubeconfigPath() },
  });
  return { code: r.status ?? -1, output: r.stdout ?? '' };
}

function busyboxPod(name: string, command: string[], extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns },
    spec: { nodeName: node, terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', imagePullPolicy: 'IfNotPresent', command, ...extra }] },
  });
}

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path: '/', timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

describe.skipIf(!node)(`exec, attach, port-forward and cp through the API server (skipped without a real node; node "${node}")`, { timeout: 60_000 }, () => {
  let dir = '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tskube-streams-'));
    kubectlOk(['create', 'namespace', ns]);
    const web = 'mkdir -p /www && echo hello-streams > /www/index.html && exec httpd -f -p 80 -h /www';
    kubectlOk(['apply', '-f', '-'], { stdin: busyboxPod('web', ['sh', '-c', web], { ports: [{ containerPort: 80 }] }) });
    kubectlOk(['apply', '-f', '-'], { stdin: busyboxPod('talk', ['sh', '-c', 'while read l; do echo "got $l"; done'], { stdin: true }) });
    kubectlOk(['wait', '--for=condition=Ready', 'pod/web', 'pod/talk', '-n', ns, '--timeout=60s']);
  }, 90_000);
  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
    kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it.each(MINORS)('kubectl 1.%i exec runs a command and prints its output', (minor) => {
    expect(kubectlOk(['exec', 'web', '-n', ns, '--', 'echo', 'hi'], { minor })).toBe('hi\n');
  });

  it.each(MINORS)('kubectl 1.%i exec exits with the command\'s exit code', (minor) => {
    const r = kubectl(['exec', 'web', '-n', ns, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3'], { minor });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('out\n');
    expect(r.stderr).toContain('err\n');
    expect(r.stderr).toContain('command terminated with exit code 3');
  });

  it.each(MINORS)('kubectl 1.%i exec -i passes stdin through to the end', (minor) => {
    expect(kubectlOk(['exec', '-i', 'web', '-n', ns, '--', 'cat'], { minor, stdin: 'line one\nline two\n' })).toBe('line one\nline two\n');
  });

  it.each(MINORS)('kubectl 1.%i attach -i talks to the container\'s own stdin', async (minor) => {
    // attach ends when its stdin does; the container's answer is checked in its log rather than racing that end.
    kubectl(['attach', '-i', 'talk', '-n', ns], { minor, stdin: `hello-${minor}\n`, timeoutMs: 10_000 });
    await eventually(() => kubectlOk(['logs', 'talk', '-n', ns]).includes(`got hello-${minor}\n`), 10_000);
  });

  it.each(MINORS)('kubectl 1.%i port-forward forwards a local port to the pod\'s port 80', async (minor) => {
    const port = 18080 + minor;
    const pf = kubectlBackground(['port-forward', '-n', ns, 'pod/web', `${port}:80`], minor);
    try {
      await eventually(() => pf.output().includes(`Forwarding from 127.0.0.1:${port} -> 80`), 15_000);
      expect(await httpGet('127.0.0.1', port)).toBe('hello-streams\n');
      expect(await httpGet('127.0.0.1', port)).toBe('hello-streams\n');
    } finally {
      pf.stop();
    }
  });

  it('kubectl 1.33 exec speaks WebSocket v5 end to end: output, stderr and the exit code, with no fall back to SPDY', () => {
    const ok = kubectlWs(33, ['exec', 'web', '-n', ns, '--', 'echo', 'hi']);
    expect(ok.stdout).toBe('hi\n');
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain(WEBSOCKET_EXEC);
    expect(ok.stderr).not.toMatch(FALLBACK);
    const failed = kubectlWs(33, ['exec', 'web', '-n', ns, '--', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(failed.code).toBe(3);
    expect(failed.stdout).toBe('out\n');
    expect(failed.stderr).toContain('err\n');
    expect(failed.stderr).toContain('command terminated with exit code 3');
    expect(failed.stderr).toContain(WEBSOCKET_EXEC);
    expect(failed.stderr).not.toMatch(FALLBACK);
  });

  it('kubectl 1.33 exec -i over WebSocket passes piped stdin through and ends when it does', () => {
    const r = kubectlWs(33, ['exec', '-i', 'web', '-n', ns, '--', 'cat'], 'hi over websocket\nsecond line\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('hi over websocket\nsecond line\n');
    expect(r.stderr).toContain(WEBSOCKET_EXEC);
    expect(r.stderr).not.toMatch(FALLBACK);
  });

  it('kubectl 1.33 attach -i over WebSocket reaches the container\'s stdin', async () => {
    const r = kubectlWs(33, ['attach', '-i', 'talk', '-n', ns], 'hello-websocket\n');
    expect(r.stderr).toContain(WEBSOCKET_EXEC);
    expect(r.stderr).not.toMatch(FALLBACK);
    await eventually(() => kubectlOk(['logs', 'talk', '-n', ns]).includes('got hello-websocket\n'), 10_000);
  });

  it.skipIf(!hasPty).each(MINORS)('kubectl 1.%i exec -it gives the command a terminal of the caller\'s size and returns its exit code', (minor) => {
    // The size is read after a pause: kubectl sends it on the resize stream once the session is up.
    const r = onTerminal(minor, ['-v=4', 'exec', '-it', 'web', '-n', ns, '--', 'sh', '-c', 'test -t 0 && echo is-a-tty; sleep 1; stty size; exit 4']);
    expect(r.output).toContain('is-a-tty');
    expect(r.output).toContain('33 101');
    expect(r.output).toContain('command terminated with exit code 4');
    expect(r.code).toBe(4);
    if (minor >= 30) {
      expect(r.output).toContain(WEBSOCKET_EXEC);
      expect(r.output).not.toMatch(FALLBACK);
    }
  });

  it('kubectl 1.33 port-forward tunnels SPDY through a WebSocket and serves HTTP through it', async () => {
    const port = 18133;
    const child = spawn(kubectlBinary(33), ['-v=4', 'port-forward', '-n', ns, 'pod/web', `${port}:80`], {
      env: { ...process.env, ...WEBSOCKET_ENV, KUBECONFIG: kubeconfigPath() },
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await eventually(() => out.includes(`Forwarding from 127.0.0.1:${port} -> 80`), 15_000);
      expect(await httpGet('127.0.0.1', port)).toBe('hello-streams\n');
      expect(await httpGet('127.0.0.1', port)).toBe('hello-streams\n');
      expect(out).toMatch(WEBSOCKET_PORT_FORWARD);
      expect(out).not.toMatch(FALLBACK);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it.each(MINORS)('kubectl 1.%i cp copies a file into the pod and back out', (minor) => {
    const local = join(dir, `up-${minor}.txt`);
    writeFileSync(local, `copied in by 1.${minor}\n`);
    kubectlOk(['cp', local, `${ns}/web:/tmp/in.txt`], { minor });
    expect(kubectlOk(['exec', 'web', '-n', ns, '--', 'cat', '/tmp/in.txt'])).toBe(`copied in by 1.${minor}\n`);
    const back = join(dir, `down-${minor}.txt`);
    kubectlOk(['cp', `${ns}/web:/www/index.html`, back], { minor });
    expect(readFileSync(back, 'utf8')).toBe('hello-streams\n');
  });

  it.each(MINORS)('kubectl 1.%i exec into an unknown container fails with upstream\'s message', (minor) => {
    const r = kubectl(['exec', 'web', '-n', ns, '-c', 'nope', '--', 'true'], { minor });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('container nope is not valid for pod web');
  });

  it('answers a plain (non-upgrade) exec request with 400 Upgrade request required', () => {
    const r = kubectl(['get', '--raw', `/api/v1/namespaces/${ns}/pods/web/exec?command=true&stdout=true`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Upgrade request required');
  });
});
