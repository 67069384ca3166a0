// Security as a user sees it: RBAC-scoped access with upstream's 403 texts, review APIs, tokens, escalation prevention.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, kubeConfig, kubectl, kubectlOk, uniqueName } from './kubectl.ts';

// kubectl 1.32+ sends protobuf for typed clients (auth can-i, create token, whoami): 1.31 speaks JSON.
const TYPED = { minor: 31 } as const;
const dev = uniqueName('sec-dev');
const other = uniqueName('sec-other');
const tmp = mkdtempSync(join(tmpdir(), 'tskube-security-'));
let viewerKubeconfig = '';

/** A kubeconfig for the current cluster that authenticates with `token` only. */
function tokenKubeconfig(name: string, token: string): string {
  const kc = kubeConfig();
  const cluster = kc.getCurrentCluster()!;
  const caData = cluster.caData ?? (cluster.caFile ? readFileSync(cluster.caFile).toString('base64') : undefined);
  const path = join(tmp, `${name}.kubeconfig`);
  const clusterEntry: Record<string, unknown> = { server: cluster.server };
  if (caData) clusterEntry['certificate-authority-data'] = caData;
  if (cluster.skipTLSVerify) clusterEntry['insecure-skip-tls-verify'] = true;
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: clusterEntry }],
    users: [{ name: name, user: { token } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: name } }],
    'current-context': 'c',
  }), { mode: 0o600 });
  return path;
}

function as(kubeconfig: string, args: string[], minor?: number) {
  return kubectl(['--kubeconfig', kubeconfig, ...args], { minor });
}

beforeAll(async () => {
  kubectlOk(['create', 'namespace', dev]);
  kubectlOk(['create', 'namespace', other]);
  kubectlOk(['-n', dev, 'create', 'serviceaccount', 'viewer']);
  kubectlOk(['-n', dev, 'create', 'rolebinding', 'viewer-view', '--clusterrole=view', `--serviceaccount=${dev}:viewer`]);
  const token = kubectlOk(['-n', dev, 'create', 'token', 'viewer'], TYPED).trim();
  viewerKubeconfig = tokenKubeconfig('viewer', token);
  // RBAC is evaluated from a cache in upstream as here: wait until the binding is in force.
  await eventually(() => as(viewerKubeconfig, ['get', 'pods', '-n', dev]).code === 0);
});

afterAll(() => {
  kubectl(['delete', 'namespace', dev, other, '--wait=false']);
  rmSync(tmp, { recursive: true, force: true });
});

