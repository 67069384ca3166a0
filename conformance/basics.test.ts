// Everyday kubectl against the cluster: CRUD from YAML, output formats, selectors, watch, upstream error texts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectl, kubectlBackground, kubectlOk, eventually, uniqueName } from './kubectl.ts';

const ns = uniqueName('basics');

const manifests = `
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  labels: { app: web, tier: front }
data:
  color: blue
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: other-config
  labels: { app: db }
data:
  size: "3"
---
apiVersion: v1
kind: Secret
metadata:
  name: app-secret
  labels: { app: web }
type: Opaque
stringData:
  password: hunter2
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: myapp
  labels: { app: web }
spec:
  replicas: 3
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers:
      - name: web
        image: localhost/busybox:latest
        command: ["httpd", "-f", "-p", "80"]
`;

beforeAll(() => {
  kubectlOk(['create', 'namespace', ns]);
  kubectlOk(['apply', '-n', ns, '-f', '-'], { stdin: manifests });
});

afterAll(() => {
  kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe.each([27, 33])('kubectl 1.%i', (minor) => {
  it('lists the system namespaces', () => {
    const out = kubectlOk(['get', 'ns', '-o', 'name'], { minor });
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) expect(out).toContain(`namespace/${name}`);
  });

  it('prints the created objects as tables with upstream headers', () => {
    const cms = kubectlOk(['get', 'configmaps', '-n', ns], { minor });
    expect(cms.split('\n')[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(cms).toMatch(/app-config\s+1\s+\d+s/);
    const secrets = kubectlOk(['get', 'secrets', '-n', ns], { minor });
    expect(secrets.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+DATA\s+AGE$/);
    expect(secrets).toMatch(/app-secret\s+Opaque\s+1/);
    const deploy = kubectlOk(['get', 'deploy', '-n', ns], { minor });
    expect(deploy.split('\n')[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/);
    expect(deploy).toMatch(/myapp\s+\d\/3\s+\d\s+\d\s+\d+s/);
  });

  it('gets one object as yaml and json with server-set metadata', () => {
    const yamlOut = kubectlOk(['get', 'cm', 'app-config', '-n', ns, '-o', 'yaml'], { minor });
    expect(yamlOut).toMatch(/^apiVersion: v1$/m);
    expect(yamlOut).toMatch(/^kind: ConfigMap$/m);
    expect(yamlOut).toMatch(/color: blue/);
    const obj = JSON.parse(kubectlOk(['get', 'deployment', 'myapp', '-n', ns, '-o', 'json'], { minor }));
    expect(obj.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(obj.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(obj.metadata.generation).toBe(1);
    expect(obj.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // server-side defaults as upstream
    expect(obj.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
    expect(obj.spec.revisionHistoryLimit).toBe(10);
    expect(obj.spec.template.spec.restartPolicy).toBe('Always');
  });

  it('filters by label and by field selectors', () => {
    expect(kubectlOk(['get', 'cm', '-n', ns, '-l', 'app=web', '-o', 'name'], { minor }).trim()).toBe('configmap/app-config');
    expect(kubectlOk(['get', 'cm', '-n', ns, '-l', 'app in (db)', '-o', 'name'], { minor }).trim()).toBe('configmap/other-config');
    expect(kubectlOk(['get', 'cm', '-n', ns, '-l', 'app,app!=db', '-o', 'name'], { minor }).trim()).toBe('configmap/app-config');
    expect(kubectlOk(['get', 'cm', '-n', ns, '--field-selector', 'metadata.name=other-config', '-o', 'name'], { minor }).trim()).toBe('configmap/other-config');
    expect(kubectlOk(['get', 'secrets', '-n', ns, '--field-selector', 'type=Opaque', '-o', 'name'], { minor }).trim()).toBe('secret/app-secret');
  });

  it('answers NotFound with upstream text', () => {
    const r = kubectl(['get', 'cm', 'does-not-exist', '-n', ns], { minor });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('Error from server (NotFound): configmaps "does-not-exist" not found');
    const d = kubectl(['get', 'deployment', 'nope', '-n', ns], { minor });
    expect(d.stderr.trim()).toBe('Error from server (NotFound): deployments.apps "nope" not found');
  });

  it('answers AlreadyExists with upstream text', () => {
    const r = kubectl(['create', 'configmap', 'app-config', '-n', ns], { minor });
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('error: failed to create configmap: configmaps "app-config" already exists');
    const y = kubectl(['create', '-n', ns, '-f', '-'], { minor, stdin: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-config\n' });
    expect(y.stderr.trim()).toBe('Error from server (AlreadyExists): error when creating "STDIN": configmaps "app-config" already exists');
  });

  it('creates, lists and deletes a namespace', () => {
    const name = uniqueName(`ns${minor}`);
    expect(kubectlOk(['create', 'namespace', name], { minor }).trim()).toBe(`namespace/${name} created`);
    expect(kubectlOk(['get', 'namespace', name, '-o', 'jsonpath={.status.phase}'], { minor })).toBe('Active');
    expect(kubectlOk(['delete', 'namespace', name, '--wait=false'], { minor }).trim()).toBe(`namespace "${name}" deleted`);
  });

  it('refuses to delete the system namespaces, even as a dry run', () => {
    for (const name of ['default', 'kube-system', 'kube-public']) {
      const r = kubectl(['delete', 'namespace', name, '--dry-run=server'], { minor });
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(`Error from server (Forbidden): namespaces "${name}" is forbidden: this namespace may not be deleted`);
    }
  });

  it('rejects an invalid name with upstream 422 text', () => {
    const r = kubectl(['create', 'configmap', 'Bad_Name', '-n', ns], { minor });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of');
  });
});

describe('watch', () => {
  it('kubectl get cm -w prints a change made by another client', async () => {
    const watch = kubectlBackground(['get', 'cm', '-n', ns, '-w']);
    try {
      await eventually(() => watch.output().includes('app-config'), 20_000);
      kubectlOk(['create', 'configmap', 'watched-later', '-n', ns, '--from-literal=a=b']);
      await eventually(() => /watched-later\s+1\s+/.test(watch.output()), 20_000);
    } finally {
      watch.stop();
    }
  });
});

describe('deletion', () => {
  it('deletes from the same YAML and then the objects are gone', () => {
    const name = uniqueName('del');
    kubectlOk(['create', 'configmap', name, '-n', ns]);
    expect(kubectlOk(['delete', 'configmap', name, '-n', ns]).trim()).toBe(`configmap "${name}" deleted`);
    expect(kubectl(['get', 'configmap', name, '-n', ns]).code).toBe(1);
  });
});
