// The scale subresource: an autoscaling/v1 Scale view of a workload's replicas (what `kubectl scale` reads and writes).
import * as errors from './errors.ts';
import type { KubeObject, ResourceDef, ScaleDef } from '../registry/types.ts';
import { labelSelectorToString } from './list-options.ts';

function readPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function writePath(obj: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    if (cur[part] === null || typeof cur[part] !== 'object') cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]] = value;
}

export function readScale(_def: ResourceDef, scale: ScaleDef, obj: KubeObject): KubeObject {
  const m = obj.metadata;
  const status: Record<string, unknown> = { replicas: readPath(obj, scale.statusReplicasPath) ?? 0 };
  if (scale.labelSelectorPath) {
    const selector = readPath(obj, scale.labelSelectorPath);
    if (selector && typeof selector === 'object') status.selector = labelSelectorToString(selector as Record<string, unknown>);
  }
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, creationTimestamp: m.creationTimestamp },
    spec: { replicas: readPath(obj, scale.specReplicasPath) ?? 0 },
    status,
  };
}

/** Applies a wanted Scale to the object: only spec.replicas moves; a stale resourceVersion is a conflict. */
export function writeScale(def: ResourceDef, scale: ScaleDef, current: KubeObject, wanted: KubeObject): KubeObject {
  const replicas = (wanted.spec as { replicas?: unknown } | undefined)?.replicas;
  if (replicas !== undefined && (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)) {
    throw errors.invalid('Scale', 'autoscaling', current.metadata.name ?? '', [
      { type: 'FieldValueInvalid', field: 'spec.replicas', message: `Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0` },
    ]);
  }
  if (wanted.metadata?.resourceVersion && wanted.metadata.resourceVersion !== current.metadata.resourceVersion) {
    throw errors.conflict(def, current.metadata.name ?? '', errors.OBJECT_MODIFIED);
  }
  const next = structuredClone(current);
  writePath(next as Record<string, unknown>, scale.specReplicasPath, replicas ?? 0);
  return next;
}
