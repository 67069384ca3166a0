// Server-side printing: objects → meta.k8s.io/v1 Table with the resource's declared columns (what `kubectl get` shows).
import type { Column, KubeObject, ResourceDef } from '../registry/types.ts';

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface TableRow {
  cells: unknown[];
  object?: unknown;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[] | null;
  rows: TableRow[];
}

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

const NAME_COLUMN: TableColumnDefinition = { name: 'Name', type: 'string', format: 'name', description: NAME_DESCRIPTION, priority: 0 };

/** Upstream's default table for resources without a printer: Name and Created At. */
const DEFAULT_COLUMNS: readonly Column[] = [
  {
    name: 'Created At',
    type: 'date',
    description: 'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
    priority: 0,
    cell: (obj) => obj.metadata.creationTimestamp ?? null,
  },
];

function columnsOf(def: ResourceDef): readonly Column[] {
  return def.columns ?? DEFAULT_COLUMNS;
}

/** NAME leads every table unless the resource places its own `name` column (events put it last, wide-only). */
function hasOwnNameColumn(def: ResourceDef): boolean {
  return columnsOf(def).some((c) => c.format === 'name');
}

export function columnDefinitions(def: ResourceDef): TableColumnDefinition[] {
  const declared = columnsOf(def).map((c) => ({ name: c.name, type: c.type, format: c.format ?? '', description: c.description, priority: c.priority }));
  return hasOwnNameColumn(def) ? declared : [NAME_COLUMN, ...declared];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** The row's object: PartialObjectMetadata by default, so that `-A` and `--show-labels` can read metadata. */
export function partialObjectMetadata(obj: KubeObject): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: obj.metadata };
}

export function tableRow(def: ResourceDef, obj: KubeObject, include: IncludeObject, now: Date): TableRow {
  const cells: unknown[] = hasOwnNameColumn(def) ? [] : [obj.metadata.name ?? ''];
  for (const c of columnsOf(def)) {
    let value: unknown;
    try {
      value = c.cell(obj, now);
    } catch {
      // A printer must never fail a request because an object is oddly shaped; upstream prints <unknown> too.
      value = '<unknown>';
    }
    cells.push(value ?? null);
  }
  const row: TableRow = { cells };
  if (include === 'Metadata') row.object = partialObjectMetadata(obj);
  else if (include === 'Object') row.object = obj;
  return row;
}

export function toTable(
  def: ResourceDef,
  objects: readonly KubeObject[],
  include: IncludeObject,
  listMeta: Table['metadata'],
  withHeaders = true,
): Table {
  const now = new Date();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions: withHeaders ? columnDefinitions(def) : null,
    rows: objects.map((o) => tableRow(def, o, include, now)),
  };
}
