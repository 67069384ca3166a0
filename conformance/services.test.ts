// Services through kubectl: ClusterIP and NodePort allocation, clashes with upstream's texts, headless, ExternalName, `kubernetes`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isIP } from 'node:net';
import { kubectl, kubectlOk, uniqueName } from './kubectl.ts';

const ns = uniqueName('services');

function nodePortService(name: string, nodePort: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  type: NodePort
  selector: { app: ${name} }
  ports:
  - { port: 80, nodePort: ${nodePort} }
`;
}

function jsonOf(args: string[]): Record<string, unknown> & { spec: Record<string, unknown> } {
  return JSON.parse(kubectlOk([...args, '-o', 'json'])) as Record<string, unknown> & { spec: Record<string, unknown> };
}

beforeAll(() => {
  kubectlOk(['create', 'namespace', ns]);
});

afterAll(() => {
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('services', () => {
  it('the kubernetes Service exists in default with port 443 and an address', () => {
    const svc = jsonOf(['get', 'service', 'kubernetes', '-n', 'default']);
    expect(svc.spec.type).toBe('ClusterIP');
    expect(isIP(String(svc.spec.clusterIP))).not.toBe(0);
    expect((svc.spec.ports as Array<{ name: string; port: number; protocol: string }>).map((p) => [p.name, p.port, p.protocol])).toEqual([['https', 443, 'TCP']]);
    const ep = jsonOf(['get', 'endpoints', 'kubernetes', '-n', 'default']) as unknown as { subsets: Array<{ addresses: Array<{ ip: string }> }> };
    expect(ep.subsets[0]!.addresses.length).toBeGreaterThan(0);
  });

  it('kubectl create service clusterip gets a ClusterIP, shown by kubectl get svc as upstream', () => {
    kubectlOk(['create', 'service', 'clusterip', 'web', '--tcp=80', '-n', ns]);
    const svc = jsonOf(['get', 'svc', 'web', '-n', ns]);
    const ip = String(svc.spec.clusterIP);
    expect(isIP(ip)).toBe(4);
    expect(svc.spec.clusterIPs).toEqual([ip]);
    const out = kubectlOk(['get', 'svc', 'web', '-n', ns]).trimEnd().split('\n');
    expect(out[0]).toMatch(/^NAME\s+TYPE\s+CLUSTER-IP\s+EXTERNAL-IP\s+PORT\(S\)\s+AGE$/);
    expect(out[1]!.split(/\s+/).slice(0, 5)).toEqual(['web', 'ClusterIP', ip, '<none>', '80/TCP']);
  });

  it('two Services never share a ClusterIP, and asking for a held one fails with upstream text', () => {
    kubectlOk(['create', 'service', 'clusterip', 'a', '--tcp=80', '-n', ns]);
    kubectlOk(['create', 'service', 'clusterip', 'b', '--tcp=80', '-n', ns]);
    const a = String(jsonOf(['get', 'svc', 'a', '-n', ns]).spec.clusterIP);
    const b = String(jsonOf(['get', 'svc', 'b', '-n', ns]).spec.clusterIP);
    expect(a).not.toBe(b);
    const res = kubectl(['create', 'service', 'clusterip', 'clash', '--tcp=80', `--clusterip=${a}`, '-n', ns]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(`error: failed to create ClusterIP service: Service "clash" is invalid: spec.clusterIPs: Invalid value: []string{"${a}"}: failed to allocate IP ${a}: provided IP is already allocated`);
  });

  it('a NodePort Service gets a port in 30000-32767, and a second claim on it fails with upstream text', () => {
    kubectlOk(['create', 'service', 'nodeport', 'np', '--tcp=80', '-n', ns]);
    const port = (jsonOf(['get', 'svc', 'np', '-n', ns]).spec.ports as Array<{ nodePort: number }>)[0]!.nodePort;
    expect(port).toBeGreaterThanOrEqual(30000);
    expect(port).toBeLessThanOrEqual(32767);
    expect(kubectlOk(['get', 'svc', 'np', '-n', ns]).split('\n')[1]).toContain(`80:${port}/TCP`);
    const res = kubectl(['apply', '-n', ns, '-f', '-'], { stdin: nodePortService('np2', port) });
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain(`The Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: ${port}: provided port is already allocated`);
    const out = kubectl(['apply', '-n', ns, '-f', '-'], { stdin: nodePortService('np3', 8080) });
    expect(out.stderr).toContain('spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the valid range. The range of valid ports is 30000-32767');
  });

  it('a deleted Service gives its NodePort back', () => {
    kubectlOk(['create', 'service', 'nodeport', 'gone', '--tcp=81', '-n', ns]);
    const port = (jsonOf(['get', 'svc', 'gone', '-n', ns]).spec.ports as Array<{ nodePort: number }>)[0]!.nodePort;
    kubectlOk(['delete', 'svc', 'gone', '-n', ns]);
    kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: nodePortService('reuse', port) });
    expect((jsonOf(['get', 'svc', 'reuse', '-n', ns]).spec.ports as Array<{ nodePort: number }>)[0]!.nodePort).toBe(port);
  });

  it('headless and ExternalName Services get no ClusterIP', () => {
    kubectlOk(['create', 'service', 'clusterip', 'headless', '--clusterip=None', '--tcp=80', '-n', ns]);
    kubectlOk(['create', 'service', 'externalname', 'ext', '--external-name=example.com', '-n', ns]);
    expect(jsonOf(['get', 'svc', 'headless', '-n', ns]).spec.clusterIP).toBe('None');
    expect(jsonOf(['get', 'svc', 'ext', '-n', ns]).spec.clusterIP).toBeUndefined();
    const rows = kubectlOk(['get', 'svc', 'headless', 'ext', '-n', ns, '--no-headers']).trimEnd().split('\n').map((l) => l.split(/\s+/).slice(0, 5));
    expect(rows).toEqual([
      ['headless', 'ClusterIP', 'None', '<none>', '80/TCP'],
      ['ext', 'ExternalName', '<none>', 'example.com', '<none>'],
    ]);
  });
});
