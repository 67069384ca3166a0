import { describe, expect, it } from 'vitest';
import type { KubeObject } from './types.ts';
import { podQOSClass, pods } from './pods.ts';
import { defaultPullPolicy } from './podspec-defaults.ts';
import { lines, runCreate, runUpdate } from './test-helpers.ts';

const nginx = (extra: Record<string, unknown> = {}): Partial<KubeObject> => ({
  metadata: { name: 'nginx', namespace: 'default' },
  spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }] }], ...extra },
});

describe('pod defaults', () => {
  it('fills what `kubectl get pod -o yaml` shows', () => {
    const { obj, errors } = runCreate(pods, nginx());
    expect(errors).toEqual([]);
    expect(obj.spec).toEqual({
      containers: [
        {
          name: 'nginx',
          image: 'nginx:1.25',
          imagePullPolicy: 'IfNotPresent',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
    });
    expect(obj.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['localhost:5000/app', 'Always'],
    ['localhost:5000/app:v1', 'IfNotPresent'],
    ['busybox@sha256:abcd', 'IfNotPresent'],
  ])('image %s pulls %s', (image, policy) => {
    expect(defaultPullPolicy(image)).toBe(policy);
  });

  it('defaults probes and copies limits to missing requests', () => {
    const { obj } = runCreate(pods, {
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'x', livenessProbe: { httpGet: { port: 80 } }, resources: { limits: { cpu: '1', memory: '1Gi' } } }] },
    });
    const c = (obj.spec as { containers: Record<string, unknown>[] }).containers[0];
    expect(c.livenessProbe).toEqual({ httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
    expect(c.resources).toEqual({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1', memory: '1Gi' } });
    expect((obj.status as { qosClass: string }).qosClass).toBe('Guaranteed');
  });

  it('writes quantities in canonical form, as upstream serializes them', () => {
    const { obj } = runCreate(pods, nginx({ containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: 0.5, memory: '1024Mi' }, limits: { cpu: 1 } } }] }));
    const c = (obj.spec as { containers: { resources: unknown }[] }).containers[0];
    expect(c.resources).toEqual({ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1' } });
  });

  it('clears a client-sent status and gates scheduling', () => {
    const { obj } = runCreate(pods, { ...nginx({ schedulingGates: [{ name: 'x' }] }), status: { phase: 'Running' } });
    expect((obj.status as { phase: string }).phase).toBe('Pending');
    expect((obj.status as { conditions: unknown[] }).conditions).toEqual([
      { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' },
    ]);
  });

  it('mirrors serviceAccountName into the deprecated serviceAccount', () => {
    const { obj } = runCreate(pods, nginx({ serviceAccountName: 'builder' }));
    expect((obj.spec as { serviceAccount: string }).serviceAccount).toBe('builder');
  });
});

describe('QoS class', () => {
  const spec = (resources: unknown) => ({ containers: [{ name: 'c', resources }] });
  it.each([
    ['no resources', {}, 'BestEffort'],
    ['requests only', { requests: { cpu: '100m' } }, 'Burstable'],
    ['equal limits and requests', { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '0.5', memory: '128Mi' } }, 'Guaranteed'],
    ['limits below requests elsewhere', { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } }, 'Burstable'],
    ['zero requests', { requests: { cpu: '0' } }, 'BestEffort'],
  ])('%s → %s', (_n, resources, qos) => {
    expect(podQOSClass(spec(resources))).toBe(qos);
  });
});

describe('pod validation', () => {
  it.each([
    ['no containers', { containers: [] }, ['spec.containers: Required value']],
    ['a container without image', { containers: [{ name: 'c' }] }, ['spec.containers[0].image: Required value']],
    [
      'an upper-case container name',
      { containers: [{ name: 'Web', image: 'x' }] },
      [
        "spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      ],
    ],
    ['duplicate container names', { containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] }, ['spec.containers[1].name: Duplicate value: "a"']],
    ['a bad restart policy', { restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x' }] }, ['spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"']],
    ['a bad port', { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 70000 }] }] }, ['spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive']],
    ['a bad protocol', { containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, protocol: 'ICMP' }] }] }, ['spec.containers[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"']],
    ['a mount of an unknown volume', { containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] }, ['spec.containers[0].volumeMounts[0].name: Not found: "data"']],
    ['requests above limits', { containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '1' }, requests: { cpu: '2' } } }] }, ['spec.containers[0].resources.requests[cpu]: Invalid value: "2": must be less than or equal to cpu limit of 1']],
  ])('rejects %s', (_n, spec, expected) => {
    const { errors } = runCreate(pods, { metadata: { name: 'p', namespace: 'default' }, spec });
    expect(lines(errors)).toEqual(expected);
  });

  it('accepts volumes that are mounted', () => {
    const { errors } = runCreate(pods, nginx({ volumes: [{ name: 'data' }], containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] }));
    expect(errors).toEqual([]);
  });
});

describe('pod updates', () => {
  const created = runCreate(pods, nginx()).obj;

  it('may change a container image', () => {
    const next = structuredClone(created);
    (next.spec as { containers: { image: string }[] }).containers[0].image = 'nginx:1.26';
    expect(runUpdate(pods, next, created).errors).toEqual([]);
  });

  it('may not change anything else in the spec', () => {
    const next = structuredClone(created);
    (next.spec as { containers: { ports: unknown[] }[] }).containers[0].ports = [{ containerPort: 81, protocol: 'TCP' }];
    const errs = runUpdate(pods, next, created).errors;
    expect(errs).toHaveLength(1);
    expect(errs[0].field).toBe('spec');
    expect(errs[0].type).toBe('FieldValueForbidden');
    expect(errs[0].message.split('\n')[0]).toBe(
      'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
    );
  });

  it('may not add containers', () => {
    const next = structuredClone(created);
    (next.spec as { containers: unknown[] }).containers.push({ name: 'b', image: 'x' });
    expect(lines(runUpdate(pods, next, created).errors)).toEqual(['spec.containers: Forbidden: pod updates may not add or remove containers']);
  });

  it('keeps the status on the main endpoint', () => {
    const next = structuredClone(created);
    next.status = { phase: 'Running' };
    expect(runUpdate(pods, next, created).obj.status).toEqual(created.status);
  });
});

describe('pod deletion and selection', () => {
  it('deletes unscheduled pods at once and scheduled ones gracefully', () => {
    const pod = runCreate(pods, nginx()).obj;
    expect(pods.gracefulDelete?.(pod)).toBe(0);
    (pod.spec as Record<string, unknown>).nodeName = 'node-1';
    expect(pods.gracefulDelete?.(pod)).toBe(30);
  });

  it('offers upstream field selectors', () => {
    const pod = runCreate(pods, nginx({ nodeName: 'node-1' })).obj;
    pod.status = { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }] };
    const f = pods.fieldSelectors!;
    expect(Object.keys(f).sort()).toEqual(['spec.host', 'spec.hostNetwork', 'spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.nominatedNodeName', 'status.phase', 'status.podIP', 'status.podIPs']);
    expect(f['spec.host'](pod)).toBe('node-1');
    expect(f['status.podIPs'](pod)).toBeUndefined();
    expect(f['spec.nodeName'](pod)).toBe('node-1');
    expect(f['spec.hostNetwork'](pod)).toBe('false');
    expect(f['status.podIP'](pod)).toBe('10.0.0.5');
  });
});
