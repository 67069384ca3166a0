// kubectl top on a real node: metrics.k8s.io/v1beta1 in discovery, NodeMetrics/PodMetrics from the kubelet's stats,
// a CPU-burning busybox seen with CPU > 0, upstream's NotFound texts, and a viewer allowed to read metrics.
// Metrics need two readings of a container (metrics-server: two scrapes), so every read waits a bounded time.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, kubectlOk, realNode, uniqueName } from './kubectl.ts';

const ns = uniqueName('top');
const node = realNode();
/** Two sampling periods plus a cache and a margin (metrics-server's default resolution is 15 s). */
const METRICS_WAIT_MS = 90_000;

const burner = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'burn', namespace: ns, labels: { app: 'burn' } },
  spec: {
    nodeName: node, terminationGracePeriodSeconds: 0,
    containers: [{ name: 'burn', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sh', '-c', 'while true; do :; done'] }],
  },
};
const pending = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pending', namespace: ns },
  spec: { nodeSelector: { 'tskube.test/no-such-node': 'true' }, containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
};

/** `123m` → 123, `2` → 2000: kubectl top prints CPU in millicores. */
function milli(cpu: string): number {
  const m = /^(\d+)(m?)$/.exec(cpu);
  if (!m) return Number.NaN;
  return m[2] ? Number(m[1]) : Number(m[1]) * 1000;
}

describe.skipIf(!node)(`kubectl top (skipped without a real node; node "${node}")`, { timeout: 150_000 }, () => {
  beforeAll(() => {
    kubectlOk(['create', 'namespace', ns]);
    kubectlOk(['apply', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [burner, pending] }) });
  });
  afterAll(() => {
    kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
    kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('discovers metrics.k8s.io/v1beta1 with nodes and pods readable (get, list)', () => {
    const list = JSON.parse(kubectlOk(['get', '--raw', '/apis/metrics.k8s.io/v1beta1']));
    expect(list).toMatchObject({ kind: 'APIResourceList', groupVersion: 'metrics.k8s.io/v1beta1' });
    const byName = Object.fromEntries((list.resources as { name: string; kind: string; namespaced: boolean; verbs: string[] }[]).map((r) => [r.name, r]));
    expect(byName.nodes).toMatchObject({ kind: 'NodeMetrics', namespaced: false });
    expect(byName.pods).toMatchObject({ kind: 'PodMetrics', namespaced: true });
    for (const r of [byName.nodes, byName.pods]) expect(r.verbs).toEqual(expect.arrayContaining(['get', 'list']));
    expect(kubectlOk(['api-versions'])).toMatch(/^metrics\.k8s\.io\/v1beta1$/m);
  });

  it('shows the burning pod with CPU > 0, and its container with --containers', async () => {
    const row = await eventually(() => {
      const r = kubectl(['top', 'pod', 'burn', '-n', ns]);
      if (r.code !== 0) return undefined;
      const lines = r.stdout.trim().split('\n');
      const m = /^burn\s+(\S+)\s+(\S+)$/.exec(lines[1] ?? '');
      return m && milli(m[1]!) > 0 ? { header: lines[0]!, cpu: m[1]!, memory: m[2]! } : undefined;
    }, METRICS_WAIT_MS, 2000);
    expect(row.header).toMatch(/^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/);
    expect(row.memory).toMatch(/^\d+Mi$/);

    const listed = kubectlOk(['top', 'pod', '-n', ns, '-l', 'app=burn']).trim().split('\n');
    expect(listed).toHaveLength(2);
    expect(listed[1]).toMatch(/^burn\s+\d+m\s+\d+Mi$/);
    const containers = kubectlOk(['top', 'pod', 'burn', '-n', ns, '--containers']).trim().split('\n');
    expect(containers[0]).toMatch(/^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/);
    expect(containers[1]).toMatch(/^burn\s+burn\s+\d+m\s+\d+Mi$/);
  });

  it('serves PodMetrics as metrics-server does', async () => {
    const pm = await eventually(() => {
      const r = kubectl(['get', '--raw', `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods/burn`]);
      return r.code === 0 ? JSON.parse(r.stdout) : undefined;
    }, METRICS_WAIT_MS, 2000);
    expect(pm).toMatchObject({ kind: 'PodMetrics', apiVersion: 'metrics.k8s.io/v1beta1', metadata: { name: 'burn', namespace: ns, labels: { app: 'burn' } } });
    expect(Number.isNaN(Date.parse(pm.timestamp))).toBe(false);
    expect(pm.window).toMatch(/^[\d.hms]+s$/);
    expect(pm.containers).toHaveLength(1);
    expect(pm.containers[0].name).toBe('burn');
    expect(pm.containers[0].usage.cpu).toMatch(/^\d+[num]?$/);
    expect(pm.containers[0].usage.memory).toMatch(/^\d+(Ki|Mi|Gi|k|M)?$/);
  });

  it('shows the real node with CPU and memory usage and percentages', async () => {
    const lines = await eventually(() => {
      const r = kubectl(['top', 'node', node]);
      return r.code === 0 ? r.stdout.trim().split('\n') : undefined;
    }, METRICS_WAIT_MS, 2000);
    // kubectl before 1.31 prints CPU% and MEMORY%.
    expect(lines[0]).toMatch(/^NAME\s+CPU\(cores\)\s+CPU\(?%\)?\s+MEMORY\(bytes\)\s+MEMORY\(?%\)?\s*$/);
    const m = new RegExp(`^${node.replace(/\./g, '\\.')}\\s+(\\d+)m\\s+\\d+%\\s+(\\d+)Mi\\s+\\d+%$`).exec(lines[1] ?? '');
    expect(m, lines.join('\n')).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![2])).toBeGreaterThan(0);
  });

  it('lists NodeMetrics as metrics-server does, the real node among them', async () => {
    const list = await eventually(() => {
      const r = kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/nodes']);
      if (r.code !== 0) return undefined;
      const l = JSON.parse(r.stdout);
      return l.items?.some((i: { metadata: { name: string } }) => i.metadata.name === node) ? l : undefined;
    }, METRICS_WAIT_MS, 2000);
    expect(list).toMatchObject({ kind: 'NodeMetricsList', apiVersion: 'metrics.k8s.io/v1beta1' });
    const item = list.items.find((i: { metadata: { name: string } }) => i.metadata.name === node);
    expect(item.usage.cpu).toMatch(/^\d+[num]?$/);
    expect(item.usage.memory).toMatch(/^\d+(Ki|Mi|Gi)?$/);
    expect(Number.isNaN(Date.parse(item.timestamp))).toBe(false);
    expect(item.window).toMatch(/s$/);
    expect(item.metadata.labels?.['kubernetes.io/hostname']).toBeDefined();
  });

  it('answers NotFound for a pod without metrics and for a missing pod or node, as metrics-server', () => {
    const noMetrics = kubectl(['top', 'pod', 'pending', '-n', ns]);
    expect(noMetrics.code).not.toBe(0);
    expect(noMetrics.stderr).toContain(`Error from server (NotFound): podmetrics.metrics.k8s.io "${ns}/pending" not found`);
    const missing = kubectl(['top', 'pod', 'no-such-pod', '-n', ns]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/Error from server \(NotFound\): pods? "no-such-pod" not found/);
    const noNode = kubectl(['top', 'node', 'no-such-node']);
    expect(noNode.code).not.toBe(0);
    expect(noNode.stderr).toMatch(/Error from server \(NotFound\): nodes? "no-such-node" not found/);
  });

  it('lets a namespace viewer read pod metrics (the view role aggregates metrics reading)', () => {
    kubectlOk(['create', 'serviceaccount', 'viewer', '-n', ns]);
    kubectlOk(['create', 'rolebinding', 'viewer-view', '-n', ns, '--clusterrole=view', `--serviceaccount=${ns}:viewer`]);
    const as = `--as=system:serviceaccount:${ns}:viewer`;
    expect(kubectlOk(['auth', 'can-i', 'list', 'pods.metrics.k8s.io', '-n', ns, as]).trim()).toBe('yes');
    expect(kubectlOk(['auth', 'can-i', 'get', 'pods.metrics.k8s.io', '-n', ns, as]).trim()).toBe('yes');
    expect(kubectl(['auth', 'can-i', 'list', 'nodes.metrics.k8s.io', as]).stdout.trim()).toBe('no');
    const top = kubectlOk(['top', 'pod', 'burn', '-n', ns, as]).trim().split('\n');
    expect(top[1]).toMatch(/^burn\s+\d+m\s+\d+Mi$/);
  });
});
