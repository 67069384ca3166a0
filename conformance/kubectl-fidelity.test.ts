// kubectl fidelity with real kubectl 1.27/1.30/1.33: apply (client- and server-side), validation, dry-run, edit, patch and friends.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, kubeconfigPath, kubectl, kubectlBinary, kubectlOk, uniqueName } from './kubectl.ts';

const MINORS = [27, 30, 33] as const;

function deployment(name: string, opts: { replicas: number; image: string; labels: Record<string, string>; env: Record<string, string>; extraContainer?: boolean; unknown?: boolean }): string {
  const labels = Object.entries(opts.labels)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const env = Object.entries(opts.env)
    .map(([k, v]) => `{name: ${k}, value: "${v}"}`)
    .join(', ');
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {${labels}}
spec:
  replicas: ${opts.replicas}
${opts.unknown ? '  foo: bar\n' : ''}  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: main
        image: ${opts.image}
        env: [${env}]
${opts.extraContainer ? '      - name: side\n        image: localhost/busybox:latest\n' : ''}`;
}

interface Deployment {
  metadata: { labels?: Record<string, string>; resourceVersion: string; generation: number; annotations?: Record<string, string> };
  spec: { replicas: number; template: { spec: { containers: { name: string; image: string; env?: { name: string; value: string }[] }[] } } };
}

describe.each(MINORS)('kubectl 1.%i', (minor) => {
  const ns = uniqueName(`fidelity-${minor}`);
  const k = (args: readonly string[], stdin?: string) => kubectl(['-n', ns, ...args], { minor, stdin });
  const ok = (args: readonly string[], stdin?: string) => kubectlOk(['-n', ns, ...args], { minor, stdin });
  const getDeploy = (name: string): Deployment => JSON.parse(ok(['get', 'deployment', name, '-o', 'json'])) as Deployment;

  beforeAll(() => {
    kubectlOk(['create', 'namespace', ns], { minor });
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', ns, '--wait=false'], { minor });
  });

  it('apply -f twice updates changed fields and removes the dropped ones (client-side apply)', () => {
    ok(['apply', '-f', '-'], deployment('csa', { replicas: 2, image: 'localhost/busybox:1', labels: { app: 'csa', tier: 'fe' }, env: { A: '1', B: '2' }, extraContainer: true }));
    ok(['apply', '-f', '-'], deployment('csa', { replicas: 3, image: 'localhost/busybox:2', labels: { app: 'csa' }, env: { A: '1' } }));
    const d = getDeploy('csa');
    expect(d.metadata.labels).toEqual({ app: 'csa' });
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.template.spec.containers.map((c) => [c.name, c.image, c.env])).toEqual([['main', 'localhost/busybox:2', [{ name: 'A', value: '1' }]]]);
    expect(d.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain('"replicas":3');
  });

  it('apply --server-side with two field managers gives the upstream conflict, and --force-conflicts takes over', () => {
    ok(['apply', '--server-side', '--field-manager=alpha', '-f', '-'], deployment('ssa', { replicas: 2, image: 'localhost/busybox:1', labels: { app: 'ssa' }, env: { A: '1' } }));
    const conflict = k(['apply', '--server-side', '--field-manager=beta', '-f', '-'], deployment('ssa', { replicas: 5, image: 'localhost/busybox:1', labels: { app: 'ssa' }, env: { A: '1' } }));
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toContain('Apply failed with 1 conflict: conflict with "alpha": .spec.replicas');
    expect(getDeploy('ssa').spec.replicas).toBe(2);
    // Applying the same value is shared ownership, not a conflict.
    ok(['apply', '--server-side', '--field-manager=beta', '-f', '-'], deployment('ssa', { replicas: 2, image: 'localhost/busybox:1', labels: { app: 'ssa' }, env: { A: '1' } }));
    ok(['apply', '--server-side', '--field-manager=beta', '--force-conflicts', '-f', '-'], deployment('ssa', { replicas: 5, image: 'localhost/busybox:1', labels: { app: 'ssa' }, env: { A: '1' } }));
    expect(getDeploy('ssa').spec.replicas).toBe(5);
    const managed = JSON.parse(ok(['get', 'deployment', 'ssa', '-o', 'json', '--show-managed-fields'])) as { metadata: { managedFields: { manager: string; operation: string }[] } };
    expect(managed.metadata.managedFields.filter((m) => m.operation === 'Apply').map((m) => m.manager).sort()).toEqual(['alpha', 'beta']);
  });

  it('apply --server-side after a client-side apply conflicts with kubectl-client-side-apply', () => {
    ok(['apply', '-f', '-'], deployment('mixed', { replicas: 2, image: 'localhost/busybox:1', labels: { app: 'mixed' }, env: { A: '1' } }));
    const r = k(['apply', '--server-side', '--field-manager=other', '-f', '-'], deployment('mixed', { replicas: 4, image: 'localhost/busybox:1', labels: { app: 'mixed' }, env: { A: '1' } }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  });

  it('records managedFields for ordinary writes under the kubectl command names', () => {
    ok(['create', 'configmap', 'managed', '--from-literal=a=b']);
    const cm = JSON.parse(ok(['get', 'configmap', 'managed', '-o', 'json', '--show-managed-fields'])) as { metadata: { managedFields: { manager: string; operation: string; fieldsV1: unknown }[] } };
    expect(cm.metadata.managedFields).toEqual([expect.objectContaining({ manager: 'kubectl-create', operation: 'Update', fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } } })]);
  });

  it('diff and --dry-run=server change nothing', () => {
    ok(['apply', '-f', '-'], deployment('dry', { replicas: 2, image: 'localhost/busybox:1', labels: { app: 'dry' }, env: { A: '1' } }));
    const before = getDeploy('dry');
    const changed = deployment('dry', { replicas: 9, image: 'localhost/busybox:1', labels: { app: 'dry' }, env: { A: '1' } });
    const diff = k(['diff', '-f', '-'], changed);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^-\s+replicas: 2$/m);
    expect(diff.stdout).toMatch(/^\+\s+replicas: 9$/m);
    expect(ok(['apply', '--dry-run=server', '-f', '-'], changed)).toContain('(server dry run)');
    expect(ok(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-f', '-'], changed)).toContain('(server dry run)');
    expect(ok(['scale', 'deployment', 'dry', '--replicas=7', '--dry-run=server'])).toContain('(server dry run)');
    expect(ok(['label', 'deployment', 'dry', 'x=y', '--dry-run=server'])).toContain('(server dry run)');
    expect(ok(['delete', 'deployment', 'dry', '--dry-run=server'])).toContain('(server dry run)');
    expect(ok(['create', 'configmap', 'never', '--from-literal=a=b', '--dry-run=server'])).toContain('(server dry run)');
    // The deployment controller may write status meanwhile: compare what the dry runs would have changed.
    const after = getDeploy('dry');
    expect(after.metadata.generation).toBe(before.metadata.generation);
    expect(after.metadata.labels).toEqual(before.metadata.labels);
    expect(after.spec).toEqual(before.spec);
    expect(after.spec.replicas).toBe(2);
    expect(k(['get', 'configmap', 'never']).code).not.toBe(0);
  });

  it('create -f with an unknown field fails under --validate=strict and warns under --validate=warn', () => {
    const manifest = deployment('unknown', { replicas: 1, image: 'localhost/busybox:1', labels: { app: 'unknown' }, env: { A: '1' }, unknown: true });
    const strict = k(['create', '--validate=strict', '-f', '-'], manifest);
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain(
      'Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo"',
    );
    const warn = k(['create', '--validate=warn', '-f', '-'], manifest);
    expect(warn.code).toBe(0);
    expect(warn.stderr).toContain('Warning: unknown field "spec.foo"');
    expect(JSON.stringify(getDeploy('unknown').spec)).not.toContain('foo');
  });

  it('edit with EDITOR set to a script saves the edited object', () => {
    ok(['create', 'configmap', 'edited', '--from-literal=color=blue']);
    const dir = mkdtempSync(join(tmpdir(), 'kedit-'));
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/color: blue/color: green/" "$1"\n', { mode: 0o755 });
    const r = spawnSync(kubectlBinary(minor), ['-n', ns, 'edit', 'configmap', 'edited'], { env: { ...process.env, KUBECONFIG: kubeconfigPath(), EDITOR: editor, KUBE_EDITOR: editor }, encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('configmap/edited edited');
    expect(ok(['get', 'configmap', 'edited', '-o', 'jsonpath={.data.color}'])).toBe('green');
    const managers = ok(['get', 'configmap', 'edited', '-o', 'jsonpath={.metadata.managedFields[*].manager}', '--show-managed-fields']);
    expect(managers.split(' ')).toContain('kubectl-edit');
  });

  it('patch --type strategic|merge|json, label, annotate, set image and scale', () => {
    ok(['apply', '-f', '-'], deployment('ops', { replicas: 1, image: 'localhost/busybox:1', labels: { app: 'ops' }, env: { A: '1', B: '2' } }));
    ok(['patch', 'deployment', 'ops', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"main","env":[{"name":"B","$patch":"delete"},{"name":"C","value":"3"}]}]}}}}']);
    let d = getDeploy('ops');
    // Without $setElementOrder upstream places new items by its merge-sort rules: compare as a set.
    expect([...d.spec.template.spec.containers[0]!.env!].sort((a, b) => a.name.localeCompare(b.name))).toEqual([{ name: 'A', value: '1' }, { name: 'C', value: '3' }]);
    ok(['patch', 'deployment', 'ops', '--type', 'merge', '-p', '{"metadata":{"labels":{"merged":"yes"}}}']);
    ok(['patch', 'deployment', 'ops', '--type', 'json', '-p', '[{"op":"replace","path":"/spec/replicas","value":2}]']);
    expect(ok(['label', 'deployment', 'ops', 'team=blue'])).toContain('deployment.apps/ops labeled');
    // kubectl 1.27 prints "annotate" (its own message, not the server's).
    expect(ok(['annotate', 'deployment', 'ops', 'note=hi'])).toMatch(/^deployment\.apps\/ops annotated?$/m);
    expect(ok(['set', 'image', 'deployment/ops', 'main=localhost/busybox:3'])).toContain('deployment.apps/ops image updated');
    expect(ok(['scale', 'deployment', 'ops', '--replicas=3'])).toContain('deployment.apps/ops scaled');
    d = getDeploy('ops');
    expect(d.metadata.labels).toEqual({ app: 'ops', merged: 'yes', team: 'blue' });
    expect(d.metadata.annotations?.note).toBe('hi');
    expect(d.spec.template.spec.containers[0]!.image).toBe('localhost/busybox:3');
    expect(d.spec.replicas).toBe(3);
    const bad = k(['patch', 'deployment', 'ops', '--type', 'strategic', '-p', '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('does not contain declared merge key: name');
  });

  it('describe shows the events of an object', () => {
    ok(['create', 'configmap', 'described', '--from-literal=a=b']);
    const uid = ok(['get', 'configmap', 'described', '-o', 'jsonpath={.metadata.uid}']);
    ok(['create', '-f', '-'], `apiVersion: v1
kind: Event
metadata: {name: described.1}
involvedObject: {apiVersion: v1, kind: ConfigMap, name: described, namespace: ${ns}, uid: ${uid}}
reason: Tested
message: described by the fidelity suite
type: Normal
source: {component: fidelity}
firstTimestamp: "2024-01-01T00:00:00Z"
lastTimestamp: "2024-01-01T00:00:00Z"
count: 1
`);
    const out = ok(['describe', 'configmap', 'described']);
    expect(out).toMatch(/^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/m);
    expect(out).toMatch(/Normal\s+Tested\s+\S+\s+fidelity\s+described by the fidelity suite/);
  });

  it('wait --for=condition and --for=delete', async () => {
    ok(['apply', '-f', '-'], deployment('waited', { replicas: 0, image: 'localhost/busybox:1', labels: { app: 'waited' }, env: { A: '1' } }));
    expect(ok(['wait', '--for=condition=Progressing', 'deployment/waited', '--timeout=60s'])).toContain('condition met');
    ok(['create', 'configmap', 'gone', '--from-literal=a=b']);
    k(['delete', 'configmap', 'gone', '--wait=false']);
    const r = k(['wait', '--for=delete', 'configmap/gone', '--timeout=30s']);
    expect(r.code === 0 || /not found/.test(r.stderr)).toBe(true);
    await eventually(() => k(['get', 'configmap', 'gone']).code !== 0);
  });

  it('api-resources and api-versions list the served resources', () => {
    const resources = ok(['api-resources']);
    expect(resources.split('\n')[0]).toMatch(/^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND$/);
    expect(resources).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
    expect(resources).toMatch(/^pods\s+po\s+v1\s+true\s+Pod$/m);
    const versions = ok(['api-versions']).split('\n');
    expect(versions).toContain('apps/v1');
    expect(versions).toContain('v1');
  });

  it.each([
    [['create', 'deployment', 'made', '--image=localhost/busybox:latest'], 'deployment.apps/made created'],
    [['create', 'configmap', 'made', '--from-literal=a=b'], 'configmap/made created'],
    [['create', 'secret', 'generic', 'made', '--from-literal=a=b'], 'secret/made created'],
    [['create', 'serviceaccount', 'made'], 'serviceaccount/made created'],
    [['create', 'role', 'made', '--verb=get', '--resource=pods'], 'role.rbac.authorization.k8s.io/made created'],
    [['create', 'rolebinding', 'made', '--role=made', '--user=bob'], 'rolebinding.rbac.authorization.k8s.io/made created'],
  ])('%j prints %s', (args, want) => {
    expect(ok(args).trim()).toBe(want);
  });

  it('create namespace', () => {
    const name = `${ns}-extra`;
    expect(kubectlOk(['create', 'namespace', name], { minor }).trim()).toBe(`namespace/${name} created`);
    kubectl(['delete', 'namespace', name, '--wait=false'], { minor });
  });
});
