// Validation of PodSpec and PodTemplateSpec: the important rules of upstream's ValidatePodSpec, same fields and texts.
import type { FieldError } from './types.ts';
import { arr, obj, str, type Obj } from './object.ts';
import { validateAnnotations, validateLabels } from './meta-validation.ts';
import { parseQuantity } from './quantity.ts';
import { VOLUME_SOURCE_FIELDS } from './podspec-defaults.ts';
import {
  duplicate,
  forbidden,
  fp,
  idx,
  inclusiveRangeError,
  invalid,
  isConfigMapKey,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isValidPortName,
  isValidPortNum,
  key,
  nonNegative,
  notFound,
  notSupported,
  required,
} from './validation.ts';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const PULL_POLICIES = ['Always', 'IfNotPresent', 'Never'];
const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
const TERMINATION_MESSAGE_POLICIES = ['File', 'FallbackToLogsOnError'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];
const MAX_INT32 = 2147483647;

function dns1123Label(field: string, value: string): FieldError[] {
  return isDNS1123Label(value).map((m) => invalid(field, value, m));
}

function dns1123Subdomain(field: string, value: string): FieldError[] {
  return isDNS1123Subdomain(value).map((m) => invalid(field, value, m));
}

function validateVolumes(volumes: unknown, field: string): { errs: FieldError[]; names: Set<string> } {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(volumes).forEach((raw, i) => {
    const path = idx(field, i);
    const v = obj(raw) ?? {};
    const name = str(v.name);
    if (!name) errs.push(required(fp(path, 'name')));
    else errs.push(...dns1123Label(fp(path, 'name'), name));
    if (name && names.has(name)) errs.push(duplicate(fp(path, 'name'), name));
    names.add(name);
    const sources = VOLUME_SOURCE_FIELDS.filter((s) => v[s] !== undefined && v[s] !== null);
    if (sources.length === 0) errs.push(required(path, 'must specify a volume type'));
    for (const extra of sources.slice(1)) errs.push(forbidden(fp(path, extra), 'may not specify more than 1 volume type'));
    const src = sources.length === 1 ? obj(v[sources[0]]) : undefined;
    const srcPath = sources.length === 1 ? fp(path, sources[0]) : '';
    if (src) {
      if (sources[0] === 'secret' && !str(src.secretName)) errs.push(required(fp(srcPath, 'secretName')));
      if (sources[0] === 'configMap' && !str(src.name)) errs.push(required(fp(srcPath, 'name')));
      if (sources[0] === 'persistentVolumeClaim' && !str(src.claimName)) errs.push(required(fp(srcPath, 'claimName')));
      if (sources[0] === 'hostPath' && !str(src.path)) errs.push(required(fp(srcPath, 'path')));
      if (sources[0] === 'nfs') {
        if (!str(src.server)) errs.push(required(fp(srcPath, 'server')));
        if (!str(src.path)) errs.push(required(fp(srcPath, 'path')));
      }
    }
  });
  return { errs, names };
}

function validatePorts(ports: unknown, field: string, hostNetwork: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  arr(ports).forEach((raw, i) => {
    const path = idx(field, i);
    const p = obj(raw) ?? {};
    const name = str(p.name);
    if (name) {
      for (const m of isValidPortName(name)) errs.push(invalid(fp(path, 'name'), name, m));
      if (names.has(name)) errs.push(duplicate(fp(path, 'name'), name));
      names.add(name);
    }
    const containerPort = p.containerPort;
    if (containerPort === undefined || containerPort === null || containerPort === 0) errs.push(required(fp(path, 'containerPort')));
    else for (const m of isValidPortNum(Number(containerPort))) errs.push(invalid(fp(path, 'containerPort'), containerPort, m));
    if (p.hostPort !== undefined && p.hostPort !== 0) {
      for (const m of isValidPortNum(Number(p.hostPort))) errs.push(invalid(fp(path, 'hostPort'), p.hostPort, m));
    }
    const protocol = str(p.protocol);
    if (!protocol) errs.push(required(fp(path, 'protocol')));
    else if (!PROTOCOLS.includes(protocol)) errs.push(notSupported(fp(path, 'protocol'), protocol, PROTOCOLS));
    if (hostNetwork && p.hostPort !== undefined && p.hostPort !== p.containerPort) {
      errs.push(invalid(fp(path, 'hostPort'), p.hostPort, 'must match `containerPort` when `hostNetwork` is true'));
    }
  });
  return errs;
}

