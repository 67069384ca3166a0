// LimitRanger and ResourceQuota as a user sees them: defaulted container resources, refused pods with upstream's texts, quota usage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, kubectlOk, uniqueName } from './kubectl.ts';

const limits = uniqueName('lr');
const quotas = uniqueName('quota');
const compute = uniqueName('quota-cpu');

const LIMIT_RANGE = `
apiVersion: v1
kind: LimitRange
metadata:
  name: limits
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
    min: {cpu: 100m}
    max: {cpu: "1", memory: 1Gi}
`;

const podYaml = (name: string, resources: string): string => `
apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  containers:
  - name: c
    image: busybox
    resources: ${resources}
`;

beforeAll(() => {
  for (const ns of [limits, quotas, compute]) kubectlOk(['create', 'namespace', ns]);
  kubectlOk(['-n', limits, 'apply', '-f', '-'], { stdin: LIMIT_RANGE });
});

afterAll(() => {
  kubectl(['delete', 'namespace', limits, quotas, compute, '--wait=false']);
});

describe('LimitRanger', () => {
  it('fills container requests and limits from the LimitRange defaults and says so in an annotation', () => {
    kubectlOk(['-n', limits, 'run', 'defaulted', '--image=busybox', '--restart=Never']);
    const pod = JSON.parse(kubectlOk(['-n', limits, 'get', 'pod', 'defaulted', '-o', 'json'])) as {
      metadata: { annotations?: Record<string, string> };
      spec: { containers: { resources: unknown }[] };
    };
    expect(pod.spec.containers[0]!.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    expect(pod.metadata.annotations?.['kubernetes.io/limit-ranger']).toBe('LimitRanger plugin set: cpu, memory request for container defaulted; cpu, memory limit for container defaulted');
    expect(kubectlOk(['-n', limits, 'get', 'pod', 'defaulted', '-o', 'yaml'])).toContain('kubernetes.io/limit-ranger: ');
  });

  it('refuses a container above the maximum with upstream message', () => {
    const r = kubectl(['-n', limits, 'create', '-f', '-'], { stdin: podYaml('too-big', '{limits: {memory: 2Gi}}') });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('pods "too-big" is forbidden: maximum memory usage per Container is 1Gi, but limit is 2Gi');
  });

  it('lists every violation in brackets', () => {
    const r = kubectl(['-n', limits, 'create', '-f', '-'], { stdin: podYaml('two-wrongs', '{requests: {cpu: 50m}, limits: {memory: 2Gi}}') });
    expect(r.stderr).toContain('pods "two-wrongs" is forbidden: [minimum cpu usage per Container is 100m, but request is 50m, maximum memory usage per Container is 1Gi, but limit is 2Gi]');
  });
});

describe('ResourceQuota', () => {
  it('refuses the pod beyond `pods` with the exceeded-quota text and reports usage', async () => {
    kubectlOk(['-n', quotas, 'create', 'quota', 'q', '--hard=pods=1,configmaps=5']);
    // The quota controller computes the first usage; until then upstream refuses pods it cannot account.
    await eventually(() => kubectlOk(['-n', quotas, 'get', 'quota', 'q', '-o', 'jsonpath={.status.used.pods}']).trim() === '0');
    kubectlOk(['-n', quotas, 'run', 'first', '--image=busybox', '--restart=Never']);
    const r = kubectl(['-n', quotas, 'run', 'second', '--image=busybox', '--restart=Never']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('pods "second" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1');
    const described = kubectlOk(['-n', quotas, 'describe', 'quota', 'q']);
    expect(described).toMatch(/Resource\s+Used\s+Hard/);
    expect(described).toMatch(/pods\s+1\s+1/);
    expect(described).toMatch(/configmaps\s+\d+\s+5/);
  });

  it('gives the usage back when a pod goes away', async () => {
    kubectlOk(['-n', quotas, 'delete', 'pod', 'first', '--grace-period=0', '--force']);
    await eventually(() => kubectlOk(['-n', quotas, 'get', 'quota', 'q', '-o', 'jsonpath={.status.used.pods}']).trim() === '0', 40_000);
    kubectlOk(['-n', quotas, 'run', 'third', '--image=busybox', '--restart=Never']);
  });

  it('requires every container to name constrained compute resources', async () => {
    kubectlOk(['-n', compute, 'create', 'quota', 'cpu', '--hard=requests.cpu=1,limits.cpu=2']);
    await eventually(() => kubectlOk(['-n', compute, 'get', 'quota', 'cpu', '-o', 'jsonpath={.status.used}']).includes('requests.cpu'));
    const r = kubectl(['-n', compute, 'run', 'bare', '--image=busybox', '--restart=Never']);
    expect(r.stderr).toContain('pods "bare" is forbidden: failed quota: cpu: must specify limits.cpu for: bare; requests.cpu for: bare');
    kubectlOk(['-n', compute, 'create', '-f', '-'], { stdin: podYaml('sized', '{requests: {cpu: 600m}, limits: {cpu: 600m}}') });
    const over = kubectl(['-n', compute, 'create', '-f', '-'], { stdin: podYaml('over', '{requests: {cpu: 600m}, limits: {cpu: 600m}}') });
    expect(over.stderr).toContain('pods "over" is forbidden: exceeded quota: cpu, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1');
  });
});
