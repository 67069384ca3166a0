// Kubernetes protobuf request decoding: the public surface of server/protobuf.
export { decodeKubeProtobuf, KUBE_PROTOBUF_MAGIC, type KubeObject } from './decode.ts';
export { decodeRequestBody, isProtobufContentType, PROTOBUF_MEDIA_TYPE } from './http.ts';
export { ProtobufDecodeError } from './wire.ts';
