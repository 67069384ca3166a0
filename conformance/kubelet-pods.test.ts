// Pod-level fidelity of the kubelet on a real node: termination messages, the managed /etc/hosts, service link
// variables and container events' involvedObject.fieldPath. Pods name their node directly (spec.nodeName).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubectl, kubectlOk, uniqueName, realNode } from './kubectl.ts';

const ns = uniqueName('kubelet-pods');
const node = realNode();

const busybox = (name: string, command: string[], more: Record<string, unknown> = {}): Record<string, unknown> => ({ name, image: 'busybox', imagePullPolicy: 'IfNotPresent', command, ...more });

function apply(name: string, spec: Record<string, unknown>): void {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns }, spec: { nodeName: node, terminationGracePeriodSeconds: 1, ...spec } };
  kubectlOk(['apply', '-f', '-'], { stdin: JSON.stringify(pod) });
}

const jsonpath = (name: string, path: string): string => kubectlOk(['get', 'pod', name, '-n', ns, '-o', `jsonpath=${path}`]);

/** The pod's log once it shows `marker` (containers print, then sleep). */
const logsWith = (name: string, marker: string): Promise<string> => eventually(() => {
  const r = kubectl(['logs', name, '-n', ns]);
  return r.code === 0 && r.stdout.includes(marker) ? r.stdout : undefined;
}, 60_000, 500);

describe.skipIf(!node)(`kubelet pod fidelity on a real node (skipped without one; node "${node}")`, { timeout: 90_000 }, () => {
  let webIP = '';
  beforeAll(() => {
    kubectlOk(['create', 'namespace', ns]);
    // Created before any pod, so the kubelet's service cache has it when the containers start.
    kubectlOk(['create', 'service', 'clusterip', 'web-svc', '--tcp=80:8080', '-n', ns]);
    webIP = kubectlOk(['get', 'service', 'web-svc', '-n', ns, '-o', 'jsonpath={.spec.clusterIP}']);
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--wait=false']);
    kubectl(['delete', 'pods', '--all', '-n', ns, '--grace-period=0', '--force', '--wait=false']);
  });

  it('reports what a container wrote to /dev/termination-log, or with FallbackToLogsOnError the tail of its log', async () => {
    apply('bye', {
      restartPolicy: 'Never',
      containers: [
        busybox('file', ['sh', '-c', 'echo bye > /dev/termination-log; exit 2']),
        busybox('fallback', ['sh', '-c', 'echo from-the-log; exit 3'], { terminationMessagePolicy: 'FallbackToLogsOnError' }),
        busybox('custom', ['sh', '-c', 'printf custom-path > /tmp/msg'], { terminationMessagePath: '/tmp/msg' }),
      ],
    });
    await eventually(() => jsonpath('bye', '{.status.phase}') === 'Failed' || undefined, 60_000, 500);
    const message = (c: string): string => jsonpath('bye', `{.status.containerStatuses[?(@.name=="${c}")].state.terminated.message}`);
    expect(message('file')).toBe('bye\n');
    expect(jsonpath('bye', '{.status.containerStatuses[?(@.name=="file")].state.terminated.exitCode}')).toBe('2');
    expect(message('fallback')).toBe('from-the-log\n');
    expect(message('custom')).toBe('custom-path');
  });

  it('mounts a managed /etc/hosts with the pod IP, its hostname and subdomain, and the host aliases', async () => {
    apply('hosts', {
      hostname: 'h1', subdomain: 'sub',
      hostAliases: [{ ip: '10.1.2.3', hostnames: ['foo.remote', 'bar.remote'] }],
      containers: [busybox('main', ['sh', '-c', 'cat /etc/hosts; echo END-OF-HOSTS; sleep 3600'])],
    });
    const text = await logsWith('hosts', 'END-OF-HOSTS');
    const podIP = await eventually(() => jsonpath('hosts', '{.status.podIP}') || undefined, 30_000, 500);
    const lines = text.split('\n');
    expect(lines[0]).toBe('# Kubernetes-managed hosts file.');
    expect(lines).toEqual(expect.arrayContaining(['127.0.0.1\tlocalhost', '::1\tlocalhost ip6-localhost ip6-loopback', 'fe00::0\tip6-localnet']));
    const self = lines.find((l) => l.startsWith(`${podIP}\t`));
    expect(self).toMatch(new RegExp(`^${podIP.replace(/\./g, '\\.')}\\th1\\.sub\\.${ns}\\.svc\\.[a-z.]+\\th1$`));
    expect(text).toContain('\n# Entries added by HostAliases.\n10.1.2.3\tfoo.remote\tbar.remote\n');
  });

  it('gives containers the kubernetes service variables always and the namespace\'s services unless enableServiceLinks is false', async () => {
    apply('env-on', { containers: [busybox('main', ['sh', '-c', 'env; echo END-OF-ENV; sleep 3600'])] });
    apply('env-off', { enableServiceLinks: false, containers: [busybox('main', ['sh', '-c', 'env; echo END-OF-ENV; sleep 3600'])] });
    const on = (await logsWith('env-on', 'END-OF-ENV')).split('\n');
    const off = (await logsWith('env-off', 'END-OF-ENV')).split('\n');
    for (const env of [on, off]) {
      expect(env.find((l) => l.startsWith('KUBERNETES_SERVICE_HOST='))).toMatch(/^KUBERNETES_SERVICE_HOST=\S+$/);
      expect(env).toContain('KUBERNETES_SERVICE_PORT_HTTPS=443');
    }
    expect(on).toEqual(expect.arrayContaining([
      `WEB_SVC_SERVICE_HOST=${webIP}`, 'WEB_SVC_SERVICE_PORT=80', 'WEB_SVC_SERVICE_PORT_80_8080=80',
      `WEB_SVC_PORT=tcp://${webIP}:80`, `WEB_SVC_PORT_80_TCP=tcp://${webIP}:80`, 'WEB_SVC_PORT_80_TCP_PROTO=tcp',
      'WEB_SVC_PORT_80_TCP_PORT=80', `WEB_SVC_PORT_80_TCP_ADDR=${webIP}`,
    ]));
    expect(off.some((l) => l.startsWith('WEB_SVC_'))).toBe(false);
  });

  it('names the container of Created and Started events in involvedObject.fieldPath', async () => {
    apply('events', {
      initContainers: [busybox('prep', ['true'])],
      containers: [busybox('main', ['sleep', '3600'])],
    });
    const want = ['Created=spec.initContainers{prep}', 'Started=spec.initContainers{prep}', 'Created=spec.containers{main}', 'Started=spec.containers{main}'];
    const seen = await eventually(() => {
      const out = kubectlOk(['get', 'events', '-n', ns, '--field-selector', 'involvedObject.name=events', '-o', 'jsonpath={range .items[*]}{.reason}={.involvedObject.fieldPath}{"\\n"}{end}']).split('\n');
      return want.every((w) => out.includes(w)) ? out : undefined;
    }, 60_000, 500);
    expect(seen).toEqual(expect.arrayContaining(want));
    expect(seen.find((l) => l.startsWith('Pulled='))).toMatch(/^Pulled=spec\.(initContainers|containers)\{(prep|main)\}$/);
  });
});
