// UDP Service traffic through kube-proxy when endpoints come and go (issue 8): a client that keeps its source port
// reaches the Service's first endpoint, then the endpoint that replaced it, within seconds; without kube-proxy's
// conntrack cleanup its datagrams would stick to the entry made before (no DNAT, or DNAT to the gone endpoint).
import { createSocket, type Socket } from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, kubectlOk, realNode, uniqueName } from './kubectl.ts';

const ns = uniqueName('svcudp');
const node = realNode();

/**
 * Two addresses of this host for the backends, on a veth pair of our own (removed with it): upstream's cleanup tells
 * endpoints apart by IP, and busybox has no UDP server, so the backends are sockets of this test on these addresses.
 */
function addHostAddresses(): { link: string; addresses: [string, string] } {
  const suffix = Math.floor(Math.random() * 0xffff).toString(16);
  const link = `tskudp${suffix}`;
  const octet = 10 + Math.floor(Math.random() * 240);
  const addresses: [string, string] = [`198.51.100.${octet}`, `198.51.100.${octet + 1}`];
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  ip('link', 'add', link, 'type', 'veth', 'peer', 'name', `tskudq${suffix}`);
  try {
    ip('link', 'set', link, 'up');
    for (const a of addresses) ip('addr', 'add', `${a}/32`, 'dev', link);
  } catch (e: unknown) {
    ip('link', 'del', link);
    throw e;
  }
  return { link, addresses };
}

/** A UDP server on `address:port` answering every datagram with `name`. */
function echoServer(name: string, address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('message', (_msg, from) => s.send(name, from.port, from.address));
    s.once('error', reject);
    s.bind(port, address, () => resolve(s));
  });
}

/** Two servers on one port number at two addresses (tries a few ports: one may be taken at the second address). */
async function echoPair(a: string, b: string): Promise<[Socket, Socket, number]> {
  for (let i = 0; ; i++) {
    const first = await echoServer('a', a, 0);
    const port = first.address().port;
    try {
      return [first, await echoServer('b', b, port), port];
    } catch (e: unknown) {
      first.close();
      if (i >= 5) throw e;
    }
  }
}

function slice(name: string, address: string, port: number): string {
  return JSON.stringify({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': 'udp-echo' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [address], conditions: { ready: true } }],
    ports: [{ name: 'dns', protocol: 'UDP', port }],
  });
}

// Root: the test adds its backends' addresses; the host must be a node running kube-proxy (as services-proxy.test.ts).
describe.skipIf(!node || process.getuid?.() !== 0)(`UDP service traffic through kube-proxy (skipped without a real node or root; node "${node}")`, { timeout: 120_000 }, () => {
  const sockets: Socket[] = [];
  let timer: NodeJS.Timeout | undefined;
  let host: { link: string; addresses: [string, string] } | undefined;
  beforeAll(() => {
    kubectlOk(['create', 'namespace', ns]);
    host = addHostAddresses();
  });
  afterAll(() => {
    clearInterval(timer);
    for (const s of sockets) s.close();
    try {
      if (host) execFileSync('ip', ['link', 'del', host.link], { stdio: 'ignore' });
    } catch {
      // Already gone: nothing of ours is left on the host.
    }
    kubectl(['delete', 'namespace', ns, '--wait=false']);
  });

  it('a client keeping its source port reaches the first endpoint, then the endpoint that replaced it, within seconds', async () => {
    const [a, b] = host!.addresses;
    const [serverA, serverB, port] = await echoPair(a, b);
    sockets.push(serverA, serverB);
    // A Service without selector: its EndpointSlice is ours to write, so the backend changes exactly when we say.
    kubectlOk(['apply', '-f', '-'], {
      stdin: JSON.stringify({
        apiVersion: 'v1', kind: 'Service', metadata: { name: 'udp-echo', namespace: ns },
        spec: { ports: [{ name: 'dns', protocol: 'UDP', port: 5353, targetPort: port }] },
      }),
    });
    const clusterIP = kubectlOk(['get', 'svc', 'udp-echo', '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
    const client = createSocket('udp4');
    sockets.push(client);
    await new Promise<void>((resolve) => client.bind(0, resolve));
    let last = '';
    client.on('message', (msg) => (last = msg.toString()));
    client.on('error', () => undefined); // ICMP errors while there is no backend
    timer = setInterval(() => client.send('ping', 5353, clusterIP, () => undefined), 100);

    // Datagrams sent while the Service has no endpoint leave a conntrack entry without DNAT behind.
    await new Promise((r) => setTimeout(r, 1500));
    expect(last).toBe('');
    kubectlOk(['apply', '-f', '-'], { stdin: slice('udp-echo-1', a, port) });
    const started = Date.now();
    await eventually(() => last === 'a' || undefined, 15_000, 100);
    const firstMs = Date.now() - started;

    // The backend is replaced: the old one is gone (its socket closed), the slice now names the new one.
    serverA.close();
    sockets.splice(sockets.indexOf(serverA), 1);
    last = '';
    kubectlOk(['apply', '-f', '-'], { stdin: slice('udp-echo-1', b, port) });
    const replaced = Date.now();
    await eventually(() => last === 'b' || undefined, 15_000, 100);
    const secondMs = Date.now() - replaced;
    // "Within seconds": a stale entry would hold for as long as the client sends (UDP conntrack timeout ≥ 30 s).
    expect(Math.max(firstMs, secondMs)).toBeLessThan(10_000);
  });
});
