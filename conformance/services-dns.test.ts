// Cluster DNS from pods on a real node: a busybox httpd Deployment behind a ClusterIP Service answers by its DNS name
// (`wget http://<svc>.<ns>.svc.cluster.local`), nslookup resolves full and short names to the clusterIP, a headless
// Service to the pod IPs, and the kube-dns Service is published the way upstream's add-on publishes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, kubectlOk, uniqueName, realNode } from './kubectl.ts';
import { REAL_NODE_TAINT } from './kubelet-node.ts';

const ns = uniqueName('svcdns');
const node = realNode();
const GREETING = 'hello from tskube busybox';

const placement = {
  nodeSelector: { 'kubernetes.io/hostname': node },
  tolerations: [{ key: REAL_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
  terminationGracePeriodSeconds: 1,
};

function manifests(): string {
  const serve = `mkdir -p /var/www && echo '${GREETING}' > /var/www/index.html && exec httpd -f -p 8080 -h /var/www`;
  const items = [
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { ...placement, containers: [{ name: 'httpd', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', serve], ports: [{ containerPort: 8080 }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }] },
        },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web-headless', namespace: ns }, spec: { clusterIP: 'None', selector: { app: 'web' }, ports: [{ name: 'http', port: 8080 }] } },
    {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'client', namespace: ns },
      spec: { ...placement, containers: [{ name: 'client', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
    },
  ];
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** Runs `sh -c script` in the client pod; stdout on success, '' on failure (callers retry). */
function inClient(script: string): string {
  const r = kubectl(['exec', 'client', '-n', ns, '--', 'sh', '-c', script], { timeoutMs: 20_000 });
  return r.code === 0 ? r.stdout : '';
}

/**
 * `nslookup name` in the client pod, its output whatever the exit code: busybox's nslookup walks the whole search
 * path for a short name and exits non-zero when any candidate (e.g. web.svc.cluster.local) is NXDOMAIN.
 */
function nslookup(name: string): string {
  const r = kubectl(['exec', 'client', '-n', ns, '--', 'nslookup', name], { timeoutMs: 20_000 });
  return `${r.stdout}\n${r.stderr}`;
}

/** The IPv4 addresses busybox nslookup printed for the answer (the server's own address lines excluded). */
function resolvedAddresses(output: string): string[] {
  const answer = output.split(/\n\s*\n/).filter((block) => /Name:/.test(block)).join('\n');
  return [...new Set([...answer.matchAll(/Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!))].sort();
}

describe.skipIf(!node)(`cluster DNS from pods (skipped without a real node; node "${node}")`, { timeout: 240_000 }, () => {
  let clusterIP = '';
  beforeAll(async () => {
    kubectlOk(['create', 'namespace', ns]);
    kubectlOk(['apply', '-f', '-'], { stdin: manifests() });
    clusterIP = kubectlOk(['get', 'service', 'web', '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
    await eventually(() => kubectl(['get', 'pod', 'client', '-n', ns, '-o', 'jsonpath={.status.phase}']).stdout === 'Running', 120_000, 500);
    await eventually(() => {
      const out = kubectlOk(['get', 'endpointslices', '-n', ns, '-l', 'kubernetes.io/service-name=web', '-o', 'jsonpath={range .items[*].endpoints[*]}{.conditions.ready}{"\\n"}{end}']);
      return out.split('\n').filter((l) => l === 'true').length === 2;
    }, 120_000, 500);
  }, 240_000);
  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
    kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
  });

  it('publishes kube-dns in kube-system with the upstream labels and dns/dns-tcp ports 53', () => {
    const svc = JSON.parse(kubectlOk(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'json']));
    expect(svc.metadata.labels).toMatchObject({ 'k8s-app': 'kube-dns' });
    const ports = (svc.spec.ports as Array<{ name: string; port: number; protocol: string }>).map((p) => `${p.name}/${p.protocol}/${p.port}`);
    expect(ports).toEqual(expect.arrayContaining(['dns/UDP/53', 'dns-tcp/TCP/53']));
  });

  it('gives pods a ClusterFirst resolv.conf naming the kube-dns clusterIP and the namespace search path', () => {
    const dnsIP = kubectlOk(['get', 'service', 'kube-dns', '-n', 'kube-system', '-o', 'jsonpath={.spec.clusterIP}']);
    const conf = kubectlOk(['exec', 'client', '-n', ns, '--', 'cat', '/etc/resolv.conf']);
    expect(conf).toMatch(new RegExp(`^nameserver ${dnsIP.replace(/\./g, '\\.')}$`, 'm'));
    expect(conf).toMatch(new RegExp(`^search ${ns}\\.svc\\.cluster\\.local svc\\.cluster\\.local cluster\\.local`, 'm'));
    expect(conf).toMatch(/ndots:5/);
  });

  it('a Service answers from another pod by its DNS name: wget -qO- http://<svc>.<ns>.svc.cluster.local', async () => {
    const body = await eventually(() => inClient(`timeout 5 wget -qO- http://web.${ns}.svc.cluster.local`).trim(), 60_000, 1000);
    expect(body).toBe(GREETING);
  });

  it('a Service answers by its short name through the search path (wget -qO- http://<svc>)', async () => {
    const body = await eventually(() => inClient('timeout 5 wget -qO- http://web').trim(), 30_000, 1000);
    expect(body).toBe(GREETING);
  });

  it('a backend pod reaches its own Service, also when the request comes back to itself (hairpin)', () => {
    const web = kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}']);
    const script = `ok=0; for i in 1 2 3 4 5 6 7 8; do timeout 5 wget -qO- http://web.${ns}.svc.cluster.local >/dev/null && ok=$((ok+1)); done; echo $ok`;
    const r = kubectl(['exec', web, '-n', ns, '--', 'sh', '-c', script], { timeoutMs: 60_000 });
    expect(r.stdout.trim()).toBe('8');
  });

  it('nslookup resolves the full name and the short name to the clusterIP', async () => {
    const full = await eventually(() => resolvedAddresses(nslookup(`web.${ns}.svc.cluster.local`)).join(','), 30_000, 1000);
    expect(full).toBe(clusterIP);
    const short = await eventually(() => resolvedAddresses(nslookup('web')).join(','), 30_000, 1000);
    expect(short).toBe(clusterIP);
  });

  it('a headless Service resolves to the ready pod IPs', async () => {
    const podIPs = kubectlOk(['get', 'pods', '-n', ns, '-l', 'app=web', '-o', 'jsonpath={.items[*].status.podIP}']).split(' ').filter(Boolean).sort();
    expect(podIPs).toHaveLength(2);
    const got = await eventually(() => {
      const ips = resolvedAddresses(nslookup(`web-headless.${ns}.svc.cluster.local`));
      return ips.length === 2 ? ips : undefined;
    }, 30_000, 1000);
    expect(got).toEqual(podIPs);
  });

  it('an unknown name in the cluster domain does not resolve', () => {
    expect(nslookup(`nope.${ns}.svc.cluster.local`)).toMatch(/NXDOMAIN|can't find|server can't/i);
  });
});