describe('a service account bound to view in one namespace', () => {
  const user = () => `system:serviceaccount:${dev}:viewer`;

  it('can list pods in its namespace', () => {
    const r = as(viewerKubeconfig, ['get', 'pods', '-n', dev]);
    expect(r.code).toBe(0);
  });

  it('cannot list pods in another namespace, with upstream\'s message', () => {
    const r = as(viewerKubeconfig, ['get', 'pods', '-n', other]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Error from server (Forbidden): pods is forbidden: User "${user()}" cannot list resource "pods" in API group "" in the namespace "${other}"`);
  });

  it('cannot list pods cluster-wide, with upstream\'s message', () => {
    const r = as(viewerKubeconfig, ['get', 'pods', '-A']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`pods is forbidden: User "${user()}" cannot list resource "pods" in API group "" at the cluster scope`);
  });

  it('cannot create anything, not even in its namespace', () => {
    const r = as(viewerKubeconfig, ['-n', dev, 'create', 'configmap', 'nope']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`configmaps is forbidden: User "${user()}" cannot create resource "configmaps" in API group "" in the namespace "${dev}"`);
    const d = as(viewerKubeconfig, ['-n', dev, 'create', 'deployment', 'nope', '--image=busybox']);
    expect(d.stderr).toContain(`deployments.apps is forbidden: User "${user()}" cannot create resource "deployments" in API group "apps" in the namespace "${dev}"`);
  });

  it('is refused a non-resource path it holds no rule for', () => {
    const r = as(viewerKubeconfig, ['get', '--raw', '/no-such-path']);
    expect(r.stderr).toContain(`forbidden: User "${user()}" cannot get path "/no-such-path"`);
  });

  it('sees itself with kubectl auth whoami', () => {
    const out = as(viewerKubeconfig, ['auth', 'whoami', '-o', 'json'], TYPED.minor);
    expect(out.code).toBe(0);
    const review = JSON.parse(out.stdout);
    expect(review.status.userInfo.username).toBe(user());
    expect(review.status.userInfo.groups).toEqual(expect.arrayContaining(['system:serviceaccounts', `system:serviceaccounts:${dev}`, 'system:authenticated']));
  });

  it('answers kubectl auth can-i as RBAC decides', () => {
    expect(as(viewerKubeconfig, ['auth', 'can-i', 'list', 'pods', '-n', dev], TYPED.minor).stdout.trim()).toBe('yes');
    const no = as(viewerKubeconfig, ['auth', 'can-i', 'create', 'pods', '-n', dev], TYPED.minor);
    expect(no.stdout.trim()).toBe('no');
    expect(no.code).toBe(1);
  });
});

describe('review and token APIs', () => {
  it('lists the rules of a service account with kubectl auth can-i --list --as', async () => {
    await eventually(() => kubectl(['-n', dev, 'get', 'serviceaccount', 'default']).code === 0);
    const out = kubectlOk(['auth', 'can-i', '--list', `--as=system:serviceaccount:${dev}:default`, '-n', dev], TYPED);
    expect(out.split('\n')[0]).toMatch(/^Resources\s+Non-Resource URLs\s+Resource Names\s+Verbs$/);
    expect(out).toMatch(/selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/);
    expect(out).toMatch(/\s\[\/api\]\s+\[\]\s+\[get\]/);
  });

  it('issues a token for the default service account with kubectl create token', async () => {
    await eventually(() => kubectl(['-n', dev, 'get', 'serviceaccount', 'default']).code === 0);
    const token = kubectlOk(['-n', dev, 'create', 'token', 'default', '--duration=15m'], TYPED).trim();
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    expect(claims.sub).toBe(`system:serviceaccount:${dev}:default`);
    expect(claims.exp - claims.iat).toBe(900);
    const who = JSON.parse(as(tokenKubeconfig('default', token), ['auth', 'whoami', '-o', 'json'], TYPED.minor).stdout);
    expect(who.status.userInfo.username).toBe(`system:serviceaccount:${dev}:default`);
  });

  it('rejects a token bound to a pod once the pod is deleted', async () => {
    kubectlOk(['-n', dev, 'run', 'holder', '--image=busybox', '--restart=Never']);
    const uid = kubectlOk(['-n', dev, 'get', 'pod', 'holder', '-o', 'jsonpath={.metadata.uid}']);
    const token = kubectlOk(['-n', dev, 'create', 'token', 'viewer', '--bound-object-kind=Pod', '--bound-object-name=holder', `--bound-object-uid=${uid}`], TYPED).trim();
    const kc = tokenKubeconfig('bound', token);
    expect(as(kc, ['get', 'pods', '-n', dev]).code).toBe(0);
    kubectlOk(['-n', dev, 'delete', 'pod', 'holder', '--grace-period=0', '--force']);
    await eventually(() => kubectl(['-n', dev, 'get', 'pod', 'holder']).code !== 0);
    const r = as(kc, ['get', 'pods', '-n', dev]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Unauthorized');
  });
});

describe('escalation prevention', () => {
  beforeAll(async () => {
    kubectlOk(['-n', dev, 'create', 'serviceaccount', 'escalator']);
    kubectlOk(['-n', dev, 'create', 'rolebinding', 'escalator-admin', '--clusterrole=admin', `--serviceaccount=${dev}:escalator`]);
    const who = `--as=system:serviceaccount:${dev}:escalator`;
    await eventually(() => kubectl(['-n', dev, 'get', 'roles', who]).code === 0);
  });

  it('lets a namespace admin create a role within its own rights', () => {
    kubectlOk(['-n', dev, 'create', 'role', 'pod-reader', '--verb=get,list', '--resource=pods', `--as=system:serviceaccount:${dev}:escalator`]);
  });

  it('refuses a role granting more than its creator holds, with upstream\'s message', () => {
    const r = kubectl(['-n', dev, 'create', 'role', 'too-much', '--verb=list', '--resource=nodes', `--as=system:serviceaccount:${dev}:escalator`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`roles.rbac.authorization.k8s.io "too-much" is forbidden: user "system:serviceaccount:${dev}:escalator"`);
    expect(r.stderr).toContain('is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["list"]}');
  });

  it('refuses a binding to a role with more rights than the binder holds', () => {
    const r = kubectl(['-n', dev, 'create', 'rolebinding', 'grab', '--clusterrole=cluster-admin', `--user=someone`, `--as=system:serviceaccount:${dev}:escalator`]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`rolebindings.rbac.authorization.k8s.io "grab" is forbidden: user "system:serviceaccount:${dev}:escalator"`);
    expect(r.stderr).toContain('is attempting to grant RBAC permissions not currently held:');
  });
});

describe('admission', () => {
  it('refuses new objects in a namespace that does not exist', () => {
    const r = kubectl(['-n', uniqueName('sec-missing'), 'create', 'configmap', 'x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/namespaces "sec-missing-[^"]+" not found/);
  });

  it('mounts the service account token volume into pods', async () => {
    await eventually(() => kubectl(['-n', dev, 'get', 'serviceaccount', 'default']).code === 0);
    kubectlOk(['-n', dev, 'run', 'mounted', '--image=busybox', '--restart=Never']);
    const pod = JSON.parse(kubectlOk(['-n', dev, 'get', 'pod', 'mounted', '-o', 'json']));
    expect(pod.spec.serviceAccountName).toBe('default');
    const volume = pod.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
    expect(volume.name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    expect(volume.projected.sources[0]).toEqual({ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } });
    expect(pod.spec.containers[0].volumeMounts).toContainEqual({ name: volume.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' });
    expect(pod.spec.tolerations).toEqual(expect.arrayContaining([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ]));
  });

  it('keeps a kubelet to its own Node (NodeRestriction)', () => {
    const other = uniqueName('sec-node');
    kubectlOk(['create', '-f', '-'], { stdin: `apiVersion: v1\nkind: Node\nmetadata:\n  name: ${other}\n` });
    try {
      const asKubelet = ['--as', 'system:node:sec-impostor', '--as-group', 'system:nodes'];
      const label = kubectl(['label', 'node', other, 'stolen=yes', ...asKubelet]);
      expect(label.code).toBe(1);
      expect(label.stderr.trim()).toBe(`Error from server (Forbidden): nodes "${other}" is forbidden: node "sec-impostor" is not allowed to modify node "${other}"`);
    } finally {
      kubectl(['delete', 'node', other, '--wait=false']);
    }
  });
});
