// Tables for the binder's pure decisions: matching a claim to a volume, the objects a binding writes, and the volume sync.
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../runtime/index.ts';
import { claimBoundTo, claimStatusFor, findBestMatch, volumeAction, volumeBoundTo, volumeMismatch, volumeUnbound } from './logic.ts';

const specOf = (o: KubeObject): Record<string, unknown> => (o.spec ?? {}) as Record<string, unknown>;

type PVOpts = { size?: string; modes?: string[]; cls?: string; phase?: string; labels?: Record<string, string>; mode?: string; claimRef?: Record<string, string>; deleting?: boolean; annotations?: Record<string, string>; policy?: string };

function pv(name: string, o: PVOpts = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, labels: o.labels, annotations: o.annotations, resourceVersion: '7', ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
    spec: {
      capacity: { storage: o.size ?? '1Gi' },
      accessModes: o.modes ?? ['ReadWriteOnce'],
      hostPath: { path: `/tmp/${name}` },
      volumeMode: o.mode ?? 'Filesystem',
      persistentVolumeReclaimPolicy: o.policy ?? 'Retain',
      ...(o.cls !== undefined ? { storageClassName: o.cls } : {}),
      ...(o.claimRef ? { claimRef: o.claimRef } : {}),
    },
    status: { phase: o.phase ?? 'Available' },
  };
}

type PVCOpts = { size?: string; modes?: string[]; cls?: string; selector?: unknown; mode?: string; volumeName?: string; annotations?: Record<string, string> };

function pvc(name: string, o: PVCOpts = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, resourceVersion: '42', annotations: o.annotations },
    spec: {
      accessModes: o.modes ?? ['ReadWriteOnce'],
      resources: { requests: { storage: o.size ?? '500Mi' } },
      volumeMode: o.mode ?? 'Filesystem',
      ...(o.cls !== undefined ? { storageClassName: o.cls } : {}),
      ...(o.selector !== undefined ? { selector: o.selector } : {}),
      ...(o.volumeName ? { volumeName: o.volumeName } : {}),
    },
    status: { phase: 'Pending' },
  };
}

