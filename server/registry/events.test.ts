import { describe, expect, it } from 'vitest';
import type { KubeObject } from './types.ts';
import { coreEvents, eventsV1Events, fromEventsV1, toEventsV1 } from './events.ts';
import { cells, lines, runCreate } from './test-helpers.ts';

const now = new Date('2024-01-01T01:00:00Z');

const kubeletEvent = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Event',
  metadata: { name: 'nginx.17a', namespace: 'default' },
  involvedObject: { kind: 'Pod', namespace: 'default', name: 'nginx', uid: 'u1', apiVersion: 'v1', fieldPath: 'spec.containers{nginx}' },
  reason: 'Pulled',
  message: 'Successfully pulled image "nginx"  ',
  source: { component: 'kubelet', host: 'node-1' },
  firstTimestamp: '2024-01-01T00:50:00Z',
  lastTimestamp: '2024-01-01T00:58:00Z',
  count: 3,
  type: 'Normal',
});

describe('core events', () => {
  it('accept a legacy event and serialize Go zero values', () => {
    const { obj, errors } = runCreate(coreEvents, kubeletEvent());
    expect(errors).toEqual([]);
    expect(obj.eventTime).toBeNull();
    expect(obj.reportingComponent).toBe('');
    expect(obj.reportingInstance).toBe('');
  });

  it('require the involved object in the same namespace', () => {
    const ev = kubeletEvent();
    (ev.involvedObject as Record<string, unknown>).namespace = 'other';
    expect(lines(runCreate(coreEvents, ev).errors)).toEqual(['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  });

  it('print LAST SEEN TYPE REASON OBJECT MESSAGE, and the wide columns ending with NAME', () => {
    expect(coreEvents.columns!.map((c) => `${c.name}/${c.priority}`)).toEqual([
      'Last Seen/0', 'Type/0', 'Reason/0', 'Object/0', 'Subobject/1', 'Source/1', 'Message/0', 'First Seen/1', 'Count/1', 'Name/1',
    ]);
    expect(cells(coreEvents, kubeletEvent(), now)).toEqual({
      'Last Seen': '2m',
      Type: 'Normal',
      Reason: 'Pulled',
      Object: 'pod/nginx',
      Subobject: 'spec.containers{nginx}',
      Source: 'kubelet, node-1',
      Message: 'Successfully pulled image "nginx"',
      'First Seen': '10m',
      Count: 3,
      Name: 'nginx.17a',
    });
  });

  it('print series events by their last observation', () => {
    const ev = { ...kubeletEvent(), firstTimestamp: null, lastTimestamp: null, count: undefined, eventTime: '2024-01-01T00:30:00.000000Z', series: { count: 5, lastObservedTime: '2024-01-01T00:59:00.000000Z' } };
    expect(cells(coreEvents, ev, now)).toMatchObject({ 'Last Seen': '60s', 'First Seen': '30m', Count: 5 });
  });

  it('select by involved object, reason, source and type', () => {
    const f = coreEvents.fieldSelectors!;
    const ev = kubeletEvent();
    expect(f['involvedObject.name'](ev)).toBe('nginx');
    expect(f['involvedObject.kind'](ev)).toBe('Pod');
    expect(f.source(ev)).toBe('kubelet');
    expect(f.type(ev)).toBe('Normal');
    expect(f.reportingComponent(ev)).toBe('');
  });
});

describe('events.k8s.io events', () => {
  it('share the core storage', () => {
    expect(eventsV1Events.storageName).toBe('events');
    expect(coreEvents.storageName).toBeUndefined();
  });

  it('convert both ways without loss', () => {
    const core: KubeObject = { ...kubeletEvent(), eventTime: null, reportingComponent: '', reportingInstance: '' };
    const v1 = toEventsV1(core);
    expect(v1).toMatchObject({ apiVersion: 'events.k8s.io/v1', regarding: core.involvedObject, note: core.message, deprecatedSource: core.source, deprecatedCount: 3 });
    expect(fromEventsV1(v1)).toEqual(core);
  });

  it('validate strictly and print through the core view', () => {
    const ev: KubeObject = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name: 'e1', namespace: 'default' },
      eventTime: '2024-01-01T00:59:30.000000Z',
      reportingController: 'example.com/ctl',
      reportingInstance: 'ctl-1',
      action: 'Scale',
      reason: 'Scaled',
      regarding: { kind: 'Deployment', namespace: 'default', name: 'web' },
      note: 'scaled',
      type: 'Normal',
    };
    expect(runCreate(eventsV1Events, ev).errors).toEqual([]);
    expect(cells(eventsV1Events, ev, now)).toMatchObject({ 'Last Seen': '30s', Object: 'deployment/web', Source: 'example.com/ctl, ctl-1', Count: 1 });
    expect(eventsV1Events.fieldSelectors!['regarding.name'](ev)).toBe('web');
    expect(eventsV1Events.fieldSelectors!.reportingController(ev)).toBe('example.com/ctl');
    const bad = { ...ev, type: 'Odd', action: undefined };
    expect(lines(runCreate(eventsV1Events, bad).errors)).toEqual(['action: Required value', 'type: Invalid value: "": has invalid value: Odd']);
  });
});
