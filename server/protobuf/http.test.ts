import { describe, expect, it } from 'vitest';
import { ApiError } from '../http/errors.ts';
import { decodeBody } from '../http/negotiate.ts';
import { decodeRequestBody, isProtobufContentType } from './http.ts';
import { kube, msg, str } from './test-encode.ts';

const namespace = kube('v1', 'Namespace', msg(1, str(1, 'x')));

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e: unknown) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  throw new Error('expected an ApiError');
}

describe('decodeRequestBody', () => {
  it('decodes a protobuf body into the JSON object', () => {
    expect(decodeRequestBody(namespace, 'application/vnd.kubernetes.protobuf')).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', creationTimestamp: null }, spec: {}, status: {} });
  });

  it('recognises the media type with parameters and any case', () => {
    expect(isProtobufContentType('Application/Vnd.Kubernetes.Protobuf; charset=binary')).toBe(true);
    expect(isProtobufContentType('application/json')).toBe(false);
    expect(isProtobufContentType(undefined)).toBe(false);
  });

  it('answers 415 naming the message for a kind outside the schema', () => {
    const e = apiError(() => decodeRequestBody(kube('example.com/v1', 'Widget'), 'application/vnd.kubernetes.protobuf'));
    expect(e.code).toBe(415);
    expect(e.reason).toBe('UnsupportedMediaType');
    expect(e.message).toContain('Kind=Widget');
  });

  it('answers 400 for malformed protobuf', () => {
    const e = apiError(() => decodeRequestBody(Buffer.from('k8s\0\x0a\x7f', 'latin1'), 'application/vnd.kubernetes.protobuf'));
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
  });

  it('answers 415 when the content type is not protobuf', () => {
    expect(apiError(() => decodeRequestBody(namespace, 'application/json')).code).toBe(415);
  });
});

describe('negotiate.decodeBody with protobuf', () => {
  it('decodes protobuf when the handler accepts it', () => {
    expect(decodeBody(namespace, 'application/vnd.kubernetes.protobuf', ['application/json', 'application/vnd.kubernetes.protobuf'])).toMatchObject({ kind: 'Namespace', metadata: { name: 'x' } });
  });

  it('still answers 415 when the handler does not accept protobuf', () => {
    expect(apiError(() => decodeBody(namespace, 'application/vnd.kubernetes.protobuf', ['application/json'])).code).toBe(415);
  });
});
