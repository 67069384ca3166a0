// CriClient against a real containerd that scripts/node/setup.sh brings up in a temporary DATA_DIR (root only).
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NodeEnv, setupNode, teardownNode } from '../../scripts/node/node-runtime.ts';
import { CriClient } from './client.ts';
import { CriCode, CriError } from './errors.ts';
import type { ContainerConfig, PodSandboxConfig } from './types.ts';

const isRoot = process.getuid?.() === 0;

/** GET http://host:port/ → [status, body]; rejects on connection errors and after 2 s. */
function httpGet(host: string, port: number): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { body += chunk; });
      res.on('end', () => resolve([res.statusCode ?? 0, body]));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** Retry `fn` every 50 ms until it resolves, for at most `ms`; then rethrow its last error. */
async function eventually<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e: unknown) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function sh(cmd: string): string {
  try {
    return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

const natChains = (): string[] => sh('iptables -w 5 -t nat -S').split('\n').filter((l) => l.startsWith('-N CNI-')).sort();

describe.skipIf(!isRoot)('CriClient against a real containerd (skipped unless root: containerd, runc and CNI need it)', { timeout: 30_000 }, () => {
  const suffix = randomBytes(3).toString('hex');
  const bridge = `tskt${suffix}`;
  const cgroupRoot = `tskube-test-${suffix}`;
  const podCidr = `10.251.${randomBytes(1)[0]}.0/24`;
  const hostPort = 20000 + (randomBytes(2).readUInt16BE() % 10000);
  const uid = randomUUID();
  let dataDir = '';
  let env: NodeEnv;
  let client: CriClient;
  let chainsBefore: string[] = [];
  let tornDown = false;

  let sandboxId = '';
  let webId = '';
  let loggerId = '';
  let sandboxConfig: PodSandboxConfig;

  beforeAll(async () => {
    dataDir = mkdtempSync('/tmp/tskube-cri-');
    chainsBefore = natChains();
    const setup = await setupNode(dataDir, { podCidr, bridge, cgroupRoot });
    console.log(`[measure] setup.sh: ${setup.ms} ms\n${setup.output.trim()}`);
    env = setup.env;
    client = new CriClient(env.containerdSocket, { timeoutMs: 20_000 });
  }, 600_000);

  afterAll(async () => {
    client?.close();
    if (dataDir && !tornDown) await teardownNode(dataDir, { purge: true }).catch((e: unknown) => console.error(e));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it('reports containerd 1.6 speaking CRI runtime v1', async () => {
    const v = await client.version();
    expect(v.runtimeName).toBe('containerd');
    expect(v.runtimeVersion).toMatch(/^v?1\.6\./);
    expect(v.runtimeApiVersion).toBe('v1');
  });

  it('reports the runtime and the pod network ready', async () => {
    const s = await client.status();
    const conditions = Object.fromEntries((s.status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(conditions).toEqual({ RuntimeReady: true, NetworkReady: true });
  });

  it('finds the offline images by name, by short name, and reports absent ones as null', async () => {
    const busybox = await client.imageStatus('busybox');
    expect(busybox?.repoTags).toEqual(expect.arrayContaining(['localhost/busybox:latest', 'docker.io/library/busybox:latest']));
    expect(await client.imageStatus('localhost/pause:3.9')).not.toBeNull();
    expect(await client.imageStatus('localhost/no-such-image:1')).toBeNull();
    const tags = (await client.listImages()).flatMap((i) => i.repoTags);
    expect(tags).toEqual(expect.arrayContaining(['localhost/pause:3.9', 'localhost/busybox:latest']));
    const fs = await client.imageFsInfo();
    expect(fs[0]?.fsId?.mountpoint.startsWith(dataDir)).toBe(true);
  });

  it('imports an image tarball with `tskube image import`, after which the runtime finds it by name', async () => {
    const tarball = `${dataDir}/imported.tar`;
    sh(`python3 scripts/node/mkimage.py busybox --binary /bin/busybox --ref localhost/imported:1 --out ${tarball}`);
    expect(await client.imageStatus('localhost/imported:1')).toBeNull();
    const listed = sh(`${process.execPath} bin/tskube.mjs image import ${tarball} --node-dir ${dataDir}`);
    expect(listed.split('\n')).toContain('localhost/imported:1');
    expect((await client.imageStatus('localhost/imported:1'))?.repoTags).toContain('localhost/imported:1');
  });

  it('runs a busybox httpd pod that answers on its pod IP and on its host port', async () => {
    const logDirectory = `${dataDir}/pods/default_web_${uid}`;
    mkdirSync(logDirectory, { recursive: true });
    sandboxConfig = {
      metadata: { name: 'web', uid, namespace: 'default', attempt: 0 },
      hostname: 'web',
      logDirectory,
      portMappings: [{ protocol: 'TCP', containerPort: 8080, hostPort }],
      labels: { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': uid },
      linux: {
        cgroupParent: `/${cgroupRoot}/besteffort/pod${uid}`,
        securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
      },
    };
    const web: ContainerConfig = {
      metadata: { name: 'web', attempt: 0 },
      image: { image: 'localhost/busybox:latest' },
      command: ['httpd', '-f', '-p', '8080', '-h', '/var/www'],
      logPath: 'web/0.log',
      labels: { 'io.kubernetes.container.name': 'web' },
    };
    const t0 = performance.now();
    sandboxId = await client.runPodSandbox(sandboxConfig);
    const t1 = performance.now();
    webId = await client.createContainer(sandboxId, web, sandboxConfig);
    const t2 = performance.now();
    await client.startContainer(webId);
    const t3 = performance.now();
    console.log(`[measure] RunPodSandbox ${(t1 - t0).toFixed(0)} ms, CreateContainer ${(t2 - t1).toFixed(0)} ms, ` +
      `StartContainer ${(t3 - t2).toFixed(0)} ms, total ${(t3 - t0).toFixed(0)} ms`);

    const status = (await client.containerStatus(webId)).status;
    expect(status?.state).toBe('CONTAINER_RUNNING');
    expect(status?.logPath).toBe(`${logDirectory}/web/0.log`);
    const sandbox = (await client.podSandboxStatus(sandboxId)).status;
    expect(sandbox?.state).toBe('SANDBOX_READY');
    expect(sandbox?.metadata).toEqual(sandboxConfig.metadata);
    const ip = sandbox?.network?.ip ?? '';
    expect(ip.startsWith(podCidr.split('.').slice(0, 3).join('.') + '.')).toBe(true);

    const [code, body] = await eventually(() => httpGet(ip, 8080));
    console.log(`[measure] first HTTP answer from the pod ${(performance.now() - t0).toFixed(0)} ms after RunPodSandbox`);
    expect(code).toBe(200);
    expect(body).toBe('hello from tskube busybox\n');
    const [hostCode] = await eventually(() => httpGet('127.0.0.1', hostPort));
    expect(hostCode).toBe(200);
  });

  it('runs commands in the container with ExecSync, keeping stdout, stderr and the exit code apart', async () => {
    const hi = await client.execSync(webId, ['echo', 'hi'], 5);
    expect(hi).toEqual({ stdout: Buffer.from('hi\n'), stderr: Buffer.alloc(0), exitCode: 0 });
    const failing = await client.execSync(webId, ['sh', '-c', 'echo oops >&2; exit 3'], 5);
    expect(failing.stderr.toString()).toBe('oops\n');
    expect(failing.exitCode).toBe(3);
  });

  it('answers DEADLINE_EXCEEDED when an ExecSync outlives its timeout', async () => {
    const err = await client.execSync(webId, ['sleep', '10'], 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CriError);
    expect((err as CriError).code).toBe(CriCode.DEADLINE_EXCEEDED);
  });

  it('writes container output to the log file in CRI format and reports the exit', async () => {
    const logger: ContainerConfig = {
      metadata: { name: 'logger', attempt: 0 },
      image: { image: 'busybox' },
      command: ['sh', '-c', 'echo hello stdout; echo hello stderr >&2'],
      logPath: 'logger/0.log',
    };
    loggerId = await client.createContainer(sandboxId, logger, sandboxConfig);
    await client.startContainer(loggerId);
    const status = await eventually(async () => {
      const s = (await client.containerStatus(loggerId)).status;
      if (s?.state !== 'CONTAINER_EXITED') throw new Error(`still ${s?.state}`);
      return s;
    });
    expect(status.exitCode).toBe(0);
    expect(status.reason).toBe('Completed');
    // containerd stamps start and exit from different events: for a process this short, exit may read a hair earlier.
    expect(BigInt(status.finishedAt)).toBeGreaterThanOrEqual(BigInt(status.startedAt) - 1_000_000n);
    const lines = readFileSync(status.logPath, 'utf8').trimEnd().split('\n');
    const parsed = lines.map((l) => /^(\S+) (stdout|stderr) ([FP]) (.*)$/.exec(l));
    expect(parsed.every((m) => m !== null && !Number.isNaN(Date.parse(m[1]!)))).toBe(true);
    expect(parsed.map((m) => `${m?.[2]} ${m?.[3]} ${m?.[4]}`).sort()).toEqual(['stderr F hello stderr', 'stdout F hello stdout']);
  });

  it('lists the sandbox and its containers, with filters', async () => {
    const sandboxes = await client.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } });
    expect(sandboxes.map((s) => s.id)).toEqual([sandboxId]);
    const running = await client.listContainers({ podSandboxId: sandboxId, state: { state: 'CONTAINER_RUNNING' } });
    expect(running.map((c) => c.id)).toEqual([webId]);
    const all = await client.listContainers({ podSandboxId: sandboxId });
    expect(all.map((c) => c.metadata?.name).sort()).toEqual(['logger', 'web']);
  });

  it('reports container and pod sandbox stats', async () => {
    const stats = await client.containerStats(webId);
    expect(stats?.attributes?.id).toBe(webId);
    expect(Number(stats?.memory?.workingSetBytes?.value)).toBeGreaterThan(0);
    const listed = await client.listContainerStats({ podSandboxId: sandboxId });
    expect(listed.map((s) => s.attributes?.id)).toContain(webId);
    const pod = await client.podSandboxStats(sandboxId);
    expect(pod?.attributes?.id).toBe(sandboxId);
    expect(pod?.linux?.cpu).not.toBeNull();
    expect((await client.listPodSandboxStats()).map((s) => s.attributes?.id)).toContain(sandboxId);
  });

  it('hands out exec, attach and port-forward URLs on the local stream server', async () => {
    const urls = [
      await client.exec({ containerId: webId, cmd: ['sh'], stdin: true, stdout: true }),
      await client.attach({ containerId: webId, stdout: true, stderr: true }),
      await client.portForward(sandboxId, [8080]),
    ];
    for (const url of urls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/(exec|attach|portforward)\/\S+$/);
  });

  it('answers NOT_FOUND for unknown ids', async () => {
    for (const call of [() => client.containerStatus('no-such-container'), () => client.podSandboxStatus('no-such-sandbox'),
      () => client.execSync('no-such-container', ['true'])]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CriError);
      expect((err as CriError).code).toBe(CriCode.NOT_FOUND);
    }
  });

  it('stops and removes the containers and the sandbox, idempotently', async () => {
    const t0 = performance.now();
    await client.stopContainer(webId, 1); // busybox httpd as PID 1 ignores SIGTERM: SIGKILL after 1 s
    expect((await client.containerStatus(webId)).status?.state).toBe('CONTAINER_EXITED');
    await client.removeContainer(webId);
    await client.removeContainer(loggerId);
    await client.stopPodSandbox(sandboxId);
    await client.removePodSandbox(sandboxId);
    console.log(`[measure] stop+remove pod ${(performance.now() - t0).toFixed(0)} ms`);
    await client.removePodSandbox(sandboxId);
    await client.removeContainer(webId);
    expect(await client.listPodSandbox()).toEqual([]);
    expect(await client.listContainers()).toEqual([]);
  });

  it('leaves no containerd, bridge, CNI rules, mounts or pod cgroups behind after teardown', async () => {
    const pid = Number(readFileSync(env.containerdPidFile, 'utf8'));
    const down = await teardownNode(dataDir, { purge: true });
    tornDown = true;
    console.log(`[measure] teardown.sh: ${down.ms} ms\n${down.output.trim()}`);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(sh(`ip link show ${bridge}`)).toBe('');
    expect(natChains()).toEqual(chainsBefore);
    expect(sh('iptables -w 5 -t nat -S')).not.toContain(`"${env.cniNetwork}"`);
    expect(readFileSync('/proc/self/mounts', 'utf8')).not.toContain(`${dataDir}/`);
    const cgroups = readdirSync('/sys/fs/cgroup').filter((c) => existsSync(`/sys/fs/cgroup/${c}/${cgroupRoot}`));
    expect(cgroups).toEqual([]);
    expect(sh(`ps -eo args | grep -F -- '${dataDir}/' | grep -v grep`)).toBe('');
    expect(existsSync(`${dataDir}/containerd`)).toBe(false);
  }, 60_000);
});
