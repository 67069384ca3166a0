// kube-proxy for UDP service ports (cluster DNS, issue 8): kube-dns's dns/UDP and dns-tcp/TCP ports on one clusterIP get separate DNAT chains.
import { describe, expect, it } from 'vitest';
import { chainNames, natRestoreText, servicePorts, type EndpointSliceLike, type ServiceLike } from './rules.ts';

const kubeDns: ServiceLike = {
  metadata: { name: 'kube-dns', namespace: 'kube-system' },
  spec: { type: 'ClusterIP', clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 10053 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 10053 }] },
};
const kubeDnsSlice: EndpointSliceLike = {
  metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'kube-dns' } },
  addressType: 'IPv4',
  endpoints: [{ addresses: ['192.0.2.2'], conditions: { ready: true } }],
  ports: [{ name: 'dns', port: 10053, protocol: 'UDP' }, { name: 'dns-tcp', port: 10053, protocol: 'TCP' }],
};

describe('UDP service ports', () => {
  it('pairs each protocol with the slice port of the same name and protocol', () => {
    expect(servicePorts([kubeDns], [kubeDnsSlice]).map((p) => [p.id, p.protocol, p.port, p.endpoints])).toEqual([
      ['kube-system/kube-dns:dns', 'udp', 53, ['192.0.2.2:10053']],
      ['kube-system/kube-dns:dns-tcp', 'tcp', 53, ['192.0.2.2:10053']],
    ]);
  });

  it('matches and DNATs UDP with -p udp -m udp, apart from the TCP chain', () => {
    const names = chainNames();
    const text = natRestoreText(servicePorts([kubeDns], [kubeDnsSlice]), names);
    expect(text).toMatch(/-A KUBE-SERVICES .*-p udp -m udp -d 10\.96\.0\.10\/32 --dport 53 -j KUBE-SVC-/);
    expect(text).toMatch(/-A KUBE-SERVICES .*-p tcp -m tcp -d 10\.96\.0\.10\/32 --dport 53 -j KUBE-SVC-/);
    expect(text).toMatch(/-A KUBE-SEP-\S+ .*-p udp -m udp -j DNAT --to-destination 192\.0\.2\.2:10053/);
    const svcChains = [...text.matchAll(/-d 10\.96\.0\.10\/32 --dport 53 -j (KUBE-SVC-\S+)/g)].map((m) => m[1]);
    expect(new Set(svcChains).size).toBe(2);
  });
});
