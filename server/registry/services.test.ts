import { describe, expect, it } from 'vitest';
import type { KubeObject } from './types.ts';
import { endpoints, formatEndpoints, services } from './services.ts';
import { cells, lines, runCreate, runUpdate } from './test-helpers.ts';

const svc = (spec: Record<string, unknown> = {}, name = 'web'): Partial<KubeObject> => ({
  metadata: { name, namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ port: 80 }], ...spec },
});

describe('services', () => {
  it('get upstream defaults and an empty load-balancer status', () => {
    const { obj, errors } = runCreate(services, { ...svc(), status: { x: 1 } });
    expect(errors).toEqual([]);
    expect(obj.spec).toEqual({
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
    expect(obj.status).toEqual({ loadBalancer: {} });
  });

  it('default external traffic policy and node-port allocation for load balancers', () => {
    const spec = runCreate(services, svc({ type: 'LoadBalancer' })).obj.spec as Record<string, unknown>;
    expect(spec.externalTrafficPolicy).toBe('Cluster');
    expect(spec.allocateLoadBalancerNodePorts).toBe(true);
  });

  it('name headless services without selector RequireDualStack', () => {
    const spec = runCreate(services, { metadata: { name: 'h', namespace: 'default' }, spec: { clusterIP: 'None' } }).obj.spec as Record<string, unknown>;
    expect(spec.clusterIPs).toEqual(['None']);
    expect(spec.ipFamilyPolicy).toBe('RequireDualStack');
  });

  it.each([
    ['an upper-case name', svc({}, 'Web'), ["metadata.name: Invalid value: \"Web\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"]],
    ['no ports', svc({ ports: [] }), ['spec.ports: Required value']],
    ['two ports without names', svc({ ports: [{ port: 80 }, { port: 81 }] }), ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']],
    ['a port out of range (and the target port defaulted from it)', svc({ ports: [{ port: 0 }] }), ['spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive', 'spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive']],
    ['a bad type', svc({ type: 'Internal' }), ['spec.type: Unsupported value: "Internal": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"']],
    ['a node port on a ClusterIP service', svc({ ports: [{ port: 80, nodePort: 30000 }] }), ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]],
    ['an ExternalName without name', { metadata: { name: 'x', namespace: 'default' }, spec: { type: 'ExternalName' } }, ['spec.externalName: Required value']],
  ])('reject %s', (_n, input, expected) => {
    expect(lines(runCreate(services, input).errors)).toEqual(expected);
  });

  it('keep an allocated cluster IP on replace, and refuse to change it', () => {
    const created = runCreate(services, svc({ clusterIP: '10.96.0.10' })).obj;
    const replaced = runUpdate(services, { ...svc(), metadata: created.metadata } as KubeObject, created);
    expect(replaced.errors).toEqual([]);
    expect((replaced.obj.spec as Record<string, unknown>).clusterIPs).toEqual(['10.96.0.10']);
    const changed = runUpdate(services, { ...svc({ clusterIP: '10.96.0.11', clusterIPs: ['10.96.0.11'] }), metadata: created.metadata } as KubeObject, created);
    expect(lines(changed.errors)).toEqual(['spec.clusterIPs[0]: Invalid value: []string{"10.96.0.11"}: may not change once set']);
  });

  it('print TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE | SELECTOR', () => {
    const s = runCreate(services, svc({ type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }] })).obj;
    expect(cells(services, s)).toEqual({ Type: 'NodePort', 'Cluster-IP': '10.96.0.10', 'External-IP': '<none>', 'Port(s)': '80:30080/TCP', Age: '60m', Selector: 'app=web' });
    const lb = runCreate(services, svc({ type: 'LoadBalancer' })).obj;
    expect(cells(services, lb)['External-IP']).toBe('<pending>');
    expect(cells(services, lb)['Cluster-IP']).toBe('<none>');
  });

  it('are stored under services/specs and selectable by clusterIP and type', () => {
    expect(services.storageName).toBe('services/specs');
    expect(Object.keys(services.fieldSelectors!)).toEqual(['spec.clusterIP', 'spec.type']);
  });
});

describe('endpoints', () => {
  it('default port protocols and validate addresses', () => {
    const { obj, errors } = runCreate(endpoints, { metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] });
    expect(errors).toEqual([]);
    expect(obj.subsets).toEqual([{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80, protocol: 'TCP' }] }]);
    const bad = runCreate(endpoints, { metadata: { name: 'web', namespace: 'default' }, subsets: [{ addresses: [{ ip: 'x' }] }] });
    expect(lines(bad.errors)).toEqual(['subsets[0].addresses[0].ip: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)']);
  });

  it('print at most three endpoints', () => {
    const ep: KubeObject = {
      metadata: { name: 'e' },
      subsets: [{ addresses: ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'].map((ip) => ({ ip })), ports: [{ port: 80 }] }],
    };
    expect(formatEndpoints(ep)).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...');
    expect(formatEndpoints({ metadata: { name: 'e' } })).toBe('<none>');
    expect(endpoints.storageName).toBe('services/endpoints');
  });
});
