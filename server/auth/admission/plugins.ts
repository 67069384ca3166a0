// Built-in admission plugins: NamespaceLifecycle, ServiceAccount, DefaultTolerationSeconds, Priority.
import * as errors from '../../http/errors.ts';
import type { GenericStore } from '../../registry/store.ts';
import type { Catalogue } from '../../registry/catalogue.ts';
import type { KubeObject, ResourceDef } from '../../registry/types.ts';
import { generateName } from '../../registry/store.ts';
import type { WatchCache } from '../../registry/watch-cache.ts';
import { PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER } from '../../registry/volumes.ts';
import { forbiddenFor } from '../authorizer.ts';
import type { AdmissionAttributes, AdmissionPlugin } from './types.ts';

/** admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`. */
export function admissionForbidden(a: AdmissionAttributes, why: string): errors.ApiError {
  return forbiddenFor({ group: a.def.group, resource: a.def.plural }, a.object.metadata.name ?? a.name, why);
}

async function tryGet(store: GenericStore, def: ResourceDef | undefined, namespace: string, name: string): Promise<KubeObject | undefined> {
  if (!def) return undefined;
  try {
    return await store.get(def, namespace, name);
  } catch (e: unknown) {
    if (e instanceof errors.ApiError && e.code === 404) return undefined;
    throw e;
  }
}

/** Resources that may be created in a terminating namespace (upstream's access-review exemptions). */
const TERMINATING_EXEMPT = new Set(['subjectaccessreviews', 'localsubjectaccessreviews', 'selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'tokenreviews', 'events']);

/** Namespaces the API server itself keeps; deleting them is refused (upstream's immortal namespaces). */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/**
 * NamespaceLifecycle: the system namespaces cannot be deleted (403); nothing new in a missing namespace (404) or
 * in one being deleted (403). Namespaces are read from the watch cache; a miss (a namespace created a moment
 * ago) is confirmed with a live read, as upstream.
 */
export function namespaceLifecycle(store: GenericStore, namespaces: WatchCache): AdmissionPlugin {
  return {
    name: 'NamespaceLifecycle',
    operations: ['CREATE', 'DELETE'],
    async validate(a) {
      if (a.operation === 'DELETE') {
        if (a.def === namespaces.def && IMMORTAL_NAMESPACES.has(a.name)) throw admissionForbidden(a, 'this namespace may not be deleted');
        return;
      }
      // An eviction only ever removes content, so a terminating namespace does not refuse it.
      if (!a.def.namespaced || !a.namespace || a.subresource === 'eviction') return;
      const ns = namespaces.get('', a.namespace) ?? await tryGet(store, namespaces.def, '', a.namespace);
      if (!ns) throw new errors.ApiError(404, 'NotFound', `namespaces "${a.namespace}" not found`, { name: a.namespace, kind: 'namespaces' });
      const terminating = !!ns.metadata.deletionTimestamp || (ns.status as { phase?: string } | undefined)?.phase === 'Terminating';
      if (terminating && !TERMINATING_EXEMPT.has(a.def.plural)) {
        throw admissionForbidden(a, `unable to create new content in namespace ${a.namespace} because it is being terminated`);
      }
    },
  };
}

export const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_EXPIRATION_SECONDS = 3607;

type Rec = Record<string, unknown>;
const recs = (v: unknown): Rec[] => (Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as Rec[]) : []);

function isPodCreate(a: AdmissionAttributes): boolean {
  return a.operation === 'CREATE' && a.def.group === '' && a.def.plural === 'pods' && !a.subresource;
}

/**
 * ServiceAccount: defaults `serviceAccountName` to `default`, rejects pods whose service account does not exist
 * (waiting briefly for the service-account controller in a namespace that was just created), copies its
 * imagePullSecrets, and mounts the projected `kube-api-access-<random>` volume (bound token, kube-root-ca.crt,
 * namespace) into every container, as upstream.
 */
export function serviceAccountAdmission(store: GenericStore, catalogue: Catalogue, opts: { waitMs?: number; require?: boolean } = {}): AdmissionPlugin {
  const serviceaccounts = catalogue.find('', 'v1', 'serviceaccounts');
  return {
    name: 'ServiceAccount',
    async mutate(a) {
      if (!isPodCreate(a)) return;
      const pod = a.object;
      if (pod.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) return;
      const spec = (pod.spec ??= {}) as Rec;
      if (typeof spec.serviceAccountName !== 'string' || !spec.serviceAccountName) {
        spec.serviceAccountName = typeof spec.serviceAccount === 'string' && spec.serviceAccount ? spec.serviceAccount : 'default';
      }
      const saName = spec.serviceAccountName as string;
      let sa = await tryGet(store, serviceaccounts, a.namespace, saName);
      // Without require (an API server run without a controller manager, e.g. in tests) a missing service
      // account only means no token is mounted.
      if (!sa && opts.require === false) return;
      const deadline = Date.now() + (opts.waitMs ?? 2000);
      while (!sa && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        sa = await tryGet(store, serviceaccounts, a.namespace, saName);
      }
      if (!sa) throw admissionForbidden(a, `error looking up service account ${a.namespace}/${saName}: serviceaccount "${saName}" not found`);
      if (recs(spec.imagePullSecrets).length === 0 && recs(sa.imagePullSecrets).length > 0) spec.imagePullSecrets = structuredClone(sa.imagePullSecrets);
      const automount = spec.automountServiceAccountToken ?? sa.automountServiceAccountToken ?? true;
      if (automount === false) return;
      const volumes = (Array.isArray(spec.volumes) ? spec.volumes : (spec.volumes = [])) as Rec[];
      let volumeName = '';
      const existing = volumes.find((v) => typeof v.name === 'string' && v.name.startsWith('kube-api-access-'));
      if (existing) volumeName = existing.name as string;
      const containers = [...recs(spec.initContainers), ...recs(spec.containers)];
      const needsMount = containers.filter((c) => !recs(c.volumeMounts).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT));
      if (needsMount.length === 0) return;
      if (!volumeName) {
        const taken = new Set(volumes.map((v) => v.name));
        do volumeName = generateName('kube-api-access-');
        while (taken.has(volumeName));
        volumes.push({
          name: volumeName,
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: TOKEN_EXPIRATION_SECONDS, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
            defaultMode: 420,
          },
        });
      }
      for (const c of needsMount) {
        const mounts = (Array.isArray(c.volumeMounts) ? c.volumeMounts : (c.volumeMounts = [])) as Rec[];
        mounts.push({ name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT });
      }
    },
  };
}

