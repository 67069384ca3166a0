import { describe, expect, it } from 'vitest';
import { parseRequestInfo } from './request-info.ts';

const q = (s = '') => new URLSearchParams(s);

describe('parseRequestInfo', () => {
  it.each([
    ['GET', '/api/v1/pods', '', { verb: 'list', group: '', version: 'v1', namespace: '', resource: 'pods', name: '' }],
    ['GET', '/api/v1/namespaces/default/pods', '', { verb: 'list', namespace: 'default', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/default/pods/x', '', { verb: 'get', namespace: 'default', resource: 'pods', name: 'x' }],
    ['GET', '/api/v1/namespaces/default/pods', 'watch=true', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/namespaces/default/pods', 'watch=1', { verb: 'watch', resource: 'pods' }],
    ['GET', '/api/v1/watch/namespaces/default/pods', '', { verb: 'watch', namespace: 'default', resource: 'pods' }],
    ['POST', '/apis/apps/v1/namespaces/ns/deployments', '', { verb: 'create', group: 'apps', resource: 'deployments' }],
    ['PUT', '/apis/apps/v1/namespaces/ns/deployments/d/scale', '', { verb: 'update', name: 'd', subresource: 'scale' }],
    ['PATCH', '/api/v1/namespaces/ns/pods/p/status', '', { verb: 'patch', subresource: 'status' }],
    ['DELETE', '/api/v1/namespaces/ns/configmaps', '', { verb: 'deletecollection', resource: 'configmaps' }],
    ['GET', '/api/v1/namespaces', '', { verb: 'list', resource: 'namespaces', name: '' }],
    ['GET', '/api/v1/namespaces/kube-system', '', { verb: 'get', resource: 'namespaces', name: 'kube-system', namespace: 'kube-system' }],
    ['PUT', '/api/v1/namespaces/x/status', '', { verb: 'update', resource: 'namespaces', name: 'x', subresource: 'status' }],
    ['PUT', '/api/v1/namespaces/x/finalize', '', { verb: 'update', resource: 'namespaces', name: 'x', subresource: 'finalize' }],
    ['GET', '/api/v1/nodes/n1/', '', { verb: 'get', resource: 'nodes', name: 'n1' }],
  ])('%s %s?%s', (method, path, query, want) => {
    const info = parseRequestInfo(method, path, q(query));
    expect(info.isResourceRequest).toBe(true);
    expect(info).toMatchObject(want);
  });

  it.each([['/api'], ['/apis'], ['/apis/apps'], ['/api/v1'], ['/apis/apps/v1'], ['/healthz'], ['/openapi/v3']])('%s is not a resource request', (path) => {
    expect(parseRequestInfo('GET', path, q()).isResourceRequest).toBe(false);
  });
});