describe('findBestMatch', () => {
  it.each<[string, KubeObject, KubeObject[], string | undefined]>([
    ['picks the smallest volume whose capacity covers the request', pvc('c', { size: '2Gi' }), [pv('big', { size: '10Gi' }), pv('small', { size: '1Gi' }), pv('fit', { size: '3Gi' }), pv('exact', { size: '2Gi' })], 'exact'],
    ['compares quantities across units', pvc('c', { size: '1500M' }), [pv('a', { size: '1Gi' }), pv('b', { size: '2G' }), pv('c', { size: '1600Mi' })], 'c'],
    ['finds nothing when every volume is too small', pvc('c', { size: '5Gi' }), [pv('a', { size: '1Gi' })], undefined],
    ['requires the same storage class', pvc('c', { cls: 'fast' }), [pv('slow', { cls: 'slow' }), pv('none'), pv('fast', { cls: 'fast', size: '5Gi' })], 'fast'],
    ['matches "" only with volumes without a class', pvc('c', { cls: '' }), [pv('classy', { cls: 'fast', size: '1Gi' }), pv('plain', { size: '2Gi' })], 'plain'],
    ['treats an absent class as ""', pvc('c'), [pv('plain', { cls: '' })], 'plain'],
    ['honours the beta class annotation over spec.storageClassName', { ...pvc('c', { cls: 'spec-class' }), metadata: { name: 'c', namespace: 'ns', annotations: { 'volume.beta.kubernetes.io/storage-class': 'ann' } } }, [pv('a', { cls: 'spec-class' }), pv('b', { cls: 'ann' })], 'b'],
    ['requires the claim access modes to be a subset of the volume', pvc('c', { modes: ['ReadWriteMany'] }), [pv('rwo'), pv('rwx', { modes: ['ReadWriteOnce', 'ReadWriteMany'], size: '9Gi' })], 'rwx'],
    ['prefers the volume with fewer access modes over a smaller one', pvc('c'), [pv('many', { modes: ['ReadWriteOnce', 'ReadOnlyMany'], size: '1Gi' }), pv('one', { size: '5Gi' })], 'one'],
    ['skips volumes whose labels the selector rejects', pvc('c', { selector: { matchLabels: { tier: 'gold' } } }), [pv('plain', { size: '1Gi' }), pv('gold', { labels: { tier: 'gold' }, size: '2Gi' })], 'gold'],
    ['applies selector expressions', pvc('c', { selector: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } }), [pv('a', { labels: { zone: 'a' } }), pv('b', { labels: { zone: 'b' } })], 'b'],
    ['requires an equal volumeMode', pvc('c', { mode: 'Block' }), [pv('fs'), pv('block', { mode: 'Block', size: '3Gi' })], 'block'],
    ['skips volumes not Available', pvc('c'), [pv('pending', { phase: 'Pending' }), pv('released', { phase: 'Released' })], undefined],
    ['skips volumes being deleted', pvc('c'), [pv('gone', { deleting: true })], undefined],
    ['skips volumes reserved for another claim', pvc('c'), [pv('theirs', { claimRef: { namespace: 'ns', name: 'other' } })], undefined],
    ['prefers a volume pre-bound to the claim over a smaller one, whatever its class and phase', pvc('c'), [pv('small', { size: '600Mi' }), pv('mine', { size: '5Gi', cls: 'other', phase: 'Pending', claimRef: { namespace: 'ns', name: 'c' } })], 'mine'],
    ['does not take a pre-bound volume with another claim UID', pvc('c'), [pv('old', { claimRef: { namespace: 'ns', name: 'c', uid: 'uid-old' } })], undefined],
    ['still requires capacity of a pre-bound volume', pvc('c', { size: '2Gi' }), [pv('mine', { size: '1Gi', claimRef: { namespace: 'ns', name: 'c' } })], undefined],
  ])('%s', (_title, claim, volumes, want) => {
    expect(findBestMatch(claim, volumes)?.metadata.name).toBe(want);
  });

  it('binds only pre-bound volumes when binding waits for the first consumer', () => {
    const claim = pvc('c');
    expect(findBestMatch(claim, [pv('free')], true)).toBeUndefined();
    expect(findBestMatch(claim, [pv('free'), pv('mine', { claimRef: { namespace: 'ns', name: 'c' } })], true)?.metadata.name).toBe('mine');
  });
});

describe('volumeMismatch (a claim that names its volume)', () => {
  it.each<[string, KubeObject, string | undefined]>([
    ['accepts a fitting volume', pv('v'), undefined],
    ['rejects a volume being deleted', pv('v', { deleting: true }), 'the volume is marked for deletion "v"'],
    ['rejects a too small volume', pv('v', { size: '100Mi' }), 'requested PV is too small'],
    ['rejects another class', pv('v', { cls: 'x' }), 'storageClassName does not match'],
    ['rejects another volumeMode', pv('v', { mode: 'Block' }), 'incompatible volumeMode'],
    ['rejects missing access modes', pv('v', { modes: ['ReadOnlyMany'] }), 'incompatible accessMode'],
  ])('%s', (_title, volume, want) => {
    expect(volumeMismatch(volume, pvc('c', { volumeName: 'v' }))).toBe(want);
  });
});

