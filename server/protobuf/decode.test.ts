import { describe, expect, it } from 'vitest';
import { decodeKubeProtobuf, decodeMessage } from './decode.ts';
import { parseMessage } from './schema/notation.ts';
import { ProtobufDecodeError } from './wire.ts';
import { bytes, double, entry, kube, msg, str, varintBytes, vint } from './test-encode.ts';

const meta = (...parts: Buffer[]) => msg(1, ...parts);
const time = (no: number, seconds: number, nanos = 0) => msg(no, vint(1, seconds), vint(2, nanos));

describe('decodeKubeProtobuf envelope', () => {
  it('takes apiVersion and kind from runtime.Unknown and puts them first', () => {
    const obj = decodeKubeProtobuf(kube('v1', 'Namespace', meta(str(1, 'x'))));
    expect(Object.keys(obj).slice(0, 2)).toEqual(['apiVersion', 'kind']);
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', creationTimestamp: null }, spec: {}, status: {} });
  });

  it('rejects a body without the k8s\\0 prefix with upstream\'s message', () => {
    expect(() => decodeKubeProtobuf(Buffer.from('{"kind":"Pod"}'))).toThrow('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]');
  });

  it('falls back to the expected kind when the envelope has none', () => {
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), bytes(2, meta(str(1, 'x')))]);
    expect(decodeKubeProtobuf(body, { apiVersion: 'v1', kind: 'ServiceAccount' })).toMatchObject({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'x' } });
    expect(() => decodeKubeProtobuf(body)).toThrow(/Kind' is missing/);
  });

  it('fails as unsupported, naming the message, for a kind outside the schema', () => {
    try {
      decodeKubeProtobuf(kube('example.com/v1', 'Widget'));
      expect.unreachable();
    } catch (e: unknown) {
      expect(e).toBeInstanceOf(ProtobufDecodeError);
      expect((e as ProtobufDecodeError).unsupported).toBe(true);
      expect((e as Error).message).toContain('example.com/v1, Kind=Widget');
    }
    expect(() => decodeKubeProtobuf(kube('apps/v1beta1', 'Deployment'))).toThrow(/message apps\.v1beta1\.Deployment/);
  });

  it('maps DeleteOptions of any group version to meta/v1 DeleteOptions', () => {
    expect(decodeKubeProtobuf(kube('apps/v1', 'DeleteOptions', vint(1, 0), str(4, 'Foreground'), str(5, 'All')))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
  });

  it('reads an envelope whose raw part is JSON', () => {
    const body = Buffer.concat([Buffer.from('k8s\0', 'latin1'), msg(1, str(1, 'v1'), str(2, 'ConfigMap')), str(2, '{"data":{"a":"b"}}'), str(4, 'application/json')]);
    expect(decodeKubeProtobuf(body)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', data: { a: 'b' } });
  });

  it('rejects truncated data as malformed (not unsupported)', () => {
    const good = kube('v1', 'Namespace', meta(str(1, 'x')));
    try {
      decodeKubeProtobuf(good.subarray(0, good.length - 6));
      expect.unreachable();
    } catch (e: unknown) {
      expect((e as ProtobufDecodeError).unsupported).toBe(false);
    }
  });
});

