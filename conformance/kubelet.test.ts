// The kubelet end to end on real containerd: node registration, the busybox httpd walkthrough, env and volumes,
// init containers, CrashLoopBackOff, logs (--previous, -f), liveness restarts, readiness, and a 3-replica Deployment.
// Pods name their node directly (spec.nodeName), so only the kubelet is under test; images use IfNotPresent.
import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, kubectl, kubectlOk, uniqueName, realNode } from './kubectl.ts';

const ns = uniqueName('kubelet');


const node = realNode();

function pod(name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, ...extra }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, ...spec } });
}

const busybox = (name: string, command: string[], more: Record<string, unknown> = {}): Record<string, unknown> => ({ name, image: 'busybox', imagePullPolicy: 'IfNotPresent', command, ...more });

function podJson(name: string): { status?: Record<string, any> } { // eslint-disable-line @typescript-eslint/no-explicit-any -- status shapes vary by test
  return JSON.parse(kubectlOk(['get', 'pod', name, '-n', ns, '-o', 'json']));
}

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path: '/', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

/** Container ids in our own containerd (when this run started the node), else undefined. */
function runtimeContainers(): string[] | undefined {
  if (!inject('kubeletNode') || !inject('ownCluster')) return undefined;
  const socket = `${inject('dataDir')}/node/containerd/containerd.sock`;
  try {
    return execFileSync('ctr', ['-a', socket, '-n', 'k8s.io', 'containers', 'ls', '-q'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return undefined;
  }
}

describe.skipIf(!node)(`kubelet on a real node (skipped without one: needs root for containerd; node "${node}")`, { timeout: 120_000 }, () => {
  beforeAll(() => {
    kubectlOk(['create', 'namespace', ns]);
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
    kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
  });

  it('registers a Ready node with host capacity, node info and a lease in kube-node-lease', async () => {
    const n = JSON.parse(kubectlOk(['get', 'node', node, '-o', 'json']));
    const ready = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    expect(ready).toMatchObject({ status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' });
    expect(n.status.conditions.map((c: { type: string }) => c.type).sort()).toEqual(['DiskPressure', 'MemoryPressure', 'PIDPressure', 'Ready']);
    expect(n.status.capacity).toMatchObject({ pods: '110' });
    expect(Object.keys(n.status.allocatable)).toEqual(expect.arrayContaining(['cpu', 'memory', 'ephemeral-storage', 'pods']));
    expect(n.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\//);
    expect(n.status.addresses.map((a: { type: string }) => a.type)).toEqual(expect.arrayContaining(['InternalIP', 'Hostname']));
    const lease = JSON.parse(kubectlOk(['get', 'lease', node, '-n', 'kube-node-lease', '-o', 'json']));
    expect(lease.spec.holderIdentity).toBe(node);
  });

  it('runs busybox httpd: Running with an IP on the node, answers HTTP from the host, and deleting it removes the container', async () => {
    const script = 'mkdir -p /www && echo hello-kubelet > /www/index.html && exec httpd -f -p 80 -h /www';
    kubectlOk(['apply', '-f', '-'], { stdin: pod('web', { containers: [busybox('httpd', ['sh', '-c', script], { ports: [{ containerPort: 80 }] })] }) });
    const status = await eventually(() => {
      const s = podJson('web').status;
      return s?.phase === 'Running' && s.conditions?.some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True') && s.podIP ? s : undefined;
    }, 30_000);
    const wide = kubectlOk(['get', 'pod', 'web', '-n', ns, '-o', 'wide']);
    expect(wide.split('\n')[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/);
    expect(wide).toMatch(new RegExp(`web\\s+1/1\\s+Running\\s+0\\s+\\S+\\s+${status.podIP.replace(/\./g, '\\.')}\\s+${node}\\s`));
    expect(status.containerStatuses[0]).toMatchObject({ name: 'httpd', ready: true, restartCount: 0, started: true });
    expect(status.containerStatuses[0].containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    if (inject('kubeletNode')) expect(await eventually(() => httpGet(status.podIP, 80).catch(() => ''), 10_000)).toBe('hello-kubelet\n');
    const id = status.containerStatuses[0].containerID.slice('containerd://'.length);
    expect(runtimeContainers() ?? [id]).toContain(id);
    const events = kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=web', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
    expect(events.split('\n')).toEqual(expect.arrayContaining(['Created', 'Started']));
    kubectlOk(['delete', 'pod', 'web', '-n', ns, '--wait=true', '--timeout=30s']);
    expect(kubectl(['get', 'pod', 'web', '-n', ns]).stderr).toContain('NotFound');
    const left = runtimeContainers();
    if (left) expect(left).not.toContain(id);
  });

  it('gives containers env from values, ConfigMaps, Secrets and the downward API, and mounts configMap, secret, downwardAPI and emptyDir volumes', async () => {
    kubectlOk(['create', 'configmap', 'cfg', '-n', ns, '--from-literal=color=blue', '--from-literal=size=large']);
    kubectlOk(['create', 'secret', 'generic', 'sec', '-n', ns, '--from-literal=password=s3cret']);
    const script = [
      'echo "A=$A B=$B COLOR=$COLOR PW=$PW NAME=$MY_NAME NS=$MY_NS CFG_size=$CFG_size"',
      'echo "file=$(cat /etc/cfg/color) secret=$(cat /etc/sec/password) labels=$(cat /etc/info/labels)"',
      'echo "sub=$(cat /etc/sub)"', 'echo "init=$(cat /work/init.txt)"', 'pwd',
    ].join('; ');
    kubectlOk(['apply', '-f', '-'], {
      stdin: pod('env', {
        restartPolicy: 'Never',
        volumes: [
          { name: 'cfg', configMap: { name: 'cfg' } }, { name: 'sec', secret: { secretName: 'sec' } },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: "metadata.labels['app']" } }] } },
          { name: 'work', emptyDir: {} },
        ],
        initContainers: [busybox('init', ['sh', '-c', 'echo from-init > /work/init.txt'], { volumeMounts: [{ name: 'work', mountPath: '/work' }] })],
        containers: [busybox('main', ['sh', '-c', script], {
          workingDir: '/work',
          env: [
            { name: 'A', value: 'one' }, { name: 'B', value: '$(A)-two' },
            { name: 'COLOR', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'color' } } },
            { name: 'PW', valueFrom: { secretKeyRef: { name: 'sec', key: 'password' } } },
            { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'MY_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          ],
          envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg' } }],
          volumeMounts: [
            { name: 'cfg', mountPath: '/etc/cfg' }, { name: 'sec', mountPath: '/etc/sec' }, { name: 'info', mountPath: '/etc/info' },
            { name: 'cfg', mountPath: '/etc/sub', subPath: 'size' }, { name: 'work', mountPath: '/work' },
          ],
        })],
      }, { labels: { app: 'envtest' } }),
    });
    await eventually(() => podJson('env').status?.phase === 'Succeeded', 30_000);
    const logs = kubectlOk(['logs', 'env', '-n', ns, '-c', 'main']);
    expect(logs).toBe([
      `A=one B=one-two COLOR=blue PW=s3cret NAME=env NS=${ns} CFG_size=large`,
      'file=blue secret=s3cret labels=envtest', 'sub=large', 'init=from-init', '/work', '',
    ].join('\n'));
    expect(kubectlOk(['get', 'pod', 'env', '-n', ns])).toMatch(/env\s+0\/1\s+Completed\s+0/);
  });

  it('shows CrashLoopBackOff for a container exiting 1, with BackOff events, and serves logs --previous', async () => {
    kubectlOk(['apply', '-f', '-'], { stdin: pod('crash', { containers: [busybox('c', ['sh', '-c', 'echo run $RANDOM; exit 1'])] }) });
    const cs = await eventually(() => {
      const c = podJson('crash').status?.containerStatuses?.[0];
      return c?.state?.waiting?.reason === 'CrashLoopBackOff' && c.restartCount >= 1 ? c : undefined;
    }, 40_000);
    expect(cs.state.waiting.message).toMatch(/^back-off \d+s restarting failed container=c pod=crash_/);
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(kubectlOk(['get', 'pod', 'crash', '-n', ns])).toMatch(/crash\s+0\/1\s+CrashLoopBackOff\s+\d+ \(\S+ ago\)/);
    expect(kubectlOk(['logs', 'crash', '-n', ns, '--previous'])).toMatch(/^run \d+\n$/);
    const events = kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=crash,reason=BackOff', '-o', 'jsonpath={.items[0].message}']);
    expect(events).toMatch(/^Back-off restarting failed container c in pod crash_/);
  });

  it('restarts a container whose liveness probe fails, and gates Ready on the readiness probe', async () => {
    kubectlOk(['apply', '-f', '-'], {
      stdin: pod('probed', {
        containers: [busybox('p', ['sh', '-c', 'touch /tmp/alive; sleep 2; touch /tmp/ready; sleep 2; rm /tmp/alive; sleep 600'], {
          livenessProbe: { exec: { command: ['cat', '/tmp/alive'] }, periodSeconds: 1, failureThreshold: 1 },
          readinessProbe: { exec: { command: ['cat', '/tmp/ready'] }, periodSeconds: 1 },
        })],
      }),
    });
    await eventually(() => podJson('probed').status?.phase === 'Running', 20_000);
    expect(podJson('probed').status?.containerStatuses?.[0]?.ready).toBe(false);
    await eventually(() => podJson('probed').status?.conditions?.find((c: { type: string }) => c.type === 'Ready')?.status === 'True', 20_000);
    await eventually(() => (podJson('probed').status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 30_000);
    const reasons = kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=probed', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    expect(reasons).toContain('Unhealthy: Liveness probe failed');
    expect(reasons).toContain('Killing: Container p failed liveness probe, will be restarted');
  });

  it("mounts a projected service-account token that authenticates as the pod's service account until the pod is deleted", async () => {
    const read = 'cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo; exec sleep 3600';
    await eventually(() => kubectl(['get', 'serviceaccount', 'default', '-n', ns]).code === 0, 20_000);
    kubectlOk(['apply', '-f', '-'], { stdin: pod('sa-token', { containers: [busybox('c', ['sh', '-c', read])] }) });
    const lines = await eventually(() => {
      const out = kubectl(['logs', 'sa-token', '-n', ns]).stdout.split('\n');
      return out.length >= 2 && out[0]!.split('.').length === 3 ? out : undefined;
    }, 30_000);
    const token = lines[0]!;
    expect(lines[1]).toBe(ns);
    const whoami = (): { code: number; stdout: string; stderr: string } => kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}', '--token', token]);
    const before = whoami();
    expect(before.stdout, before.stderr).toBe(`system:serviceaccount:${ns}:default`);
    kubectlOk(['delete', 'pod', 'sa-token', '-n', ns, '--grace-period=0', '--force']);
    const after = await eventually(() => {
      const r = whoami();
      return r.code !== 0 ? r : undefined;
    }, 20_000);
    expect(after.stderr).toContain('Unauthorized');
  });

  it('runs a 3-replica Deployment as three real containers, replaces a deleted pod, scales down, and leaves no container once deleted', async (ctx) => {
    const dep = {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web3', namespace: ns },
      spec: {
        replicas: 3, selector: { matchLabels: { app: 'web3' } },
        template: { metadata: { labels: { app: 'web3' } }, spec: { terminationGracePeriodSeconds: 1, nodeSelector: { 'kubernetes.io/hostname': node }, tolerations: [{ key: 'tskube.test/real-node', operator: 'Exists' }], containers: [busybox('w', ['sleep', '3600'])] } },
      },
    };
    kubectlOk(['apply', '-f', '-'], { stdin: JSON.stringify(dep) });
    const made = await eventually(() => kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=web3', '-o', 'name']).trim().split('\n').filter(Boolean).length >= 3, 15_000).catch(() => false);
    if (!made) ctx.skip(); // no controller manager in this cluster yet
    type PodView = { status?: { phase?: string; containerStatuses?: Array<{ containerID?: string }> }; metadata: { name: string; deletionTimestamp?: string } };
    const live = (): PodView[] => (JSON.parse(kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=web3', '-o', 'json'])).items as PodView[])
      .filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
    const running = (): string[] => live().map((p) => p.metadata.name);
    /** The runtime ids of the running pods' containers (containerd://<id>), as the kubelet reports them. */
    const containerIds = (): string[] => live().flatMap((p) => (p.status?.containerStatuses ?? []).map((c) => (c.containerID ?? '').replace(/^containerd:\/\//, ''))).filter(Boolean);
    const seen = new Set<string>();
    // Without a scheduler in this cluster, bind the pods ourselves (what the scheduler would POST).
    const bindPending = (): void => {
      for (const p of JSON.parse(kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=web3', '-o', 'json'])).items as Array<{ metadata: { name: string; creationTimestamp: string }; spec: { nodeName?: string } }>) {
        if (p.spec.nodeName || Date.now() - Date.parse(p.metadata.creationTimestamp) < 3000) continue;
        kubectl(['create', '--raw', `/api/v1/namespaces/${ns}/pods/${p.metadata.name}/binding`, '-f', '-'], {
          stdin: JSON.stringify({ apiVersion: 'v1', kind: 'Binding', metadata: { name: p.metadata.name }, target: { apiVersion: 'v1', kind: 'Node', name: node } }),
        });
      }
    };
    const first = await eventually(() => (bindPending(), running().length === 3 && containerIds().length === 3 ? running() : undefined), 40_000, 500);
    for (const id of containerIds()) seen.add(id);
    const inRuntime = runtimeContainers();
    if (inRuntime) for (const id of seen) expect(inRuntime).toContain(id);
    kubectlOk(['delete', 'pod', first[0]!, '-n', ns, '--wait=false']);
    await eventually(() => {
      bindPending();
      const now = running();
      return now.length === 3 && !now.includes(first[0]!) && containerIds().length === 3;
    }, 40_000, 500);
    for (const id of containerIds()) seen.add(id);
    expect(seen.size).toBe(4);

    kubectlOk(['scale', 'deployment', 'web3', '-n', ns, '--replicas=2']);
    await eventually(() => running().length === 2 && kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=web3', '-o', 'name']).trim().split('\n').filter(Boolean).length === 2, 40_000, 500);
    if (runtimeContainers()) {
      const kept = new Set(containerIds());
      await eventually(() => [...seen].every((id) => kept.has(id) === runtimeContainers()!.includes(id)), 40_000, 500);
    }

    kubectlOk(['delete', 'deployment', 'web3', '-n', ns]);
    await eventually(() => kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=web3', '-o', 'name']).trim() === '', 60_000, 500);
    if (runtimeContainers()) await eventually(() => [...seen].every((id) => !runtimeContainers()!.includes(id)), 40_000, 500);
  });
});
