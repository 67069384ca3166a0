// pods/binding: the scheduler's one write, setting spec.nodeName once and marking the pod scheduled.
import * as errors from './errors.ts';
import type { GenericStore } from '../registry/store.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';

interface Binding {
  metadata?: { name?: string; namespace?: string; uid?: string; annotations?: Record<string, string> };
  target?: { kind?: string; name?: string };
}

interface PodCondition {
  type: string;
  status: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** Binds a pod to a node as upstream's BindingREST: 409 when already bound, 404 when the pod is gone. */
export async function bindPod(store: GenericStore, def: ResourceDef, namespace: string, name: string, body: unknown, dryRun: boolean): Promise<unknown> {
  const binding = (body ?? {}) as Binding;
  if (binding.metadata?.name && binding.metadata.name !== name) {
    throw errors.badRequest(`name in URL does not match name in Binding object`);
  }
  const nodeName = binding.target?.name;
  if (!nodeName) {
    throw errors.invalid('Binding', '', name, [{ type: 'FieldValueRequired', field: 'target.name', message: 'Required value' }]);
  }
  if (binding.target?.kind && binding.target.kind !== 'Node') {
    throw errors.invalid('Binding', '', name, [{ type: 'FieldValueNotSupported', field: 'target.kind', message: `Unsupported value: "${binding.target.kind}": supported values: "Node", ""` }]);
  }
  await store.update(
    def,
    namespace,
    name,
    (pod: KubeObject | undefined) => {
      if (!pod) throw errors.notFound(def, name);
      if (pod.metadata.deletionTimestamp) throw errors.conflict(def, name, 'pod is being deleted, cannot be assigned to a host');
      if (binding.metadata?.uid && binding.metadata.uid !== pod.metadata.uid) {
        throw errors.conflict(def, name, `Precondition failed: UID in precondition: ${binding.metadata.uid}, UID in object meta: ${pod.metadata.uid}`);
      }
      const spec = (pod.spec ??= {}) as { nodeName?: string };
      if (spec.nodeName) throw errors.conflict(def, name, `pod ${name} is already assigned to node "${spec.nodeName}"`);
      spec.nodeName = nodeName;
      if (binding.metadata?.annotations) pod.metadata.annotations = { ...pod.metadata.annotations, ...binding.metadata.annotations };
      const status = (pod.status ??= {}) as { conditions?: PodCondition[] };
      const conditions = (status.conditions ??= []);
      const scheduled = conditions.find((c) => c.type === 'PodScheduled');
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      if (scheduled) Object.assign(scheduled, { status: 'True', lastTransitionTime: now, reason: undefined, message: undefined });
      else conditions.push({ type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now });
      return pod;
    },
    { dryRun, subresource: 'trusted' },
  );
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}