function validateEnv(env: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(env).forEach((raw, i) => {
    const path = idx(field, i);
    const e = obj(raw) ?? {};
    const name = str(e.name);
    if (!name) errs.push(required(fp(path, 'name')));
    else for (const m of isEnvVarName(name)) errs.push(invalid(fp(path, 'name'), name, m));
    const from = obj(e.valueFrom);
    if (from) {
      const refs = ['fieldRef', 'resourceFieldRef', 'configMapKeyRef', 'secretKeyRef', 'fileKeyRef'].filter((k) => from[k] !== undefined && from[k] !== null);
      if (refs.length === 0) errs.push(invalid(fp(path, 'valueFrom'), '', 'must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`'));
      else if (refs.length > 1) errs.push(invalid(fp(path, 'valueFrom'), '', 'may not have more than one field specified at a time'));
      if (e.value !== undefined && e.value !== '') errs.push(invalid(fp(path, 'valueFrom'), '', 'may not be specified when `value` is not empty'));
      for (const k of ['configMapKeyRef', 'secretKeyRef'] as const) {
        const ref = obj(from[k]);
        if (!ref) continue;
        const keyValue = str(ref.key);
        if (!keyValue) errs.push(required(fp(path, 'valueFrom', k, 'key')));
        else for (const m of isConfigMapKey(keyValue)) errs.push(invalid(fp(path, 'valueFrom', k, 'key'), keyValue, m));
      }
    }
  });
  return errs;
}

function validateProbe(probe: unknown, field: string, mustSucceedOnce: boolean): FieldError[] {
  const p = obj(probe);
  if (!p) return [];
  const errs: FieldError[] = [];
  const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((k) => p[k] !== undefined && p[k] !== null);
  if (handlers.length === 0) errs.push(required(field, 'must specify a handler type'));
  for (const extra of handlers.slice(1)) errs.push(forbidden(fp(field, extra), 'may not specify more than 1 handler type'));
  for (const k of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    errs.push(...nonNegative(fp(field, k), p[k]));
  }
  if (mustSucceedOnce && p.successThreshold !== undefined && p.successThreshold !== 1) {
    errs.push(invalid(fp(field, 'successThreshold'), p.successThreshold, 'must be 1'));
  }
  return errs;
}

function validateResources(resources: unknown, field: string): FieldError[] {
  const r = obj(resources);
  if (!r) return [];
  const errs: FieldError[] = [];
  const limits = obj(r.limits) ?? {};
  const requests = obj(r.requests) ?? {};
  for (const [kind, map] of [['limits', limits], ['requests', requests]] as const) {
    for (const [name, q] of Object.entries(map)) {
      const v = parseQuantity(q);
      if (v !== undefined && v < 0n) errs.push(invalid(key(fp(field, kind), name), String(q), 'must be greater than or equal to 0'));
    }
  }
  for (const [name, q] of Object.entries(requests)) {
    if (!(name in limits)) continue;
    const req = parseQuantity(q);
    const lim = parseQuantity(limits[name]);
    if (req !== undefined && lim !== undefined && req > lim) {
      errs.push(invalid(key(fp(field, 'requests'), name), String(q), `must be less than or equal to ${name} limit of ${String(limits[name])}`));
    }
  }
  return errs;
}

function validateContainer(c: Obj, path: string, volumes: Set<string>, hostNetwork: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const image = str(c.image);
  if (!image) errs.push(required(fp(path, 'image')));
  else if (image.trim() !== image) errs.push(invalid(fp(path, 'image'), image, 'must not have leading or trailing whitespace'));
  const pull = str(c.imagePullPolicy);
  if (!pull) errs.push(required(fp(path, 'imagePullPolicy')));
  else if (!PULL_POLICIES.includes(pull)) errs.push(notSupported(fp(path, 'imagePullPolicy'), pull, PULL_POLICIES));
  const tmp = str(c.terminationMessagePolicy);
  if (!tmp) errs.push(required(fp(path, 'terminationMessagePolicy')));
  else if (!TERMINATION_MESSAGE_POLICIES.includes(tmp)) errs.push(notSupported(fp(path, 'terminationMessagePolicy'), tmp, TERMINATION_MESSAGE_POLICIES));
  errs.push(...validatePorts(c.ports, fp(path, 'ports'), hostNetwork));
  errs.push(...validateEnv(c.env, fp(path, 'env')));
  const mountPaths = new Set<string>();
  arr(c.volumeMounts).forEach((raw, i) => {
    const mp = idx(fp(path, 'volumeMounts'), i);
    const m = obj(raw) ?? {};
    const name = str(m.name);
    if (!name) errs.push(required(fp(mp, 'name')));
    else if (!volumes.has(name)) errs.push(notFound(fp(mp, 'name'), name));
    const mountPath = str(m.mountPath);
    if (!mountPath) errs.push(required(fp(mp, 'mountPath')));
    else if (mountPaths.has(mountPath)) errs.push(invalid(fp(mp, 'mountPath'), mountPath, 'must be unique'));
    mountPaths.add(mountPath);
  });
  errs.push(...validateResources(c.resources, fp(path, 'resources')));
  errs.push(...validateProbe(c.livenessProbe, fp(path, 'livenessProbe'), true));
  errs.push(...validateProbe(c.readinessProbe, fp(path, 'readinessProbe'), false));
  errs.push(...validateProbe(c.startupProbe, fp(path, 'startupProbe'), true));
  return errs;
}

