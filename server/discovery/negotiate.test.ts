import { describe, expect, it } from 'vitest';
import { canServeOpenAPIJSON, negotiateDiscovery, negotiateOpenAPI, parseAccept } from './negotiate.ts';

const V2 = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const V2BETA1 = 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList';

describe('discovery negotiation', () => {
  it.each([
    ['kubectl 1.30+ (v2, v2beta1, json)', `${V2},${V2BETA1},application/json`, 'v2', V2],
    ['kubectl 1.27-1.29 (v2beta1, json)', `${V2BETA1},application/json`, 'v2beta1', V2BETA1],
    ['client-go nopeer profile first', `${V2};profile=nopeer,${V2},application/json`, 'v2', V2],
    ['plain JSON', 'application/json', 'legacy', 'application/json'],
    ['kubectl get --raw default', 'application/json, */*', 'legacy', 'application/json'],
    ['no Accept header', undefined, 'legacy', 'application/json'],
    ['parameter order does not matter', 'application/json;as=APIGroupDiscoveryList;v=v2;g=apidiscovery.k8s.io', 'v2', V2],
    ['q prefers the later clause', `${V2};q=0.5,application/json`, 'legacy', 'application/json'],
    ['an unknown conversion falls through to the next clause', `application/json;g=meta.k8s.io;v=v1;as=Table,${V2}`, 'v2', V2],
    ['protobuf first, JSON next', `application/vnd.kubernetes.protobuf,${V2}`, 'v2', V2],
  ])('%s', (_name, accept, format, contentType) => {
    expect(negotiateDiscovery(accept)).toEqual({ format, contentType });
  });

  it('answers nothing (406) when only protobuf or yaml is acceptable', () => {
    expect(negotiateDiscovery('application/vnd.kubernetes.protobuf')).toBeUndefined();
    expect(negotiateDiscovery('application/yaml')).toBeUndefined();
  });
});

describe('OpenAPI negotiation', () => {
  it('gives protobuf, never JSON, to the Accept kubectl sends for /openapi/v2', () => {
    const accept = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
    expect(negotiateOpenAPI(accept, 'v2')).toEqual({ format: 'protobuf', contentType: 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf' });
    expect(canServeOpenAPIJSON(accept, 'v2')).toBe(false);
  });

  it.each([
    ['application/json', 'v2', true],
    ['*/*', 'v2', true],
    [undefined, 'v3', true],
    ['application/json, */*', 'v3', true],
    ['application/com.github.proto-openapi.spec.v3@v1.0+protobuf', 'v3', false],
    ['text/plain', 'v3', false],
  ] as const)('JSON for %s on %s: %s', (accept, which, ok) => {
    expect(canServeOpenAPIJSON(accept, which)).toBe(ok);
  });

  it('answers nothing (406) for an Accept it cannot meet', () => {
    expect(negotiateOpenAPI('text/plain', 'v2')).toBeUndefined();
  });
});

describe('Accept parsing', () => {
  it('orders by q, then concrete types before wildcards, keeping the client order otherwise', () => {
    const order = parseAccept('*/*;q=0.8, application/*, text/html, application/json;q=0.9').map((c) => `${c.type}/${c.subType}`);
    expect(order).toEqual(['text/html', 'application/*', 'application/json', '*/*']);
  });
});
