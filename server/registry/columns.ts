// Shared pieces of server-side printing: upstream's HumanDuration, the AGE column, label and container cells.
import type { Column, KubeObject } from './types.ts';
import { get, isObj, records, str } from './object.ts';

/** ObjectMeta.name's API doc: upstream's description of the NAME column. */
export const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

/** ObjectMeta.creationTimestamp's API doc: upstream's description of the AGE column. */
export const AGE_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const CONTAINERS_DESCRIPTION = 'Names of each container in the template.';
export const IMAGES_DESCRIPTION = 'Images referenced by each container in the template.';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * apimachinery's duration.HumanDuration: ~2-3 significant figures (`5s`, `3m2s`, `5h2m`, `2d3h`, `3y20d`).
 * Up to 1s in the future counts as `0s`; further in the future is `<invalid>`.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365;
    const y = Math.trunc(hours / 24 / 365);
    return dy === 0 ? `${y}y` : `${y}y${dy}d`;
  }
  return `${Math.trunc(hours / 24 / 365)}y`;
}

/** translateTimestampSince: `<unknown>` for a missing (zero) or unparseable timestamp. */
export function since(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== 'string' || timestamp === '') return '<unknown>';
  const t = Date.parse(timestamp);
  if (Number.isNaN(t)) return '<unknown>';
  return humanDuration(now.getTime() - t);
}

/** The AGE column every printer ends its default columns with. */
export const ageColumn: Column = {
  name: 'Age',
  type: 'string',
  description: AGE_DESCRIPTION,
  priority: 0,
  cell: (obj, now) => since(obj.metadata.creationTimestamp, now),
};

/** A string column read by a function. */
export function stringColumn(name: string, description: string, priority: number, cell: (obj: KubeObject, now: Date) => string): Column {
  return { name, type: 'string', description, priority, cell };
}

/** An integer column read by a function (missing counts print as 0, as Go's zero values do). */
export function integerColumn(name: string, description: string, priority: number, cell: (obj: KubeObject) => number | undefined, declaredType: Column['type'] = 'integer'): Column {
  return { name, type: declaredType, description, priority, cell: (obj) => cell(obj) ?? 0 };
}

/** labels.FormatLabels: `k=v` pairs sorted by key, `<none>` when empty. */
export function formatLabels(labels: unknown): string {
  if (!isObj(labels)) return '<none>';
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '<none>';
  return keys.map((k) => `${k}=${String(labels[k])}`).join(',');
}

/** layoutContainerCells: names and images, comma-joined. */
export function containerCells(podSpec: unknown): { names: string; images: string } {
  const containers = records(get(podSpec, 'containers'));
  return { names: containers.map((c) => str(c.name)).join(','), images: containers.map((c) => str(c.image)).join(',') };
}

/** The CONTAINERS and IMAGES wide columns for a resource whose pod spec sits at `podSpecPath`. */
export function containerColumns(podSpecPath: string): Column[] {
  return [
    stringColumn('Containers', CONTAINERS_DESCRIPTION, 1, (o) => containerCells(get(o, podSpecPath)).names),
    stringColumn('Images', IMAGES_DESCRIPTION, 1, (o) => containerCells(get(o, podSpecPath)).images),
  ];
}

/** printBool / printBoolPtr. */
export function printBoolPtr(v: unknown): string {
  if (typeof v !== 'boolean') return '<unset>';
  return v ? 'True' : 'False';
}
