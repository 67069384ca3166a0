// The scheduler end to end with kubectl: placement by selector/affinity/taints/resources, Pending with upstream's
// FailedScheduling text, cordon, drain through the Eviction API with a PodDisruptionBudget, spreading, preemption.
// Nodes are plain Node objects (no kubelet): pods stay Pending after binding, so placement is read from spec.nodeName.
// Every node carries this suite's NoSchedule taint and label, so other suites' pods never land on them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlOk, eventually, uniqueName } from './kubectl.ts';

const ns = uniqueName('sched');
const SUITE_KEY = 'tskube.test/scheduler';
const nodes: string[] = [];
const priorityClasses: string[] = [];

interface NodeSpec {
  labels?: Record<string, string>;
  taints?: Array<{ key: string; value?: string; effect: string }>;
  cpu?: string;
  memory?: string;
  pods?: string;
}

/** Creates a Node with the suite's label and taint, then sets its capacity/allocatable through the status subresource. */
function createNode(name: string, spec: NodeSpec = {}): string {
  const full = `${ns}-${name}`;
  const node = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: full, labels: { 'kubernetes.io/hostname': full, [SUITE_KEY]: ns, ...spec.labels } },
    spec: { taints: [{ key: SUITE_KEY, value: ns, effect: 'NoSchedule' }, ...(spec.taints ?? [])] },
  };
  kubectlOk(['create', '-f', '-'], { stdin: JSON.stringify(node) });
  nodes.push(full);
  const resources = { cpu: spec.cpu ?? '4', memory: spec.memory ?? '8Gi', pods: spec.pods ?? '110' };
  kubectlOk(['patch', 'node', full, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { capacity: resources, allocatable: resources } })]);
  return full;
}

interface PodOptions {
  labels?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  affinity?: unknown;
  tolerations?: unknown[];
  cpu?: string;
  priorityClassName?: string;
  topologySpreadConstraints?: unknown[];
}

/** A pod manifest that tolerates the suite taint and (unless told otherwise) selects this suite's nodes. */
function podManifest(name: string, o: PodOptions = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: o.labels ?? {} },
    spec: {
      terminationGracePeriodSeconds: 0,
      nodeSelector: { [SUITE_KEY]: ns, ...o.nodeSelector },
      tolerations: [{ key: SUITE_KEY, operator: 'Equal', value: ns, effect: 'NoSchedule' }, ...(o.tolerations ?? [])],
      ...(o.affinity ? { affinity: o.affinity } : {}),
      ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
      ...(o.topologySpreadConstraints ? { topologySpreadConstraints: o.topologySpreadConstraints } : {}),
      containers: [{ name: 'c', image: 'localhost/busybox:latest', command: ['sleep', '3600'], ...(o.cpu ? { resources: { requests: { cpu: o.cpu } } } : {}) }],
    },
  };
}

function createPods(...pods: Array<Record<string, unknown>>): void {
  kubectlOk(['create', '-f', '-'], { stdin: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: pods }) });
}

function nodeOf(pod: string): string {
  return kubectl(['get', 'pod', pod, '-n', ns, '-o', 'jsonpath={.spec.nodeName}']).stdout.trim();
}

function boundTo(pod: string): Promise<string> {
  return eventually(() => nodeOf(pod), 20_000, 200);
}

function failedSchedulingMessage(pod: string): string {
  const out = kubectl(['get', 'events', '-n', ns, '--field-selector', `involvedObject.name=${pod},reason=FailedScheduling`, '-o', 'jsonpath={.items[*].message}']).stdout;
  return out.trim();
}

function deletePods(...names: string[]): void {
  kubectlOk(['delete', 'pod', '-n', ns, '--grace-period=0', '--force', '--ignore-not-found', ...names]);
}

beforeAll(() => {
  kubectlOk(['create', 'namespace', ns]);
});

