// The admission chain: every plugin's mutate in order, then every validate, for writes made through the API.
import type { AdmissionHook } from '../../registry/store.ts';
import { requestContext } from '../context.ts';
import type { AdmissionPlugin, Operation } from './types.ts';

const DEFAULT_OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE'];

/**
 * Builds the store's admission hook from plugins (mutating first, then validating, each in the given order).
 * Writes made outside an API request (bootstrap, in-process loops) are not admitted, as upstream's loopback
 * writes by the apiserver itself go through the privileged path.
 */
export function admissionChain(plugins: readonly AdmissionPlugin[]): AdmissionHook {
  const run = async (phase: 'mutate' | 'validate', ...[op, def, namespace, obj, old, subresource, dryRun]: Parameters<AdmissionHook['validate']>): Promise<void> => {
    const ctx = requestContext.getStore();
    if (!ctx) return;
    const attrs = { operation: op, def, namespace, name: obj.metadata?.name ?? '', subresource, object: obj, oldObject: old, user: ctx.user, dryRun };
    for (const p of plugins) if ((p.operations ?? DEFAULT_OPERATIONS).includes(op)) await p[phase]?.(attrs);
  };
  return {
    mutate: (...args) => run('mutate', ...args),
    validate: (...args) => run('validate', ...args),
  };
}