describe('the objects a binding writes', () => {
  it('sets the full claimRef and bound-by-controller on a volume the controller chose', () => {
    const out = volumeBoundTo(pv('v'), pvc('c'))!;
    expect(specOf(out).claimRef).toEqual({ kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'c', uid: 'uid-c', apiVersion: 'v1', resourceVersion: '42' });
    expect(out.metadata.annotations).toEqual({ 'pv.kubernetes.io/bound-by-controller': 'yes' });
  });

  it('completes a user pre-bound claimRef without claiming the binding for the controller', () => {
    const out = volumeBoundTo(pv('v', { claimRef: { namespace: 'ns', name: 'c' } }), pvc('c'))!;
    expect(specOf(out).claimRef).toMatchObject({ name: 'c', uid: 'uid-c' });
    expect(out.metadata.annotations?.['pv.kubernetes.io/bound-by-controller']).toBeUndefined();
  });

  it('changes nothing on a volume already bound to the claim', () => {
    expect(volumeBoundTo(pv('v', { claimRef: { namespace: 'ns', name: 'c', uid: 'uid-c' } }), pvc('c'))).toBeUndefined();
  });

  it('does not modify its input', () => {
    const volume = pv('v');
    volumeBoundTo(volume, pvc('c'));
    expect(specOf(volume).claimRef).toBeUndefined();
  });

  it.each<[string, PVCOpts, Record<string, string>]>([
    ['a claim the controller matched gets volumeName, bind-completed and bound-by-controller', {}, { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' }],
    ['a claim that named its volume gets only bind-completed', { volumeName: 'v' }, { 'pv.kubernetes.io/bind-completed': 'yes' }],
  ])('%s', (_title, o, annotations) => {
    const out = claimBoundTo(pvc('c', o), pv('v'))!;
    expect(specOf(out).volumeName).toBe('v');
    expect(out.metadata.annotations).toEqual(annotations);
  });

  it('changes nothing on a claim already bound', () => {
    expect(claimBoundTo(pvc('c', { volumeName: 'v', annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } }), pv('v'))).toBeUndefined();
  });

  it('copies phase, capacity and access modes of the volume into the claim status', () => {
    expect(claimStatusFor(pvc('c'), 'Bound', pv('v', { size: '2Gi', modes: ['ReadWriteOnce', 'ReadOnlyMany'] }))).toEqual({ phase: 'Bound', capacity: { storage: '2Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'] });
  });

  it('clears capacity and access modes without a volume, and reports no change when there is none', () => {
    const bound: KubeObject = { ...pvc('c'), status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } };
    expect(claimStatusFor(bound, 'Lost')).toEqual({ phase: 'Lost' });
    expect(claimStatusFor(pvc('c'), 'Pending')).toBeUndefined();
    expect(claimStatusFor({ ...bound }, 'Bound', pv('v', { size: '1024Mi' }))).toBeUndefined();
  });
});

describe('volumeAction (the volume sync)', () => {
  const ref = { kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'c', uid: 'uid-c' };
  it.each<[string, KubeObject, KubeObject | undefined, ReturnType<typeof volumeAction>]>([
    ['an unclaimed volume is Available', pv('v', { phase: 'Pending' }), undefined, { kind: 'phase', phase: 'Available' }],
    ['a volume pre-bound by name only is Available', pv('v', { claimRef: { namespace: 'ns', name: 'c' } }), undefined, { kind: 'phase', phase: 'Available' }],
    ['a volume whose claim is gone is released', pv('v', { claimRef: ref }), undefined, { kind: 'released' }],
    ['a claim recreated with another UID counts as gone', pv('v', { claimRef: ref }), { ...pvc('c'), metadata: { name: 'c', namespace: 'ns', uid: 'new' } }, { kind: 'released' }],
    ['a claim not yet bound is handed to the claim sync', pv('v', { claimRef: ref }), pvc('c'), { kind: 'enqueueClaim', key: 'ns/c' }],
    ['a claim bound to the volume makes it Bound', pv('v', { claimRef: ref }), pvc('c', { volumeName: 'v' }), { kind: 'phase', phase: 'Bound' }],
    ['a claim bound elsewhere unbinds the volume', pv('v', { claimRef: ref }), pvc('c', { volumeName: 'other' }), { kind: 'unbind' }],
    [
      'a provisioned Delete volume whose claim bound elsewhere is released',
      pv('v', { claimRef: ref, policy: 'Delete', annotations: { 'pv.kubernetes.io/provisioned-by': 'x' } }),
      pvc('c', { volumeName: 'other' }),
      { kind: 'released' },
    ],
  ])('%s', (_title, volume, claim, want) => {
    expect(volumeAction(volume, claim)).toEqual(want);
  });

  it('unbinding drops what the controller bound and keeps what the user pre-bound', () => {
    const ref = { namespace: 'ns', name: 'c', uid: 'uid-c' };
    const byController = volumeUnbound(pv('v', { claimRef: ref, annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' } }));
    expect(specOf(byController).claimRef).toBeUndefined();
    expect(byController.metadata.annotations).toEqual({});
    expect(specOf(volumeUnbound(pv('v', { claimRef: ref }))).claimRef).toEqual({ namespace: 'ns', name: 'c' });
  });
});
