// Endpoints and EndpointSlice contents from a Service and its pods.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../runtime/index.ts';
import { endpointSubsets, findPort, shouldPodBeInEndpoints, sliceContents } from './logic.ts';

const svc = (spec: Record<string, unknown>): KubeObject => ({ metadata: { name: 'web', namespace: 'ns', uid: 's1' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec } });
const pod = (name: string, ip: string, ready: boolean, extra: { deleting?: boolean; labels?: Record<string, string>; phase?: string } = {}): KubeObject => ({
  metadata: { name, namespace: 'ns', uid: `u-${name}`, labels: extra.labels ?? { app: 'web' }, ...(extra.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
  spec: { nodeName: 'n1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }] },
  status: { phase: extra.phase ?? 'Running', podIP: ip, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});

describe('endpoints', () => {
  it('puts ready pods in addresses and the others in notReadyAddresses, with named target ports resolved', () => {
    const subsets = endpointSubsets(svc({}), [pod('b', '10.0.0.10', true), pod('a', '10.0.0.9', true), pod('c', '10.0.0.11', false), pod('x', '10.0.0.12', true, { labels: { app: 'other' } })]);
    expect(subsets).toEqual([
      {
        addresses: [
          { ip: '10.0.0.9', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'a', uid: 'u-a' } },
          { ip: '10.0.0.10', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'b', uid: 'u-b' } },
        ],
        notReadyAddresses: [{ ip: '10.0.0.11', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'ns', name: 'c', uid: 'u-c' } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      },
    ]);
  });

  it('lists every pod as ready with publishNotReadyAddresses', () => {
    const [s] = endpointSubsets(svc({ publishNotReadyAddresses: true }), [pod('c', '10.0.0.11', false)]);
    expect(s!.addresses).toHaveLength(1);
    expect(s!.notReadyAddresses).toBeUndefined();
  });

  it('leaves out terminating pods, pods without IP and finished pods', () => {
    expect(endpointSubsets(svc({}), [pod('d', '10.0.0.1', true, { deleting: true }), pod('e', '', true)])).toEqual([]);
    const done = pod('f', '10.0.0.2', false, { phase: 'Succeeded' });
    (done.spec as Record<string, unknown>).restartPolicy = 'Never';
    expect(shouldPodBeInEndpoints(done, false)).toBe(false);
  });

  it('resolves numeric and named target ports and skips unknown names', () => {
    const p = pod('a', '10.0.0.1', true);
    expect(findPort(p, { port: 80, targetPort: 9090 })).toBe(9090);
    expect(findPort(p, { port: 80 })).toBe(80);
    expect(findPort(p, { port: 80, targetPort: 'http' })).toBe(8080);
    expect(findPort(p, { port: 80, targetPort: 'nope' })).toBeUndefined();
  });
});

describe('endpoint slices', () => {
  it('keeps terminating pods with their conditions and fills node, zone and targetRef', () => {
    const [slice] = sliceContents(svc({}), [pod('a', '10.0.0.1', true), pod('b', '10.0.0.2', false), pod('c', '10.0.0.3', true, { deleting: true })], () => 'zone-a');
    expect(slice!.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(slice!.endpoints.map((e) => e.conditions)).toEqual([
      { ready: true, serving: true, terminating: false },
      { ready: false, serving: false, terminating: false },
      { ready: false, serving: true, terminating: true },
    ]);
    expect(slice!.endpoints[0]).toMatchObject({ addresses: ['10.0.0.1'], nodeName: 'n1', zone: 'zone-a', targetRef: { kind: 'Pod', name: 'a' } });
  });

  it('splits slices at the endpoint limit', () => {
    const pods = Array.from({ length: 5 }, (_, i) => pod(`p${i}`, `10.0.0.${i + 1}`, true));
    expect(sliceContents(svc({}), pods, () => undefined, 2).map((s) => s.endpoints.length)).toEqual([2, 2, 1]);
  });
});
