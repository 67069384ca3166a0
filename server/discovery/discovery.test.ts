import { describe, expect, it } from 'vitest';
import { DiscoveryService } from './discovery.ts';
import { FIXTURE } from './fixture-catalogue.ts';
import { decodeOpenAPIV2 } from './openapi-v2-proto.ts';
import { GIT_VERSION, KUBE_VERSION, versionInfo } from './version.ts';

const KUBECTL_ACCEPT =
  'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
const service = new DiscoveryService(FIXTURE);

describe('/version', () => {
  it('reports 1.33 so the kubectl dispatcher picks kubectl 1.33', () => {
    const info = versionInfo();
    expect(KUBE_VERSION.minor).toBe(33);
    expect(info).toMatchObject({ major: '1', minor: '33', gitVersion: 'v1.33.0', gitTreeState: 'clean', compiler: 'gc', platform: 'linux/amd64' });
    expect(info.goVersion).toMatch(/^go1\.\d+/);
    expect(Object.keys(info)).toEqual([
      'major', 'minor', 'emulationMajor', 'emulationMinor', 'minCompatibilityMajor', 'minCompatibilityMinor',
      'gitVersion', 'gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform',
    ]);
    expect(JSON.parse(service.version().body).gitVersion).toBe(GIT_VERSION);
  });
});

describe('discovery responses', () => {
  it('answers kubectl with aggregated v2, echoing the upstream Content-Type, and 304 on a matching ETag', () => {
    const r = service.root('apis', KUBECTL_ACCEPT, '127.0.0.1:6443');
    expect(r.status).toBe(200);
    expect(r.headers['Content-Type']).toBe('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList');
    expect(r.headers).toMatchObject({ Vary: 'Accept', 'Cache-Control': 'public' });
    expect(JSON.parse(r.body).kind).toBe('APIGroupDiscoveryList');
    const again = service.root('apis', KUBECTL_ACCEPT, '127.0.0.1:6443', r.headers.ETag);
    expect(again).toMatchObject({ status: 304, body: '' });
  });

  it('falls back to APIVersions for a plain JSON client', () => {
    const r = service.root('api', 'application/json, */*', '127.0.0.1:6443');
    expect(r.headers['Content-Type']).toBe('application/json');
    expect(JSON.parse(r.body)).toEqual({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1:6443' }] });
  });

  it('answers 406 when no JSON is acceptable', () => {
    expect(service.root('api', 'application/vnd.kubernetes.protobuf', 'x').status).toBe(406);
  });

  it('leaves unknown groups and group-versions to the caller (404)', () => {
    expect(service.group('nope.example.com')).toBeUndefined();
    expect(service.resources('apps', 'v9')).toBeUndefined();
    expect(JSON.parse(service.resources('', 'v1')!.body).kind).toBe('APIResourceList');
  });
});

describe('OpenAPI responses', () => {
  it('answers the protobuf-only /openapi/v2 Accept kubectl sends with gnostic protobuf under the JSON ETag', () => {
    const r = service.openAPIV2('application/json');
    expect(r).toMatchObject({ status: 200, headers: { 'Content-Type': 'application/json' } });
    expect(service.openAPIV2('application/json', r.headers.ETag).status).toBe(304);
    const pb = service.openAPIV2('application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
    expect(pb).toMatchObject({ status: 200, headers: { 'Content-Type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf', ETag: r.headers.ETag, Vary: 'Accept' } });
    expect(decodeOpenAPIV2(pb.body as Uint8Array)).toEqual(JSON.parse(r.body as string));
    expect(service.openAPIV2('application/com.github.proto-openapi.spec.v2.v1.0+protobuf', r.headers.ETag)).toMatchObject({ status: 304, body: '' });
    expect(service.openAPIV2('text/plain').status).toBe(406);
  });

  it('serves a hashed v3 document immutably, redirects a stale hash and honours If-None-Match', () => {
    const index = JSON.parse(service.openAPIV3Index().body) as { paths: Record<string, { serverRelativeURL: string }> };
    const url = new URL(index.paths['apis/apps/v1']!.serverRelativeURL, 'https://x');
    const hash = url.searchParams.get('hash')!;
    const now = new Date('2025-01-01T00:00:00Z');
    const ok = service.openAPIV3('apis/apps/v1', hash, 'application/json', undefined, now)!;
    expect(ok.status).toBe(200);
    expect(ok.headers).toMatchObject({ 'Content-Type': 'application/json', ETag: `"${hash}"`, 'Cache-Control': 'public, immutable', Expires: 'Thu, 01 Jan 2026 00:00:00 GMT' });
    expect(service.openAPIV3('apis/apps/v1', 'STALE', 'application/json')).toMatchObject({ status: 301, headers: { Location: `/openapi/v3/apis/apps/v1?hash=${hash}` } });
    expect(service.openAPIV3('apis/apps/v1', undefined, 'application/json', `"${hash}"`)!.status).toBe(304);
    expect(service.openAPIV3('apis/apps/v1', undefined, 'application/json')!.headers).not.toHaveProperty('Cache-Control');
    expect(service.openAPIV3('apis/apps/v1', undefined, 'application/com.github.proto-openapi.spec.v3@v1.0+protobuf')!.status).toBe(406);
    expect(service.openAPIV3('apis/nope/v1', undefined, 'application/json')).toBeUndefined();
  });
});
