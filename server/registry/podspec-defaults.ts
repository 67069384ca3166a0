// Server-side defaults of PodSpec and PodTemplateSpec as upstream's SetDefaults_PodSpec / _Container / _Volume / _Probe.
import { arr, child, defaultString, defaultValue, isObj, obj, records, str, type Obj } from './object.ts';
import { canonicalizeResourceList, canonicalQuantity } from './quantity.ts';

/** Default file mode of secret, configMap, downwardAPI and projected volumes (0644). */
export const DEFAULT_MODE = 420;

/**
 * SetDefaults_Container's image pull policy: `Always` when the tag is `latest` or there is neither a tag
 * nor a digest, else `IfNotPresent`.
 */
export function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  if (!image) return 'IfNotPresent';
  const at = image.indexOf('@');
  const beforeDigest = at >= 0 ? image.slice(0, at) : image;
  const lastSlash = beforeDigest.lastIndexOf('/');
  const colon = beforeDigest.lastIndexOf(':');
  const tag = colon > lastSlash ? beforeDigest.slice(colon + 1) : '';
  if (tag === '') return at >= 0 ? 'IfNotPresent' : 'Always';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultHTTPGet(handler: Obj | undefined): void {
  const httpGet = obj(handler?.httpGet);
  if (!httpGet) return;
  defaultString(httpGet, 'path', '/');
  defaultString(httpGet, 'scheme', 'HTTP');
}

function defaultProbe(probe: unknown): void {
  const p = obj(probe);
  if (!p) return;
  defaultValue(p, 'timeoutSeconds', 1);
  defaultValue(p, 'periodSeconds', 10);
  defaultValue(p, 'successThreshold', 1);
  defaultValue(p, 'failureThreshold', 3);
  defaultHTTPGet(p);
}

function defaultFieldRef(holder: Obj | undefined): void {
  const fieldRef = obj(holder?.fieldRef);
  if (fieldRef) defaultString(fieldRef, 'apiVersion', 'v1');
}

/** SetDefaults_Container and the defaults of its nested types. */
export function defaultContainer(c: Obj): void {
  if (c.imagePullPolicy === undefined || c.imagePullPolicy === null || c.imagePullPolicy === '') c.imagePullPolicy = defaultPullPolicy(str(c.image));
  defaultString(c, 'terminationMessagePath', '/dev/termination-log');
  defaultString(c, 'terminationMessagePolicy', 'File');
  // ResourceRequirements is a struct upstream: it always serializes, as `resources: {}` when empty.
  if (!isObj(c.resources)) c.resources = {};
  canonicalizeResourceList(obj(c.resources)?.requests);
  canonicalizeResourceList(obj(c.resources)?.limits);
  for (const port of records(c.ports)) defaultString(port, 'protocol', 'TCP');
  for (const env of records(c.env)) defaultFieldRef(obj(env.valueFrom));
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  const lifecycle = obj(c.lifecycle);
  if (lifecycle) {
    defaultHTTPGet(obj(lifecycle.postStart));
    defaultHTTPGet(obj(lifecycle.preStop));
  }
}

const VOLUME_SOURCES = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos', 'csi',
  'ephemeral', 'image',
] as const;

/** Every volume source field name of core/v1 VolumeSource. */
export const VOLUME_SOURCE_FIELDS: readonly string[] = VOLUME_SOURCES;

/** SetDefaults_Volume and the defaults of the common sources. */
export function defaultVolume(v: Obj): void {
  if (!VOLUME_SOURCES.some((s) => v[s] !== undefined && v[s] !== null)) v.emptyDir = {};
  for (const s of ['secret', 'configMap', 'downwardAPI', 'projected'] as const) {
    const src = obj(v[s]);
    if (src) defaultValue(src, 'defaultMode', DEFAULT_MODE);
  }
  const emptyDir = obj(v.emptyDir);
  if (emptyDir && emptyDir.sizeLimit !== undefined) emptyDir.sizeLimit = canonicalQuantity(emptyDir.sizeLimit) ?? emptyDir.sizeLimit;
  const hostPath = obj(v.hostPath);
  if (hostPath) defaultValue(hostPath, 'type', '');
  for (const item of records(obj(v.downwardAPI)?.items)) defaultFieldRef(item);
  for (const source of records(obj(v.projected)?.sources)) {
    for (const item of records(obj(source.downwardAPI)?.items)) defaultFieldRef(item);
    const token = obj(source.serviceAccountToken);
    if (token) defaultValue(token, 'expirationSeconds', 3600);
  }
  const image = obj(v.image);
  if (image && (image.pullPolicy === undefined || image.pullPolicy === '')) image.pullPolicy = defaultPullPolicy(str(image.reference));
}

/** SetDefaults_PodSpec plus the defaults of its containers and volumes (shared by pods and pod templates). */
export function defaultPodSpec(spec: Obj): void {
  defaultString(spec, 'dnsPolicy', 'ClusterFirst');
  defaultString(spec, 'restartPolicy', 'Always');
  if (!isObj(spec.securityContext)) spec.securityContext = {};
  defaultValue(spec, 'terminationGracePeriodSeconds', 30);
  defaultString(spec, 'schedulerName', 'default-scheduler');
  for (const c of records(spec.containers)) defaultContainer(c);
  for (const c of records(spec.initContainers)) defaultContainer(c);
  for (const c of records(spec.ephemeralContainers)) defaultContainer(c);
  for (const v of records(spec.volumes)) defaultVolume(v);
  canonicalizeResourceList(spec.overhead);
  const podResources = obj(spec.resources);
  if (podResources) {
    canonicalizeResourceList(podResources.requests);
    canonicalizeResourceList(podResources.limits);
  }
}

/**
 * SetDefaults_Pod's extras that apply to pods only (not to templates): enableServiceLinks, requests
 * copied from limits, and hostPort = containerPort on the host network.
 */
export function defaultPodOnly(spec: Obj): void {
  defaultValue(spec, 'enableServiceLinks', true);
  for (const c of [...records(spec.containers), ...records(spec.initContainers)]) {
    const resources = child(c, 'resources');
    const limits = obj(resources.limits);
    if (!limits) continue;
    const requests = child(resources, 'requests');
    for (const [k, v] of Object.entries(limits)) if (requests[k] === undefined) requests[k] = v;
  }
  if (spec.hostNetwork === true) {
    for (const c of [...records(spec.containers), ...records(spec.initContainers)]) {
      for (const port of records(c.ports)) if (!port.hostPort) port.hostPort = port.containerPort;
    }
  }
}

/**
 * A pod template as upstream serializes it: defaulted spec, and `metadata.creationTimestamp: null`
 * (a Go zero time always printed). Creates `spec` when missing so that later validation can report it.
 */
export function defaultPodTemplate(template: unknown): void {
  const t = obj(template);
  if (!t) return;
  const meta = child(t, 'metadata');
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  defaultPodSpec(child(t, 'spec'));
}

/** The containers of every kind in a pod spec, with their field path. */
export function allContainers(spec: unknown, base: string): { c: Obj; path: string; init: boolean }[] {
  const s = obj(spec);
  if (!s) return [];
  const out: { c: Obj; path: string; init: boolean }[] = [];
  arr(s.initContainers).forEach((c, i) => isObj(c) && out.push({ c, path: `${base}.initContainers[${i}]`, init: true }));
  arr(s.containers).forEach((c, i) => isObj(c) && out.push({ c, path: `${base}.containers[${i}]`, init: false }));
  return out;
}
