// The Endpoints and EndpointSlice controllers: keep each selector Service's Endpoints and EndpointSlices in step with its pods.
import type { ControllerContext } from '../manager.ts';
import { ApiError, Resources, collectionPath, controller, objectPath, splitKey, type Action, type KubeObject } from '../runtime/index.ts';
import { arr, isoNow, rec, spec } from '../podutil/index.ts';
import { canonicalJson } from '../podutil/hash.ts';
import { MANAGED_BY, MANAGED_BY_LABEL, SERVICE_NAME_LABEL, TRIGGER_TIME_ANNOTATION, endpointSubsets, selectedPods, serviceLabels, sliceContents, type SliceContent } from './logic.ts';

/** Keys of the Services in the pod's namespace that select it. */
function servicesSelecting(services: readonly KubeObject[], pod: KubeObject): string[] {
  return services.filter((s) => selectedPods(s, [pod]).length > 0).map((s) => `${s.metadata.namespace}/${s.metadata.name}`);
}

export function registerEndpoints(ctx: ControllerContext): void {
  const services = ctx.informers.informerOf(Resources.Service);
  const pods = ctx.informers.informerOf(Resources.Pod);
  const endpoints = ctx.informers.informerOf(Resources.Endpoints);

  const reconcile = async (key: string): Promise<Action> => {
    const { namespace, name } = splitKey(key);
    const svc = services.lister.get(key);
    const existing = endpoints.lister.get(key);
    if (!svc) {
      // Upstream deletes the Endpoints of a deleted Service (the GC would too, but Endpoints carry no owner).
      if (existing) {
        try {
          await ctx.client.request('DELETE', objectPath(Resources.Endpoints, namespace, name));
        } catch (e: unknown) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
      return 'done';
    }
    if (!spec(svc).selector || Object.keys(rec(spec(svc).selector)).length === 0) return 'done';
    const subsets = endpointSubsets(svc, pods.lister.listNamespace(namespace));
    const labels = serviceLabels(svc);
    if (existing && canonicalJson(arr(existing.subsets)) === canonicalJson(subsets) && canonicalJson(existing.metadata.labels ?? {}) === canonicalJson(labels)) return 'done';
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: {
        name,
        namespace,
        labels,
        annotations: { ...(existing?.metadata.annotations ?? {}), [TRIGGER_TIME_ANNOTATION]: isoNow() },
        ...(existing ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
    };
    if (subsets.length) body.subsets = subsets;
    try {
      if (existing) await ctx.client.request('PUT', objectPath(Resources.Endpoints, namespace, name), { body });
      else await ctx.client.request('POST', collectionPath(Resources.Endpoints, namespace), { body });
    } catch (e: unknown) {
      // Created by someone else meanwhile: the informer will bring it and requeue.
      if (!(e instanceof ApiError && e.code === 409)) throw e;
      return { requeueAfter: 200 };
    }
    return 'done';
  };

  const c = controller('endpoints-controller', services)
    .watches(pods, (p) => servicesSelecting(services.lister.listNamespace(p.metadata.namespace ?? ''), p))
    .watches(endpoints, (e) => `${e.metadata.namespace}/${e.metadata.name}`);
  ctx.run('endpoints', c.run(reconcile, { workers: 2, signal: ctx.signal, log: ctx.log }));
}

export function registerEndpointSlice(ctx: ControllerContext): void {
  const services = ctx.informers.informerOf(Resources.Service);
  const pods = ctx.informers.informerOf(Resources.Pod);
  const nodes = ctx.informers.informerOf(Resources.Node);
  const slices = ctx.informers.informerOf(Resources.EndpointSlice);
  const zoneOf = (node: string): string | undefined => nodes.lister.get(node)?.metadata.labels?.['topology.kubernetes.io/zone'];

  const reconcile = async (key: string): Promise<Action> => {
    const { namespace, name } = splitKey(key);
    const svc = services.lister.get(key);
    const mine = slices.lister.listNamespace(namespace).filter((s) => s.metadata.labels?.[SERVICE_NAME_LABEL] === name && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
    // A deleted Service's slices go with it through their owner reference (garbage collector).
    if (!svc || !spec(svc).selector || Object.keys(rec(spec(svc).selector)).length === 0 || spec(svc).type === 'ExternalName') return 'done';
    let desired: SliceContent[] = sliceContents(svc, pods.lister.listNamespace(namespace), zoneOf);
    // With no endpoints, one placeholder slice stays, as upstream keeps.
    if (desired.length === 0) desired = [{ ports: [], endpoints: [] }];
    const labels = { ...serviceLabels(svc), [SERVICE_NAME_LABEL]: name, [MANAGED_BY_LABEL]: MANAGED_BY };
    const owner = { apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid!, controller: true, blockOwnerDeletion: true };
    const contentOf = (s: KubeObject): string => canonicalJson({ ports: arr(s.ports), endpoints: arr(s.endpoints) });
    const wanted = (d: SliceContent): string => canonicalJson({ ports: d.ports, endpoints: d.endpoints });
    const stale = mine.filter((s) => s.metadata.ownerReferences?.some((r) => r.uid === svc.metadata.uid));
    const orphans = mine.filter((s) => !stale.includes(s));
    const unmatched: SliceContent[] = [];
    const keep = new Set<KubeObject>();
    for (const d of desired) {
      const same = stale.find((s) => !keep.has(s) && contentOf(s) === wanted(d) && canonicalJson(s.metadata.labels ?? {}) === canonicalJson(labels));
      if (same) keep.add(same);
      else unmatched.push(d);
    }
    const reusable = stale.filter((s) => !keep.has(s));
    for (const d of unmatched) {
      const body: KubeObject = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { namespace, labels, annotations: { [TRIGGER_TIME_ANNOTATION]: isoNow() }, ownerReferences: [owner] },
        addressType: 'IPv4',
        // An empty list reads back as null from upstream's protobuf storage: the placeholder slice shows null.
        endpoints: d.endpoints.length ? d.endpoints : null,
        ports: d.ports.length ? d.ports : null,
      };
      const reuse = reusable.shift();
      if (reuse) {
        body.metadata = { ...body.metadata, name: reuse.metadata.name, resourceVersion: reuse.metadata.resourceVersion, generateName: reuse.metadata.generateName };
        await ctx.client.request('PUT', objectPath(Resources.EndpointSlice, namespace, reuse.metadata.name!), { body });
      } else {
        body.metadata.generateName = `${name.slice(0, 57)}-`;
        await ctx.client.request('POST', collectionPath(Resources.EndpointSlice, namespace), { body });
      }
    }
    for (const s of [...reusable, ...orphans]) {
      try {
        await ctx.client.request('DELETE', objectPath(Resources.EndpointSlice, namespace, s.metadata.name!));
      } catch (e: unknown) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return 'done';
  };

  const c = controller('endpointslice-controller', services)
    .watches(pods, (p) => servicesSelecting(services.lister.listNamespace(p.metadata.namespace ?? ''), p))
    .watches(slices, (s: KubeObject) => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      return svc && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY ? `${s.metadata.namespace}/${svc}` : undefined;
    });
  ctx.run('endpointslice', c.run(reconcile, { workers: 2, signal: ctx.signal, log: ctx.log }));
}
