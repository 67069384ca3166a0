// core/v1 and events.k8s.io/v1 events: one stored shape (core v1, under /registry/events), conversions, rules and printer.
import type { Column, FieldError, KubeObject, ResourceDef } from './types.ts';
import { get, isObj, num, obj, str, type Obj } from './object.ts';
import { NAME_DESCRIPTION, since, stringColumn } from './columns.ts';
import { validateObjectMeta, validateObjectMetaUpdate, nameIsDNSSubdomain } from './meta-validation.ts';
import { fp, invalid, isDNS1123Subdomain, isQualifiedName, required } from './validation.ts';

/** True for an object in the events.k8s.io/v1 shape (regarding / note) rather than the core v1 one. */
export function isEventsV1(o: KubeObject): boolean {
  return o.apiVersion === 'events.k8s.io/v1' || (o.apiVersion === undefined && ('regarding' in o || 'note' in o || 'deprecatedSource' in o));
}

function put(out: Obj, k: string, v: unknown): void {
  if (v !== undefined) out[k] = v;
}

/** Convert_core_Event_To_v1_Event (stored core v1 → events.k8s.io/v1). */
export function toEventsV1(core: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: structuredClone(core.metadata) };
  out.eventTime = core.eventTime ?? null;
  put(out, 'series', core.series);
  put(out, 'reportingController', core.reportingComponent || undefined);
  put(out, 'reportingInstance', core.reportingInstance || undefined);
  put(out, 'action', core.action);
  put(out, 'reason', core.reason);
  out.regarding = core.involvedObject ?? {};
  put(out, 'related', core.related);
  put(out, 'note', core.message);
  put(out, 'type', core.type);
  if (isObj(core.source) && Object.keys(core.source).length > 0) out.deprecatedSource = core.source;
  put(out, 'deprecatedFirstTimestamp', core.firstTimestamp ?? undefined);
  put(out, 'deprecatedLastTimestamp', core.lastTimestamp ?? undefined);
  put(out, 'deprecatedCount', core.count);
  return out;
}

/** Convert_v1_Event_To_core_Event (events.k8s.io/v1 → stored core v1). */
export function fromEventsV1(ev: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'v1', kind: 'Event', metadata: structuredClone(ev.metadata) };
  out.involvedObject = ev.regarding ?? {};
  put(out, 'reason', ev.reason);
  put(out, 'message', ev.note);
  out.source = ev.deprecatedSource ?? {};
  out.firstTimestamp = ev.deprecatedFirstTimestamp ?? null;
  out.lastTimestamp = ev.deprecatedLastTimestamp ?? null;
  put(out, 'count', ev.deprecatedCount);
  put(out, 'type', ev.type);
  out.eventTime = ev.eventTime ?? null;
  put(out, 'series', ev.series);
  put(out, 'action', ev.action);
  put(out, 'related', ev.related);
  out.reportingComponent = ev.reportingController ?? '';
  out.reportingInstance = ev.reportingInstance ?? '';
  return out;
}

/** The core view of an event in either shape (printers and selectors read this one). */
export function asCoreEvent(o: KubeObject): KubeObject {
  return isEventsV1(o) ? fromEventsV1(o) : o;
}

/** Zero values the core v1 Event always serializes (Go non-omitempty fields). */
function canonicalCore(ev: KubeObject): void {
  if (ev.eventTime === undefined) ev.eventTime = null;
  if (ev.firstTimestamp === undefined) ev.firstTimestamp = null;
  if (ev.lastTimestamp === undefined) ev.lastTimestamp = null;
  if (ev.reportingComponent === undefined) ev.reportingComponent = '';
  if (ev.reportingInstance === undefined) ev.reportingInstance = '';
  if (!isObj(ev.source)) ev.source = {};
  if (!isObj(ev.involvedObject)) ev.involvedObject = {};
}

const LIMIT_128 = 128;
const NOTE_LIMIT = 1024;