const NOT_READY = 'node.kubernetes.io/not-ready';
const UNREACHABLE = 'node.kubernetes.io/unreachable';

/** DefaultTolerationSeconds: pods tolerate not-ready and unreachable nodes for 300 s unless they say otherwise. */
export function defaultTolerationSeconds(seconds = 300): AdmissionPlugin {
  return {
    name: 'DefaultTolerationSeconds',
    mutate(a) {
      if (!isPodCreate(a)) return;
      const spec = (a.object.spec ??= {}) as Rec;
      const tolerations = recs(spec.tolerations);
      const covers = (key: string): boolean => tolerations.some((t) => (t.key === key || !t.key) && (t.effect === 'NoExecute' || !t.effect));
      const add: Rec[] = [];
      if (!covers(NOT_READY)) add.push({ key: NOT_READY, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
      if (!covers(UNREACHABLE)) add.push({ key: UNREACHABLE, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds });
      if (add.length) spec.tolerations = [...(Array.isArray(spec.tolerations) ? spec.tolerations : []), ...add];
    },
  };
}

/** Priority: priorityClassName → spec.priority and preemptionPolicy; the global default class when none is named. */
export function priorityAdmission(store: GenericStore, catalogue: Catalogue): AdmissionPlugin {
  const classes = catalogue.find('scheduling.k8s.io', 'v1', 'priorityclasses');
  return {
    name: 'Priority',
    async mutate(a) {
      if (!isPodCreate(a) || !classes) return;
      const spec = (a.object.spec ??= {}) as Rec;
      let pc: KubeObject | undefined;
      const name = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
      if (name) {
        pc = await tryGet(store, classes, '', name);
        if (!pc) throw admissionForbidden(a, `no PriorityClass with name ${name} was found`);
      } else {
        const all = await store.list(classes, '', {});
        pc = all.items.find((c) => c.globalDefault === true);
        if (pc) spec.priorityClassName = pc.metadata.name;
      }
      const value = typeof pc?.value === 'number' ? pc.value : 0;
      if (typeof spec.priority === 'number' && spec.priority !== value) {
        throw admissionForbidden(a, `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${value} from the given PriorityClass name`);
      }
      spec.priority = value;
      spec.preemptionPolicy ??= pc?.preemptionPolicy ?? 'PreemptLowerPriority';
    },
  };
}

/**
 * StorageObjectInUseProtection: every new PersistentVolumeClaim and PersistentVolume gets its protection finalizer,
 * which the pvc-protection and pv-protection controllers remove once the claim is unused by pods / the volume unbound.
 */
export function storageObjectInUseProtection(): AdmissionPlugin {
  return {
    name: 'StorageObjectInUseProtection',
    operations: ['CREATE'],
    mutate(a) {
      if (a.def.group !== '' || a.subresource) return;
      const finalizer = a.def.plural === 'persistentvolumeclaims' ? PVC_PROTECTION_FINALIZER : a.def.plural === 'persistentvolumes' ? PV_PROTECTION_FINALIZER : undefined;
      if (!finalizer) return;
      const finalizers = a.object.metadata.finalizers ?? [];
      if (!finalizers.includes(finalizer)) a.object.metadata.finalizers = [...finalizers, finalizer];
    },
  };
}
