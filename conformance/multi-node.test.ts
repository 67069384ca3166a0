// Two real kubelets on one host: a second node started here (no --pod-cidr: node IPAM gives it one), distinct podCIDRs,
// pods on each node addressed from their node's podCIDR, and pod-to-pod HTTP across the two nodes both ways (from client
// pods, so that only the network is under test).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, kubectl, kubectlOk, realNode, uniqueName } from './kubectl.ts';
import { REAL_NODE_TAINT, startTestKubelet, type TestKubelet } from './kubelet-node.ts';

const ns = uniqueName('multinode');
const node1 = realNode();
const skipReason = process.getuid?.() !== 0 ? 'needs root to start a second kubelet on containerd'
  : !inject('ownCluster') ? 'KUBECONFIG names an external cluster: this suite starts a second node of its own cluster only'
    : !node1 ? 'the run has no first real node' : '';
const node2 = `${hostname().toLowerCase()}-2-${randomBytes(2).toString('hex')}`;

/** Whether IPv4 `ip` lies in `cidr`. */
function inCidr(ip: string, cidr: string): boolean {
  const num = (a: string): number => a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  return Math.floor(num(ip) / size) === Math.floor(num(base) / size);
}

function nodeJson(name: string): { spec?: { podCIDR?: string; podCIDRs?: string[] }; status?: { conditions?: Array<{ type: string; status: string }> } } {
  return JSON.parse(kubectlOk(['get', 'node', name, '-o', 'json']));
}

const ready = (name: string): boolean => nodeJson(name).status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** A busybox httpd on 8080, pinned to `node`: `/` is its pod name, `/cgi-bin/peer` the address the request came from. */
function webPod(name: string, node: string): string {
  const peer = '#!/bin/sh\\necho Content-Type: text/plain\\necho\\necho $REMOTE_ADDR\\n';
  const script = `mkdir -p /www/cgi-bin && hostname > /www/index.html && printf '${peer}' > /www/cgi-bin/peer && chmod +x /www/cgi-bin/peer && exec httpd -f -p 8080 -h /www`;
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { app: 'multinode' } },
    spec: {
      nodeName: node, terminationGracePeriodSeconds: 1,
      tolerations: [{ key: REAL_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ name: 'httpd', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script], ports: [{ containerPort: 8080 }] }],
    },
  });
}

function podIP(name: string): string | undefined {
  const out = kubectlOk(['get', 'pod', name, '-n', ns, '-o', 'jsonpath={.status.phase} {.status.podIP}']).split(' ');
  return out[0] === 'Running' && out[1] ? out[1] : undefined;
}

/**
 * A pod on `node` that fetches http://`ip`:8080/ (retrying for up to 30 s while routes and rules settle) and prints
 * the body, then the address the server saw it come from. A pod rather than `kubectl exec`, so only the network is under test. (busybox wget's -T crashes the
 * static build, hence the shell loop.)
 */
function clientPod(name: string, node: string, ip: string): string {
  const script = `for i in $(seq 1 30); do wget -qO- http://${ip}:8080/ && wget -qO- http://${ip}:8080/cgi-bin/peer && exit 0; sleep 1; done; exit 1`;
  return JSON.stringify({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns },
    spec: {
      nodeName: node, restartPolicy: 'Never', terminationGracePeriodSeconds: 1,
      tolerations: [{ key: REAL_NODE_TAINT, operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ name: 'wget', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', script] }],
    },
  });
}

/** The client pod's phase once it has finished, with its output. */
async function clientResult(name: string): Promise<{ phase: string; body: string }> {
  const phase = await eventually(() => {
    const p = kubectlOk(['get', 'pod', name, '-n', ns, '-o', 'jsonpath={.status.phase}']);
    return p === 'Succeeded' || p === 'Failed' ? p : undefined;
  }, 60_000, 500);
  // busybox httpd gives REMOTE_ADDR of an IPv4 peer in its IPv6-mapped form ([::ffff:a.b.c.d]).
  return { phase, body: kubectl(['logs', name, '-n', ns]).stdout.trim().replace(/\[::ffff:([\d.]+)\]/, '$1') };
}

describe.skipIf(!!skipReason)(`two kubelets on one host${skipReason ? ` (skipped: ${skipReason})` : ''}`, { timeout: 180_000 }, () => {
  let second: TestKubelet | undefined;

  beforeAll(async () => {
    kubectlOk(['create', 'namespace', ns]);
    second = await startTestKubelet({ nodeDir: join(inject('dataDir'), `node2-${node2.slice(-4)}`), kubeconfig: inject('kubeconfig'), nodeName: node2, tag: 'multinode', startTimeoutMs: 120_000 });
  }, 150_000);

  afterAll(async () => {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
    kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
    // Bounded (about 2 minutes at worst) and whatever happened above: the node's containerd, bridge and cgroups go.
    await second?.stop();
    kubectl(['delete', 'node', node2, '--wait=false']);
  }, 180_000);

  it('both nodes are Ready with distinct podCIDRs, the second one assigned by node IPAM', async () => {
    await eventually(() => (ready(node1) && ready(node2)) || undefined, 90_000, 500);
    const cidr1 = nodeJson(node1).spec?.podCIDR;
    const spec2 = nodeJson(node2).spec;
    expect(cidr1).toBeTruthy();
    expect(spec2?.podCIDR).toBeTruthy();
    expect(spec2?.podCIDRs).toEqual([spec2?.podCIDR]);
    expect(spec2?.podCIDR).not.toBe(cidr1);
    expect(inCidr(spec2!.podCIDR!.split('/')[0]!, cidr1!) || inCidr(cidr1!.split('/')[0]!, spec2!.podCIDR!)).toBe(false);
  });

  it('a pod on each node gets an IP from its node\'s podCIDR, and each reaches the other over HTTP without NAT', async () => {
    kubectlOk(['apply', '-f', '-'], { stdin: webPod('web-1', node1) });
    kubectlOk(['apply', '-f', '-'], { stdin: webPod('web-2', node2) });
    const ip1 = await eventually(() => podIP('web-1'), 90_000, 500);
    const ip2 = await eventually(() => podIP('web-2'), 90_000, 500);
    expect(inCidr(ip1, nodeJson(node1).spec!.podCIDR!)).toBe(true);
    expect(inCidr(ip2, nodeJson(node2).spec!.podCIDR!)).toBe(true);
    kubectlOk(['apply', '-f', '-'], { stdin: clientPod('from-2', node2, ip1) });
    kubectlOk(['apply', '-f', '-'], { stdin: clientPod('from-1', node1, ip2) });
    // Kubernetes' network model: a pod sees its peer's own address, never a NAT gateway's.
    const ownIP = (pod: string): string => kubectlOk(['get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.status.podIP}']);
    expect(await clientResult('from-2')).toEqual({ phase: 'Succeeded', body: `web-1\n${ownIP('from-2')}` });
    expect(await clientResult('from-1')).toEqual({ phase: 'Succeeded', body: `web-2\n${ownIP('from-1')}` });
  });
});