describe('special encodings', () => {
  it('Time: seconds as RFC 3339 (nanoseconds dropped), empty message and absence as null', () => {
    const obj = decodeKubeProtobuf(kube('v1', 'ConfigMap', meta(str(1, 'c'), time(8, 1_700_000_000, 999), msg(9))));
    expect(obj.metadata).toEqual({ name: 'c', creationTimestamp: '2023-11-14T22:13:20Z', deletionTimestamp: null });
    expect(decodeKubeProtobuf(kube('v1', 'ConfigMap', meta(msg(8)))).metadata).toEqual({ creationTimestamp: null });
  });

  it('MicroTime: six fractional digits; a nil pointer is omitted, a zero value field is null', () => {
    const lease = decodeKubeProtobuf(kube('coordination.k8s.io/v1', 'Lease', msg(2, time(3, 1_700_000_000, 5_000_700))));
    expect(lease.spec).toEqual({ acquireTime: '2023-11-14T22:13:20.005000Z' });
    const event = decodeKubeProtobuf(kube('v1', 'Event', msg(11, vint(1, 2), time(2, 1_700_000_000, 1_000))));
    expect(event).toMatchObject({ eventTime: null, series: { count: 2, lastObservedTime: '2023-11-14T22:13:20.000001Z' } });
  });

  it('Duration: nanoseconds printed as Go prints a time.Duration', () => {
    const spec = parseMessage('test.v1.Durations', 'a=1:dur b?=2:*dur c=3:dur');
    expect(decodeMessage(spec, Buffer.concat([msg(1, vint(1, 90_000_000_000)), msg(2, vint(1, 1_500_000))]), 'test')).toEqual({ a: '1m30s', b: '1.5ms', c: '0s' });
  });

  it('IntOrString: an int, a string, and the zero value of a non-pointer field', () => {
    const svc = decodeKubeProtobuf(kube('v1', 'Service', msg(2, msg(1, vint(3, 80), msg(4, vint(1, 0), vint(2, 8080), str(3, ''))), msg(1, vint(3, 81), msg(4, vint(1, 1), vint(2, 0), str(3, 'http'))), msg(1, vint(3, 82)))));
    expect((svc.spec as { ports: unknown[] }).ports).toEqual([
      { port: 80, targetPort: 8080 },
      { port: 81, targetPort: 'http' },
      { port: 82, targetPort: 0 },
    ]);
    const pdb = decodeKubeProtobuf(kube('policy/v1', 'PodDisruptionBudget', msg(2, msg(1, vint(1, 1), str(3, '50%')))));
    expect(pdb.spec).toEqual({ minAvailable: '50%' });
  });

  it('Quantity: the string carried in the message; map values sorted by key', () => {
    const quota = decodeKubeProtobuf(kube('v1', 'ResourceQuota', msg(2, entry(1, 'pods', msg(2, str(1, '2'))), entry(1, 'limits.cpu', msg(2, str(1, '500m'))))));
    expect(quota.spec).toEqual({ hard: { 'limits.cpu': '500m', pods: '2' } });
    expect(Object.keys((quota.spec as { hard: object }).hard)).toEqual(['limits.cpu', 'pods']);
  });

  it('Quantity: a malformed string is rejected', () => {
    expect(() => decodeKubeProtobuf(kube('v1', 'ResourceQuota', msg(2, entry(1, 'pods', msg(2, str(1, 'lots'))))))).toThrow(/quantities must match/);
  });

  it('[]byte map values are base64; a present empty value is ""', () => {
    const secret = decodeKubeProtobuf(kube('v1', 'Secret', entry(2, 'k', bytes(2, Buffer.from('v\u0000\u00ff', 'latin1'))), entry(2, 'empty', bytes(2, Buffer.alloc(0))), entry(2, 'missing'), str(3, 'Opaque')));
    expect(secret).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { creationTimestamp: null }, data: { empty: '', k: 'dgD/', missing: '' }, type: 'Opaque' });
  });

  it('RawExtension: raw JSON inline; absent is null', () => {
    const rev = decodeKubeProtobuf(kube('apps/v1', 'ControllerRevision', msg(2, bytes(1, Buffer.from('{"spec":{"x":1}}'))), vint(3, 4)));
    expect(rev).toMatchObject({ data: { spec: { x: 1 } }, revision: 4 });
    expect(decodeKubeProtobuf(kube('apps/v1', 'ControllerRevision', vint(3, 1))).data).toBeNull();
  });

  it('RawExtension: nested Kubernetes protobuf is decoded too', () => {
    const inner = kube('v1', 'ConfigMap', entry(2, 'a', str(2, 'b')));
    const rev = decodeKubeProtobuf(kube('apps/v1', 'ControllerRevision', msg(2, bytes(1, inner)), vint(3, 1)));
    expect(rev.data).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { creationTimestamp: null }, data: { a: 'b' } });
  });

  it('FieldsV1: raw JSON inside managedFields', () => {
    const cm = decodeKubeProtobuf(kube('v1', 'ConfigMap', meta(msg(17, str(1, 'kubectl'), str(2, 'Update'), str(3, 'v1'), time(4, 1_700_000_000), str(6, 'FieldsV1'), msg(7, bytes(1, Buffer.from('{"f:data":{}}')))))));
    expect((cm.metadata as { managedFields: unknown }).managedFields).toEqual([
      { manager: 'kubectl', operation: 'Update', apiVersion: 'v1', time: '2023-11-14T22:13:20Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } },
    ]);
  });

  it('ExtraValue: a map of wrapper messages {repeated string items = 1}', () => {
    const sar = decodeKubeProtobuf(kube('authorization.k8s.io/v1', 'SubjectAccessReview', msg(2, str(3, 'u'), entry(5, 'scopes', msg(2, str(1, 'a'), str(1, 'b'))), entry(5, 'none', msg(2)))));
    expect(sar.spec).toEqual({ user: 'u', extra: { none: null, scopes: ['a', 'b'] } });
  });

  it('double: a fixed64 field', () => {
    const spec = parseMessage('test.v1.Doubles', 'x=1:f64 y?=2:f64 z?=3:[]f64');
    expect(decodeMessage(spec, Buffer.concat([double(1, 0.25), double(3, 1.5), double(3, -2)]), 'test')).toEqual({ x: 0.25, z: [1.5, -2] });
  });
});