/** legacyValidateEvent: what every event must satisfy. `reportingField` is the controller field's name in the request's version. */
function legacyValidate(ev: Readonly<KubeObject>, reportingField: string): FieldError[] {
  const errs: FieldError[] = [];
  const ns = ev.metadata.namespace ?? '';
  const involvedNs = str(get(ev, 'involvedObject.namespace'));
  if (!ev.eventTime) {
    if (!involvedNs ? ns !== '' && ns !== 'default' : ns !== involvedNs) errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
  } else {
    if (!involvedNs && ns !== 'default' && ns !== 'kube-system') errs.push(invalid('involvedObject.namespace', involvedNs, 'does not match event.namespace'));
    const controller = str(ev.reportingComponent);
    if (!controller) errs.push(required(reportingField));
    for (const m of isQualifiedName(controller)) errs.push(invalid(reportingField, controller, m));
    const instance = str(ev.reportingInstance);
    if (!instance) errs.push(required('reportingInstance'));
    if (instance.length > LIMIT_128) errs.push(invalid('reportingInstance', '', `can have at most ${LIMIT_128} characters`));
    const action = str(ev.action);
    if (!action) errs.push(required('action'));
    if (action.length > LIMIT_128) errs.push(invalid('action', '', `can have at most ${LIMIT_128} characters`));
    const reason = str(ev.reason);
    if (!reason) errs.push(required('reason'));
    if (reason.length > LIMIT_128) errs.push(invalid('reason', '', `can have at most ${LIMIT_128} characters`));
    if (str(ev.message).length > NOTE_LIMIT) errs.push(invalid('message', '', `can have at most ${NOTE_LIMIT} characters`));
  }
  for (const m of isDNS1123Subdomain(ns)) errs.push(invalid('namespace', ns, m));
  return errs;
}

/** The stricter rules of events created through events.k8s.io/v1 (on the core view). */
function strictValidate(ev: Readonly<KubeObject>): FieldError[] {
  const errs = [...legacyValidate(ev, 'reportingController'), ...validateObjectMeta(ev.metadata, { namespaced: true, name: nameIsDNSSubdomain })];
  if (!ev.eventTime) errs.push(required('eventTime'));
  const type = str(ev.type);
  if (type !== 'Normal' && type !== 'Warning') errs.push(invalid('type', '', `has invalid value: ${type}`));
  if (ev.firstTimestamp) errs.push(invalid('firstTimestamp', '', 'needs to be unset'));
  if (ev.lastTimestamp) errs.push(invalid('lastTimestamp', '', 'needs to be unset'));
  if (num(ev.count)) errs.push(invalid('count', '', 'needs to be unset'));
  if (str(get(ev, 'source.component')) || str(get(ev, 'source.host'))) errs.push(invalid('source', '', 'needs to be unset'));
  const series = obj(ev.series);
  if (series) {
    if ((num(series.count) ?? 0) < 2) errs.push(invalid(fp('series', 'count'), '', 'should be at least 2'));
    if (!series.lastObservedTime) errs.push(required(fp('series', 'lastObservedTime')));
  }
  return errs;
}

// ---- printer ----

function sourceText(ev: KubeObject): string {
  const component = str(get(ev, 'source.component')) || str(ev.reportingComponent);
  const instance = str(get(ev, 'source.host')) || str(ev.reportingInstance);
  return instance ? `${component}, ${instance}` : component;
}

interface EventTimes {
  first: string;
  last: string;
  count: number;
}

function times(ev: KubeObject, now: Date): EventTimes {
  const first = ev.firstTimestamp ? since(ev.firstTimestamp, now) : since(ev.eventTime, now);
  let last = ev.lastTimestamp ? since(ev.lastTimestamp, now) : first;
  let count = num(ev.count) ?? 0;
  const series = obj(ev.series);
  if (series) {
    last = since(series.lastObservedTime, now);
    count = num(series.count) ?? 0;
  } else if (count === 0) {
    count = 1;
  }
  return { first, last, count };
}

function target(ev: KubeObject): string {
  const kind = str(get(ev, 'involvedObject.kind')).toLowerCase();
  const name = str(get(ev, 'involvedObject.name'));
  return name ? `${kind}/${name}` : kind;
}

/**
 * Upstream's event columns (its NAME is the last, wide-only column: a column with format `name` here,
 * which the table layer should use instead of its implicit first NAME).
 */
