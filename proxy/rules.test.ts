import { describe, expect, it } from 'vitest';
import { chainNames, chainsIn, natCleanupText, natRestoreText, servicePorts, type EndpointSliceLike, type ServiceLike } from './rules.ts';

const svc = (name: string, spec: ServiceLike['spec']): ServiceLike => ({ metadata: { name, namespace: 'ns' }, spec });
const slice = (svcName: string, endpoints: EndpointSliceLike['endpoints'], ports: EndpointSliceLike['ports'] = [{ name: '', port: 8080, protocol: 'TCP' }]): EndpointSliceLike => ({
  metadata: { name: `${svcName}-abc`, namespace: 'ns', labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  endpoints,
  ports,
});

describe('servicePorts', () => {
  it('keeps only ready endpoints of the matching port, sorted', () => {
    const ports = servicePorts(
      [svc('web', { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ port: 80, protocol: 'TCP' }] })],
      [slice('web', [
        { addresses: ['10.88.0.3'], conditions: { ready: true } },
        { addresses: ['10.88.0.2'] },
        { addresses: ['10.88.0.4'], conditions: { ready: false } },
      ])],
    );
    expect(ports).toEqual([{ id: 'ns/web:', protocol: 'tcp', clusterIP: '10.96.0.10', port: 80, nodePort: undefined, affinitySeconds: undefined, endpoints: ['10.88.0.2:8080', '10.88.0.3:8080'] }]);
  });

  it.each([
    ['headless', { type: 'ClusterIP', clusterIP: 'None', ports: [{ port: 80 }] }],
    ['ExternalName', { type: 'ExternalName', ports: [{ port: 80 }] }],
  ])('skips %s Services', (_, spec) => {
    expect(servicePorts([svc('x', spec)], [])).toEqual([]);
  });

  it('carries node ports and ClientIP affinity', () => {
    const [p] = servicePorts([svc('np', { type: 'NodePort', clusterIP: '10.96.0.11', sessionAffinity: 'ClientIP', ports: [{ name: 'http', port: 80, nodePort: 30080 }] })], [slice('np', [{ addresses: ['10.88.0.9'] }], [{ name: 'http', port: 80 }])]);
    expect(p).toMatchObject({ id: 'ns/np:http', nodePort: 30080, affinitySeconds: 10800, endpoints: ['10.88.0.9:80'] });
  });
});

describe('natRestoreText', () => {
  const names = chainNames();
  const ports = servicePorts([svc('web', { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort: 30080 }] })], [slice('web', [{ addresses: ['10.88.0.2'] }, { addresses: ['10.88.0.3'] }])]);

  it('sends the cluster IP and the node port to a service chain that picks endpoints at random and DNATs', () => {
    const text = natRestoreText(ports, names);
    const svcChain = names.svc(ports[0]!);
    const [sep1, sep2] = ports[0]!.endpoints.map((e) => names.sep(ports[0]!, e));
    expect(svcChain).toMatch(/^KUBE-SVC-[A-Z2-7]{16}$/);
    expect(text.startsWith('*nat\n:KUBE-SERVICES - [0:0]\n')).toBe(true);
    expect(text).toContain(`-A KUBE-SERVICES -m comment --comment "ns/web: cluster IP" -p tcp -m tcp -d 10.96.0.10/32 --dport 80 -j ${svcChain}`);
    expect(text).toContain(`-A KUBE-NODEPORTS -m comment --comment "ns/web:" -p tcp -m tcp --dport 30080 -j ${svcChain}`);
    expect(text).toContain(`-A ${svcChain} -m comment --comment "ns/web: -> 10.88.0.2:8080" -m statistic --mode random --probability 0.5000000000 -j ${sep1}`);
    expect(text).toContain(`-A ${svcChain} -m comment --comment "ns/web: -> 10.88.0.3:8080" -j ${sep2}`);
    expect(text).toContain(`-A ${sep1} -m comment --comment "ns/web:" -p tcp -m tcp -j DNAT --to-destination 10.88.0.2:8080`);
    expect(text.trimEnd().split('\n').slice(-2)).toEqual(['-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS', 'COMMIT']);
  });

  it('deletes stale chains of ours and never touches others', () => {
    const text = natRestoreText([], names, ['KUBE-SVC-OLDOLDOLDOLDOLDO', 'CNI-abc', 'KUBE-SERVICES', 'DOCKER']);
    expect(text).toContain('-X KUBE-SVC-OLDOLDOLDOLDOLDO');
    expect(text).not.toContain('CNI-abc');
    expect(text).not.toContain('DOCKER');
    expect(text).not.toContain('-X KUBE-SERVICES');
  });

  it('gives tagged proxies a private set of chains within the 28-character limit', () => {
    const tagged = chainNames('ab12');
    expect(tagged.services).toBe('TSKAB12-SERVICES');
    expect(tagged.sep(ports[0]!, '10.88.0.2:8080').length).toBeLessThanOrEqual(28);
    expect(natCleanupText(tagged, ['TSKAB12-SERVICES', 'TSKAB12-SVC-X', 'KUBE-SERVICES'])).toBe('*nat\n:TSKAB12-SERVICES - [0:0]\n:TSKAB12-SVC-X - [0:0]\n-X TSKAB12-SERVICES\n-X TSKAB12-SVC-X\nCOMMIT\n');
  });

  it('reads chain names from iptables-save output', () => {
    expect(chainsIn('# x\n*nat\n:PREROUTING ACCEPT [0:0]\n:KUBE-SERVICES - [0:0]\n-A X -j Y\nCOMMIT\n')).toEqual(['PREROUTING', 'KUBE-SERVICES']);
  });
});