function validateContainerList(list: unknown, field: string, names: Set<string>, volumes: Set<string>, hostNetwork: boolean): FieldError[] {
  const errs: FieldError[] = [];
  arr(list).forEach((raw, i) => {
    const path = idx(field, i);
    const c = obj(raw) ?? {};
    const name = str(c.name);
    if (!name) errs.push(required(fp(path, 'name')));
    else errs.push(...dns1123Label(fp(path, 'name'), name));
    if (name && names.has(name)) errs.push(duplicate(fp(path, 'name'), name));
    names.add(name);
    errs.push(...validateContainer(c, path, volumes, hostNetwork));
  });
  return errs;
}

function validateTolerations(tolerations: unknown, field: string): FieldError[] {
  const errs: FieldError[] = [];
  arr(tolerations).forEach((raw, i) => {
    const path = idx(field, i);
    const t = obj(raw) ?? {};
    const k = str(t.key);
    if (k) for (const m of isQualifiedName(k)) errs.push(invalid(fp(path, 'key'), k, m));
    const op = str(t.operator);
    if (!k && op !== 'Exists') errs.push(invalid(fp(path, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && t.effect !== 'NoExecute') {
      errs.push(invalid(fp(path, 'effect'), str(t.effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (op && !TOLERATION_OPERATORS.includes(op)) errs.push(notSupported(fp(path, 'operator'), op, TOLERATION_OPERATORS));
    if (op === 'Exists' && str(t.value) !== '') errs.push(invalid(fp(path, 'operator'), str(t.value), "value must be empty when `operator` is 'Exists'"));
    const effect = str(t.effect);
    if (effect && !TAINT_EFFECTS.includes(effect)) errs.push(notSupported(fp(path, 'effect'), effect, TAINT_EFFECTS));
  });
  return errs;
}

/** ValidatePodSpec (the important rules). `field` is the spec's path, e.g. `spec` or `spec.template.spec`. */
export function validatePodSpec(spec: unknown, field: string): FieldError[] {
  const s = obj(spec) ?? {};
  const errs: FieldError[] = [];
  const { errs: volumeErrs, names: volumes } = validateVolumes(s.volumes, fp(field, 'volumes'));
  errs.push(...volumeErrs);
  const hostNetwork = s.hostNetwork === true;
  const names = new Set<string>();
  if (arr(s.containers).length === 0) errs.push(required(fp(field, 'containers')));
  errs.push(...validateContainerList(s.containers, fp(field, 'containers'), names, volumes, hostNetwork));
  errs.push(...validateContainerList(s.initContainers, fp(field, 'initContainers'), names, volumes, hostNetwork));
  const restart = str(s.restartPolicy);
  if (!restart) errs.push(required(fp(field, 'restartPolicy')));
  else if (!RESTART_POLICIES.includes(restart)) errs.push(notSupported(fp(field, 'restartPolicy'), restart, RESTART_POLICIES));
  const dns = str(s.dnsPolicy);
  if (!dns) errs.push(required(fp(field, 'dnsPolicy')));
  else if (!DNS_POLICIES.includes(dns)) errs.push(notSupported(fp(field, 'dnsPolicy'), dns, DNS_POLICIES));
  errs.push(...validateLabels(s.nodeSelector, fp(field, 'nodeSelector')));
  const sa = str(s.serviceAccountName);
  if (sa) errs.push(...dns1123Subdomain(fp(field, 'serviceAccountName'), sa));
  const nodeName = str(s.nodeName);
  if (nodeName) errs.push(...dns1123Subdomain(fp(field, 'nodeName'), nodeName));
  const pcName = str(s.priorityClassName);
  if (pcName) errs.push(...dns1123Subdomain(fp(field, 'priorityClassName'), pcName));
  for (const k of ['hostname', 'subdomain'] as const) {
    const v = str(s[k]);
    if (v) errs.push(...dns1123Label(fp(field, k), v));
  }
  if (s.activeDeadlineSeconds !== undefined && s.activeDeadlineSeconds !== null) {
    const v = Number(s.activeDeadlineSeconds);
    if (!(v >= 1 && v <= MAX_INT32)) errs.push(invalid(fp(field, 'activeDeadlineSeconds'), s.activeDeadlineSeconds, inclusiveRangeError(1, MAX_INT32)));
  }
  errs.push(...validateTolerations(s.tolerations, fp(field, 'tolerations')));
  return errs;
}

/** ValidatePodTemplateSpec: labels and annotations (reported at `<field>.labels`, as upstream), then the spec. */
export function validatePodTemplateSpec(template: unknown, field: string): FieldError[] {
  const t = obj(template);
  if (!t) return [required(field)];
  const meta = obj(t.metadata) ?? {};
  const errs = [...validateLabels(meta.labels, fp(field, 'labels')), ...validateAnnotations(meta.annotations, fp(field, 'annotations'))];
  errs.push(...validatePodSpec(t.spec, fp(field, 'spec')));
  if (arr(obj(t.spec)?.ephemeralContainers).length > 0) {
    errs.push(forbidden(fp(field, 'spec', 'ephemeralContainers'), 'ephemeral containers not allowed in pod template'));
  }
  return errs;
}

/** The template's labels (for selector checks). */
export function templateLabels(template: unknown): Record<string, string> | undefined {
  const labels = obj(obj(obj(template)?.metadata)?.labels);
  if (!labels) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[k] = String(v);
  return out;
}