describe('Go JSON omission rules', () => {
  it('keeps a zero held by a pointer and drops a zero omitempty value', () => {
    const d = decodeKubeProtobuf(kube('apps/v1', 'Deployment', msg(2, vint(1, 0), vint(5, 0), vint(7, false))));
    expect(d.spec).toEqual({ replicas: 0, selector: null, template: { metadata: { creationTimestamp: null }, spec: { containers: null } }, strategy: {} });
    expect(d.status).toEqual({});
  });

  it('writes non-omitempty zero strings and nil lists as "" and null', () => {
    const role = decodeKubeProtobuf(kube('rbac.authorization.k8s.io/v1', 'RoleBinding', msg(3, str(1, ''), str(2, 'Role'), str(3, 'r'))));
    expect(role).toEqual({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { creationTimestamp: null }, roleRef: { apiGroup: '', kind: 'Role', name: 'r' } });
    const rule = decodeKubeProtobuf(kube('rbac.authorization.k8s.io/v1', 'Role', msg(2, str(3, 'pods'))));
    expect(rule.rules).toEqual([{ verbs: null, resources: ['pods'] }]);
  });

  it('inlines embedded structs (Volume ← VolumeSource, ConfigMapVolumeSource ← LocalObjectReference)', () => {
    const pod = decodeKubeProtobuf(kube('v1', 'Pod', msg(2, msg(1, str(1, 'v'), msg(2, msg(19, msg(1, str(1, 'cm')), vint(3, 420)))))));
    expect((pod.spec as { volumes: unknown }).volumes).toEqual([{ name: 'v', configMap: { name: 'cm', defaultMode: 420 } }]);
  });

  it('keeps a pointer to an empty struct as {}', () => {
    const pod = decodeKubeProtobuf(kube('v1', 'Pod', msg(2, msg(14))));
    expect(pod.spec).toMatchObject({ securityContext: {} });
  });
});

describe('wire details', () => {
  it('reads negative int32 and int64 sign-extended to ten bytes', () => {
    const pod = decodeKubeProtobuf(kube('v1', 'Pod', msg(2, vint(25, -5), msg(14, vint(2, -1)))));
    expect(pod.spec).toMatchObject({ priority: -5, securityContext: { runAsUser: -1 } });
  });

  it('reads repeated ints both unpacked and packed', () => {
    const packed = bytes(4, Buffer.concat([varintBytes(3), varintBytes(4)]));
    const pod = decodeKubeProtobuf(kube('v1', 'Pod', msg(2, msg(14, vint(4, 1), vint(4, 2), packed))));
    expect(pod.spec).toMatchObject({ securityContext: { supplementalGroups: [1, 2, 3, 4] } });
  });

  it('skips unknown field numbers of every wire type', () => {
    const unknown = Buffer.concat([vint(99, 7), str(98, 'x'), double(97, 1), Buffer.from([0xb5, 0x06, 1, 2, 3, 4])]);
    expect(decodeKubeProtobuf(kube('v1', 'ServiceAccount', meta(str(1, 'sa'), unknown), unknown))).toEqual({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa', creationTimestamp: null } });
  });

  it('merges repeated occurrences of an embedded message and lets the last scalar win', () => {
    const obj = decodeKubeProtobuf(kube('v1', 'ConfigMap', meta(str(1, 'a'), entry(11, 'x', str(2, '1'))), meta(str(1, 'b'), entry(11, 'y', str(2, '2')))));
    expect(obj.metadata).toEqual({ name: 'b', creationTimestamp: null, labels: { x: '1', y: '2' } });
  });

  it('rejects a known field sent with the wrong wire type', () => {
    expect(() => decodeKubeProtobuf(kube('v1', 'Namespace', meta(vint(1, 3))))).toThrow(/wire type 0 does not fit field 1/);
  });

  it('keeps Eviction\'s nested DeleteOptions with its preconditions', () => {
    const ev = decodeKubeProtobuf(kube('policy/v1', 'Eviction', meta(str(1, 'p'), str(3, 'ns')), msg(2, vint(1, 30), msg(2, str(1, 'uid-1')))));
    expect(ev).toEqual({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'p', namespace: 'ns', creationTimestamp: null }, deleteOptions: { gracePeriodSeconds: 30, preconditions: { uid: 'uid-1' } } });
  });
});
