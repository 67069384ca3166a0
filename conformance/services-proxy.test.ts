// Service traffic on a real node: a 2-replica busybox httpd Deployment answers on its ClusterIP and NodePort from the
// host through kube-proxy's rules (NodePorts on 127.0.0.1 too), only ready pods get traffic, deleting a Service stops
// its traffic, and a pod reaches the API server through the kubernetes Service.
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, kubectlOk, uniqueName, realNode } from './kubectl.ts';
import { REAL_NODE_TAINT } from './kubelet-node.ts';

const ns = uniqueName('svcproxy');


const node = realNode();

function httpGet(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host, port, path: '/', timeout: 2000, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

function deployment(name: string, replicas: number): string {
  const script = 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www';
  return JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          nodeSelector: { 'kubernetes.io/hostname': node },
          tolerations: [{ key: REAL_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
          terminationGracePeriodSeconds: 1,
          containers: [{
            name: 'httpd', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ports: [{ containerPort: 8080 }],
            readinessProbe: { exec: { command: ['test', '!', '-e', '/tmp/unready'] }, periodSeconds: 1 },
          }],
        },
      },
    },
  });
}

function readyPods(app: string): string[] {
  const out = kubectlOk(['get', 'pods', '-n', ns, '-l', `app=${app}`, '-o', 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
  return out.split('\n').filter((l) => l.endsWith('=True')).map((l) => l.split('=')[0]!);
}

function readyEndpoints(svc: string): number {
  const out = kubectlOk(['get', 'endpointslices', '-n', ns, '-l', `kubernetes.io/service-name=${svc}`, '-o', 'jsonpath={range .items[*].endpoints[*]}{.conditions.ready}{"\\n"}{end}']);
  return out.split('\n').filter((l) => l === 'true').length;
}

function nodeIP(): string {
  return kubectlOk(['get', 'node', node, '-o', 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}']).split(' ')[0]!;
}

/** Bodies of `n` requests (failures as ''). */
async function bodies(host: string, port: number, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await httpGet(host, port).catch(() => '')).trim());
  return out;
}

describe.skipIf(!node)(`service traffic through kube-proxy (skipped without a real node; node "${node}")`, { timeout: 180_000 }, () => {
  beforeAll(() => {
    kubectlOk(['create', 'namespace', ns]);
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
    kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
  });

  it('a ClusterIP Service answers from the host on clusterIP:port, spread over both ready pods, and only ready pods', async () => {
    kubectlOk(['apply', '-f', '-'], { stdin: deployment('web', 2) });
    kubectlOk(['expose', 'deployment', 'web', '-n', ns, '--port=80', '--target-port=8080']);
    const pods = await eventually(() => (readyPods('web').length === 2 ? readyPods('web') : undefined), 90_000, 500);
    await eventually(() => readyEndpoints('web') === 2 || undefined, 30_000, 250);
    const ip = kubectlOk(['get', 'svc', 'web', '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
    const seen = await eventually(async () => {
      const got = new Set(await bodies(ip, 80, 20));
      return pods.every((p) => got.has(p)) ? got : undefined;
    }, 30_000, 500);
    expect([...seen].filter(Boolean).sort()).toEqual([...pods].sort());
    // One pod stops being ready: traffic goes to the other only.
    const [gone, stays] = pods as [string, string];
    kubectlOk(['exec', '-n', ns, gone, '--', 'touch', '/tmp/unready']);
    await eventually(() => readyEndpoints('web') === 1 || undefined, 30_000, 250);
    await eventually(async () => ((await bodies(ip, 80, 10)).every((b) => b === stays) ? true : undefined), 15_000, 250);
  });

  it('a NodePort Service answers on the node address and node port; deleting it removes its rules', async () => {
    kubectlOk(['apply', '-f', '-'], { stdin: deployment('np', 1) });
    kubectlOk(['expose', 'deployment', 'np', '-n', ns, '--type=NodePort', '--port=80', '--target-port=8080']);
    const [pod] = await eventually(() => (readyPods('np').length === 1 ? readyPods('np') : undefined), 90_000, 500);
    await eventually(() => readyEndpoints('np') === 1 || undefined, 30_000, 250);
    const port = Number(kubectlOk(['get', 'svc', 'np', '-n', ns, '-o', 'jsonpath={.spec.ports[0].nodePort}']));
    const ip = kubectlOk(['get', 'svc', 'np', '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
    const host = nodeIP();
    expect(await eventually(async () => (await httpGet(host, port).catch(() => '')).trim() || undefined, 30_000, 500)).toBe(pod);
    // As upstream's iptables proxier (route_localnet=1), the node port also answers on the host's loopback address.
    expect(await eventually(async () => (await httpGet('127.0.0.1', port).catch(() => '')).trim() || undefined, 30_000, 500)).toBe(pod);
    kubectlOk(['delete', 'svc', 'np', '-n', ns]);
    // Whatever else may answer on those addresses (a host's network may intercept any IP), the pod no longer does.
    const fromPod = (h: string, p: number): Promise<boolean> => httpGet(h, p).then((b) => b.trim() === pod, () => false);
    await eventually(async () => ((await fromPod(host, port)) ? undefined : true), 30_000, 500);
    await eventually(async () => ((await fromPod(ip, 80)) ? undefined : true), 30_000, 500);
  });

  it('a pod reaches the API server through the kubernetes Service with its service-account token', async () => {
    // The Service's ClusterIP is named directly (no cluster DNS needed). busybox wget speaks TLS 1.2 but takes no CA
    // file (hence --no-check-certificate) and signs nothing but RSA: against a server with an ECDSA certificate (as
    // tskube's) it gets the server's TLS alert 40, which still proves that the API server answered on clusterIP:443.
    const clusterIP = kubectlOk(['get', 'svc', 'kubernetes', '-n', 'default', '-o', 'jsonpath={.spec.clusterIP}']);
    const script = 'wget --no-check-certificate -qO- --header "Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)" '
      + `https://${clusterIP}:443/version 2>&1; true`;
    kubectlOk(['apply', '-f', '-'], {
      stdin: JSON.stringify({
        apiVersion: 'v1', kind: 'Pod', metadata: { name: 'apiclient', namespace: ns },
        spec: {
          nodeName: node, restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
          tolerations: [{ key: REAL_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
          containers: [{ name: 'wget', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script] }],
        },
      }),
    });
    await eventually(() => kubectlOk(['get', 'pod', 'apiclient', '-n', ns, '-o', 'jsonpath={.status.phase}']) === 'Succeeded' || undefined, 60_000, 500);
    const out = kubectlOk(['logs', 'apiclient', '-n', ns]).trim();
    if (out.startsWith('{')) expect(JSON.parse(out)).toMatchObject({ gitVersion: expect.stringMatching(/^v1\.\d+\./) });
    else expect(out).toContain('TLS error from peer (alert code 40)');
  });
});
