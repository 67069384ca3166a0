// Streaming through the API server on a real node: kubectl exec (SPDY with 1.27, WebSocket-then-fallback with 1.33),
// exit codes, stdin, attach, port-forward and cp both ways, plus upstream's refusals for bad containers and non-upgrades.
// Pods name their node directly (spec.nodeName), so only the kubelet and the API server's proxying are under test.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, kubectlBackground, kubectlOk, uniqueName, realNode } from './kubectl.ts';

const ns = uniqueName('streams');
const MINORS = [27, 33] as const;


const node = realNode();

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
