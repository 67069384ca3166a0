// Tests of the managed /etc/hosts: upstream's exact text for pod networks, subdomains, host aliases and host-network pods.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostNetworkHostsFile, hostsMountFor, managedHostsFile, podHostnameAndDomain, wantsHostsMount } from './hosts.ts';
import type { Pod } from './types.ts';

const pod = (spec: Partial<Pod['spec']> = {}, name = 'web'): Pod => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'ns', uid: 'u1' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec },
});

const BOILERPLATE = '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n'
  + 'fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n';

describe('managed hosts file', () => {
  it('lists localhost, the ip6 names and the pod IP with its hostname', () => {
    expect(managedHostsFile(['10.88.0.4'], 'web', '')).toBe(`${BOILERPLATE}10.88.0.4\tweb\n`);
  });

  it('gives the fully qualified name first when the pod has a subdomain', () => {
    const { hostname, domain } = podHostnameAndDomain(pod({ hostname: 'h1', subdomain: 'sub' }), 'cluster.local');
    expect(managedHostsFile(['10.88.0.4'], hostname, domain)).toBe(`${BOILERPLATE}10.88.0.4\th1.sub.ns.svc.cluster.local\th1\n`);
  });

  it('appends host aliases after a blank line and a header, one line per IP with tab-separated names', () => {
    const text = managedHostsFile(['10.88.0.4'], 'web', '', [{ ip: '127.0.0.1', hostnames: ['foo.local', 'bar.local'] }, { ip: '10.1.2.3', hostnames: ['foo.remote'] }]);
    expect(text).toBe(`${BOILERPLATE}10.88.0.4\tweb\n\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n10.1.2.3\tfoo.remote\n`);
  });

  it('copies the node hosts file under its own header for host-network pods', () => {
    expect(hostNetworkHostsFile('127.0.0.1 localhost\n', [{ ip: '1.2.3.4', hostnames: ['x'] }]))
      .toBe('# Kubernetes-managed hosts file (host network).\n127.0.0.1 localhost\n\n# Entries added by HostAliases.\n1.2.3.4\tx\n');
  });

  it.each([
    ['the pod name', pod(), 'web'],
    ['spec.hostname', pod({ hostname: 'other' }), 'other'],
    ['a name cut to 63 characters without a trailing dash', pod({}, `${'a'.repeat(62)}-bcd`), 'a'.repeat(62)],
  ])('takes the hostname from %s', (_what, p, hostname) => {
    expect(podHostnameAndDomain(p, 'cluster.local')).toEqual({ hostname, domain: '' });
  });

  it('is not mounted without a pod IP or into a container that mounts /etc/hosts itself', () => {
    expect(wantsHostsMount({ name: 'c' }, [])).toBe(false);
    expect(wantsHostsMount({ name: 'c', volumeMounts: [{ name: 'v', mountPath: '/etc/hosts' }] }, ['10.0.0.1'])).toBe(false);
    expect(wantsHostsMount({ name: 'c' }, ['10.0.0.1'])).toBe(true);
  });

  const dir = mkdtempSync(join(tmpdir(), 'hosts-test-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes <podDir>/etc-hosts and mounts it read-write at /etc/hosts', () => {
    const mount = hostsMountFor(join(dir, 'pod'), pod({ hostAliases: [{ ip: '1.1.1.1', hostnames: ['one'] }] }), { name: 'c' }, ['10.0.0.9'], 'cluster.local');
    expect(mount).toEqual({ containerPath: '/etc/hosts', hostPath: join(dir, 'pod', 'etc-hosts'), readonly: false, propagation: 'PROPAGATION_PRIVATE' });
    expect(readFileSync(mount!.hostPath, 'utf8')).toBe(`${BOILERPLATE}10.0.0.9\tweb\n\n# Entries added by HostAliases.\n1.1.1.1\tone\n`);
  });

  it('reads the node file given for a host-network pod', () => {
    const nodeHosts = join(dir, 'node-hosts');
    writeFileSync(nodeHosts, '10.0.0.1 node\n');
    const mount = hostsMountFor(join(dir, 'hn'), pod({ hostNetwork: true }), { name: 'c' }, ['10.0.0.1'], 'cluster.local', nodeHosts);
    expect(readFileSync(mount!.hostPath, 'utf8')).toBe('# Kubernetes-managed hosts file (host network).\n10.0.0.1 node\n');
  });
});
