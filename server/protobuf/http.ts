// HTTP glue: a request body sent as application/vnd.kubernetes.protobuf, decoded to JSON or turned into a Status error.
import * as errors from '../http/errors.ts';
import { decodeKubeProtobuf, type KubeObject } from './decode.ts';
import { ProtobufDecodeError } from './wire.ts';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** True when a Content-Type header names Kubernetes protobuf (parameters ignored). */
export function isProtobufContentType(contentType: string | undefined): boolean {
  return (contentType ?? '').split(';')[0].trim().toLowerCase() === PROTOBUF_MEDIA_TYPE;
}

/**
 * Decodes a protobuf request body into the JSON object a JSON client would have sent (apiVersion and kind
 * included). Throws ApiError: 415 UnsupportedMediaType when the content type is not protobuf or the kind/message
 * is outside our schema (the message names what is missing), 400 BadRequest for malformed protobuf.
 */
export function decodeRequestBody(body: Uint8Array, contentType: string | undefined, expected?: { apiVersion: string; kind: string }): KubeObject {
  if (!isProtobufContentType(contentType)) throw errors.unsupportedMediaType(contentType ?? '', [PROTOBUF_MEDIA_TYPE]);
  try {
    return decodeKubeProtobuf(body, expected);
  } catch (e: unknown) {
    if (!(e instanceof ProtobufDecodeError)) throw e;
    if (e.unsupported) throw new errors.ApiError(415, 'UnsupportedMediaType', e.message, undefined, e);
    throw errors.badRequest(e.message);
  }
}