afterAll(() => {
  kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force']);
  if (nodes.length) kubectl(['delete', 'node', '--ignore-not-found', ...nodes]);
  if (priorityClasses.length) kubectl(['delete', 'priorityclass', '--ignore-not-found', ...priorityClasses]);
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('scheduler', () => {
  it('places pods by nodeSelector, node affinity, taints/tolerations and resources', async () => {
    const group = { group: 'place' };
    const ssd = createNode('place-ssd', { labels: { ...group, disk: 'ssd', zone: 'a' }, cpu: '2' });
    const big = createNode('place-big', { labels: { ...group, zone: 'b' }, cpu: '8' });
    const dedicated = createNode('place-ded', { labels: { ...group, zone: 'c' }, cpu: '2', taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] });
    createPods(
      podManifest('by-selector', { nodeSelector: { ...group, disk: 'ssd' } }),
      podManifest('by-affinity', {
        nodeSelector: group,
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] } } },
      }),
      podManifest('by-toleration', { nodeSelector: { ...group, zone: 'c' }, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'x', effect: 'NoSchedule' }] }),
      podManifest('by-resources', { nodeSelector: group, cpu: '5' }),
      podManifest('untolerated', { nodeSelector: { ...group, zone: 'c' } }),
    );
    expect(await boundTo('by-selector')).toBe(ssd);
    expect(await boundTo('by-affinity')).toBe(big);
    expect(await boundTo('by-toleration')).toBe(dedicated);
    expect(await boundTo('by-resources')).toBe(big);
    const msg = await eventually(() => failedSchedulingMessage('untolerated'));
    expect(msg).toMatch(/^0\/\d+ nodes are available: /);
    expect(msg).toContain('1 node(s) had untolerated taint {dedicated: x}');
    expect(nodeOf('untolerated')).toBe('');
    const cond = JSON.parse(kubectlOk(['get', 'pod', 'untolerated', '-n', ns, '-o', 'jsonpath={.status.conditions[?(@.type=="PodScheduled")]}']));
    expect(cond).toMatchObject({ status: 'False', reason: 'Unschedulable' });
    expect(cond.message).toContain('1 node(s) had untolerated taint {dedicated: x}');
    const scheduled = kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=by-selector,reason=Scheduled', '-o', 'jsonpath={.items[0].message}']);
    expect(scheduled).toBe(`Successfully assigned ${ns}/by-selector to ${ssd}`);
  });

  it('keeps a pod that fits nowhere Pending with the FailedScheduling message, and binds it once a node frees up', async () => {
    const group = { group: 'pending' };
    const node = createNode('pending', { labels: group, cpu: '1' });
    createPods(podManifest('filler', { nodeSelector: group, cpu: '800m' }));
    expect(await boundTo('filler')).toBe(node);
    createPods(podManifest('waiter', { nodeSelector: group, cpu: '500m' }));
    const msg = await eventually(() => failedSchedulingMessage('waiter'));
    const m = /^0\/(\d+) nodes are available: (.*)\. preemption: 0\/(\d+) nodes are available: (.*)\.$/.exec(msg);
    expect(m, msg).not.toBeNull();
    expect(m![3]).toBe(m![1]);
    expect(m![2].split(', ')).toContain('1 Insufficient cpu');
    expect(m![4].split(', ')).toContain('1 No preemption victims found for incoming pod');
    expect(kubectlOk(['get', 'pod', 'waiter', '-n', ns, '-o', 'jsonpath={.status.phase}'])).toBe('Pending');
    expect(nodeOf('waiter')).toBe('');
    deletePods('filler');
    expect(await boundTo('waiter')).toBe(node);
  });

  it('keeps new pods off a cordoned node', async () => {
    const group = { group: 'cordon' };
    const off = createNode('cordon-off', { labels: group });
    const on = createNode('cordon-on', { labels: group });
    kubectlOk(['cordon', off]);
    expect(kubectlOk(['get', 'node', off, '-o', 'jsonpath={.spec.unschedulable}'])).toBe('true');
    createPods(...[1, 2, 3, 4].map((i) => podManifest(`cordoned-${i}`, { nodeSelector: group })));
    for (const i of [1, 2, 3, 4]) expect(await boundTo(`cordoned-${i}`)).toBe(on);
    kubectlOk(['uncordon', off]);
  });

  it('drains a node through the Eviction API, blocked by a PodDisruptionBudget until it allows', async () => {
    const group = { group: 'drain' };
    const node = createNode('drain', { labels: group });
    createPods(podManifest('drain-1', { nodeSelector: group, labels: { app: `drain-${ns}` } }), podManifest('drain-2', { nodeSelector: group, labels: { app: `drain-${ns}` } }));
    for (const p of ['drain-1', 'drain-2']) {
      expect(await boundTo(p)).toBe(node);
      // No kubelet runs here: report the pods running and ready, so the budget applies to them.
      kubectlOk(['patch', 'pod', p, '-n', ns, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } })]);
    }
    kubectlOk(['create', '-f', '-'], {
      stdin: JSON.stringify({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'drain-pdb', namespace: ns }, spec: { minAvailable: 2, selector: { matchLabels: { app: `drain-${ns}` } } } }),
    });
    const eviction = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'drain-1', namespace: ns } };
    const refused = kubectl(['create', '--raw', `/api/v1/namespaces/${ns}/pods/drain-1/eviction`, '-f', '-'], { stdin: JSON.stringify(eviction) });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("Error from server (TooManyRequests): Cannot evict pod as it would violate the pod's disruption budget.");
    const blocked = kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=7s'], { timeoutMs: 30_000 });
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr + blocked.stdout).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(kubectlOk(['get', 'node', node, '-o', 'jsonpath={.spec.unschedulable}'])).toBe('true');
    expect(nodeOf('drain-1')).toBe(node);
    expect(nodeOf('drain-2')).toBe(node);

    kubectlOk(['delete', 'pdb', 'drain-pdb', '-n', ns]);
    const drained = kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--force', '--timeout=30s'], { timeoutMs: 45_000 });
    expect(drained.code, drained.stderr).toBe(0);
    expect(drained.stdout).toContain(`evicting pod ${ns}/drain-1`);
    expect(drained.stdout).toContain(`node/${node} drained`);
    await eventually(() => kubectl(['get', 'pod', 'drain-1', 'drain-2', '-n', ns, '--ignore-not-found', '-o', 'name']).stdout.trim() === '');
  });

  it('spreads 6 replicas 2/2/2 over 3 nodes with a hostname topologySpreadConstraint', async () => {
    const group = { group: 'spread' };
    const spread = [createNode('spread-1', { labels: group }), createNode('spread-2', { labels: group }), createNode('spread-3', { labels: group })];
    const labels = { app: `spread-${ns}` };
    const constraint = { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: labels } };
    createPods(...[1, 2, 3, 4, 5, 6].map((i) => podManifest(`spread-${i}`, { nodeSelector: group, labels, topologySpreadConstraints: [constraint] })));
    const placed = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => boundTo(`spread-${i}`)));
    const counts = spread.map((n) => placed.filter((p) => p === n).length);
    expect(counts).toEqual([2, 2, 2]);
  });

  it('preempts a lower-priority pod for a higher-priority one', async () => {
    const group = { group: 'preempt' };
    const node = createNode('preempt', { labels: group, cpu: '1' });
    const low = `${ns}-low`;
    const high = `${ns}-high`;
    kubectlOk(['create', 'priorityclass', low, '--value=100']);
    priorityClasses.push(low);
    kubectlOk(['create', 'priorityclass', high, '--value=1000']);
    priorityClasses.push(high);
    createPods(podManifest('victim', { nodeSelector: group, cpu: '800m', priorityClassName: low }));
    expect(await boundTo('victim')).toBe(node);
    const victimUid = kubectlOk(['get', 'pod', 'victim', '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
    createPods(podManifest('preemptor', { nodeSelector: group, cpu: '800m', priorityClassName: high }));
    expect(await boundTo('preemptor')).toBe(node);
    const victim = kubectl(['get', 'pod', 'victim', '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
    expect(victim.code !== 0 || victim.stdout !== victimUid).toBe(true);
    const preempted = await eventually(() =>
      kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=victim,reason=Preempted', '-o', 'jsonpath={.items[0].message}']),
    );
    const preemptorUid = kubectlOk(['get', 'pod', 'preemptor', '-n', ns, '-o', 'jsonpath={.metadata.uid}']);
    expect(preempted).toBe(`Preempted by pod ${preemptorUid} on node ${node}`);
  });
});
