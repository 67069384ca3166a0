// Field-manager plumbing for the REST handlers: who manages a write, and the hooks the generic store runs.
import * as errors from '../http/errors.ts';
import type { WriteOptions } from '../registry/store.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';
import { recordUpdate } from './managed.ts';

/**
 * The manager of a write: the `fieldManager` parameter, else the program name in the User-Agent
 * (`kubectl/v1.33.0 (linux/amd64) …` → `kubectl`), as upstream's managerOrUserAgent.
 * @throws 422 for a fieldManager longer than 128 characters (upstream's ValidateFieldManager).
 */
export function managerOf(query: URLSearchParams, userAgent: string | undefined): string {
  const m = query.get('fieldManager') ?? '';
  if (m.length > 128) {
    throw errors.invalid('', '', '', [{ type: 'FieldValueTooLong', field: 'fieldManager', message: `Too long: may not be more than 128 bytes` }]);
  }
  if (m) return m;
  return (userAgent ?? '').split('/')[0]!;
}

/** The store hook recording an Update operation by `manager` through `subresource` ('' or 'status'). */
export function updateHook(def: ResourceDef, manager: string, subresource = ''): NonNullable<WriteOptions['managedFields']> {
  return (obj: KubeObject, old: KubeObject | undefined) => recordUpdate(def, old, obj, manager, subresource);
}

/** `force` is only for apply patches (upstream's ValidatePatchOptions). */
export function checkPatchOptions(query: URLSearchParams, isApply: boolean, manager: string): boolean {
  const force = query.get('force');
  if (!isApply && force !== null) {
    throw errors.invalid('PatchOptions', 'meta.k8s.io', '', [{ type: 'FieldValueForbidden', field: 'force', message: 'Forbidden: may not be specified for non-apply patch' }]);
  }
  if (isApply && !query.get('fieldManager')) {
    void manager;
    throw errors.invalid('PatchOptions', 'meta.k8s.io', '', [{ type: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' }]);
  }
  return force === 'true';
}