export const eventColumns: readonly Column[] = [
  stringColumn('Last Seen', 'The time at which the most recent occurrence of this event was recorded.', 0, (o, now) => times(asCoreEvent(o), now).last),
  stringColumn('Type', 'Type of this event (Normal, Warning), new types could be added in the future', 0, (o) => str(asCoreEvent(o).type)),
  stringColumn('Reason', "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.", 0, (o) => str(asCoreEvent(o).reason)),
  stringColumn('Object', 'The object that this event is about.', 0, (o) => target(asCoreEvent(o))),
  stringColumn('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement, such as desiredState.manifest.containers[2].', 1, (o) => str(get(asCoreEvent(o), 'involvedObject.fieldPath'))),
  stringColumn('Source', 'The component reporting this event. Should be a short machine understandable string.', 1, (o) => sourceText(asCoreEvent(o))),
  stringColumn('Message', 'A human-readable description of the status of this operation.', 0, (o) => str(asCoreEvent(o).message).trim()),
  stringColumn('First Seen', 'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)', 1, (o, now) => times(asCoreEvent(o), now).first),
  { name: 'Count', type: 'string', description: 'The number of times this event has occurred.', priority: 1, cell: (o, now) => times(asCoreEvent(o), now).count },
  { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 1, cell: (o) => o.metadata.name ?? '' },
];

const involved = (k: string) => (o: KubeObject) => str(get(asCoreEvent(o), `involvedObject.${k}`));
const reasonOf = (o: KubeObject) => str(asCoreEvent(o).reason);
const typeOf = (o: KubeObject) => str(asCoreEvent(o).type);
const controllerOf = (o: KubeObject) => str(asCoreEvent(o).reportingComponent);
const sourceOf = (o: KubeObject) => {
  const ev = asCoreEvent(o);
  return str(get(ev, 'source.component')) || str(ev.reportingComponent);
};
const INVOLVED_FIELDS = ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'];

export const coreEvents: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  allowCreateOnUpdate: true,
  strategy: {
    validate: (ev) => legacyValidate(ev, 'reportingComponent'),
    validateUpdate: (ev) => legacyValidate(ev, 'reportingComponent'),
    canonicalize: canonicalCore,
  },
  fieldSelectors: {
    ...Object.fromEntries(INVOLVED_FIELDS.map((k) => [`involvedObject.${k}`, involved(k)])),
    reason: reasonOf,
    reportingComponent: controllerOf,
    source: sourceOf,
    type: typeOf,
  },
  columns: eventColumns,
};

/**
 * events.k8s.io/v1 shares the core events' storage (`/registry/events`), as upstream. Objects arrive and
 * leave in the events.k8s.io shape; the hooks read them through the core view. The serving layer must
 * convert with `fromEventsV1` before storing and `toEventsV1` when reading (see the report).
 */
export const eventsV1Events: ResourceDef = {
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  singular: 'event',
  namespaced: true,
  shortNames: ['ev'],
  storageName: 'events',
  storageShape: { toStorage: fromEventsV1, fromStorage: toEventsV1 },
  allowCreateOnUpdate: true,
  strategy: {
    validate: (ev) => strictValidate(asCoreEvent(ev as KubeObject)),
    validateUpdate(ev, old) {
      const next = asCoreEvent(ev as KubeObject);
      const prev = asCoreEvent(old as KubeObject);
      const errs = [...legacyValidate(next, 'reportingController'), ...validateObjectMetaUpdate(next.metadata, prev.metadata)];
      for (const k of ['type', 'reason', 'action', 'reportingComponent', 'reportingInstance', 'message', 'eventTime'] as const) {
        if (JSON.stringify(next[k] ?? null) !== JSON.stringify(prev[k] ?? null)) {
          const field = k === 'reportingComponent' ? 'reportingController' : k === 'message' ? 'note' : k;
          errs.push(invalid(field, next[k] ?? '', 'field is immutable'));
        }
      }
      return errs;
    },
  },
  fieldSelectors: {
    ...Object.fromEntries(INVOLVED_FIELDS.map((k) => [`regarding.${k}`, involved(k)])),
    reason: reasonOf,
    reportingController: controllerOf,
    source: sourceOf,
    type: typeOf,
  },
  columns: eventColumns,
};
