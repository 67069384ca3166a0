import { describe, expect, it } from 'vitest';
import { resources } from '../registry/index.ts';
import { FIXTURE } from './fixture-catalogue.ts';
import { buildOpenAPIV2 } from './openapi.ts';
import { decodeOpenAPIV2, encodeOpenAPIV2, gnosticDocumentType, toGnosticDocument } from './openapi-v2-proto.ts';

type Msg = { [field: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- walking decoded messages in assertions

const EXTRAS = { extraSubresources: ['pods/log', 'pods/exec', 'pods/eviction', 'serviceaccounts/token'] };
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('/openapi/v2 as gnostic protobuf', () => {
  it.each([
    ['the discovery fixture', FIXTURE],
    ['the served catalogue', resources],
  ])('carries every value of %s and decodes back to the same JSON', (_name, catalogue) => {
    const json = buildOpenAPIV2(catalogue, EXTRAS).body;
    expect(toGnosticDocument(JSON.parse(json)).dropped).toEqual([]);
    expect(decodeOpenAPIV2(encodeOpenAPIV2(json))).toEqual(JSON.parse(json));
  });

  // Field numbers are the wire contract with kubectl's gnostic types (github.com/google/gnostic-models openapiv2).
  it.each([
    ['Document', 'swagger', 1], ['Document', 'info', 2], ['Document', 'paths', 8], ['Document', 'definitions', 9],
    ['Document', 'security', 12], ['Document', 'security_definitions', 13], ['Document', 'vendor_extension', 16],
    ['Any', 'yaml', 2], ['NamedAny', 'name', 1], ['NamedAny', 'value', 2],
    ['Paths', 'vendor_extension', 1], ['Paths', 'path', 2], ['PathItem', 'get', 2], ['PathItem', 'patch', 8], ['PathItem', 'parameters', 9],
    ['Operation', 'operation_id', 5], ['Operation', 'parameters', 8], ['Operation', 'responses', 9], ['Operation', 'vendor_extension', 13],
    ['ParametersItem', 'parameter', 1], ['Parameter', 'body_parameter', 1], ['Parameter', 'non_body_parameter', 2],
    ['NonBodyParameter', 'query_parameter_sub_schema', 3], ['NonBodyParameter', 'path_parameter_sub_schema', 4],
    ['QueryParameterSubSchema', 'name', 4], ['QueryParameterSubSchema', 'type', 6], ['QueryParameterSubSchema', 'unique_items', 20],
    ['PathParameterSubSchema', 'type', 5], ['PathParameterSubSchema', 'unique_items', 19], ['BodyParameter', 'schema', 5],
    ['Responses', 'response_code', 1], ['ResponseValue', 'response', 1], ['Response', 'schema', 2], ['SchemaItem', 'schema', 1],
    ['Schema', '_ref', 1], ['Schema', 'description', 4], ['Schema', 'required', 19], ['Schema', 'additional_properties', 21],
    ['Schema', 'type', 22], ['Schema', 'items', 23], ['Schema', 'all_of', 24], ['Schema', 'properties', 25], ['Schema', 'vendor_extension', 31],
    ['AdditionalPropertiesItem', 'boolean', 2], ['ItemsItem', 'schema', 1], ['TypeItem', 'value', 1],
    ['SecurityDefinitionsItem', 'api_key_security', 2], ['NamedStringArray', 'value', 2],
  ])('numbers %s.%s as gnostic does (%i)', (message, field, id) => {
    const type = gnosticDocumentType().root.lookupType(`openapi.v2.${message}`);
    expect(type.fields[field]?.id).toBe(id);
  });

  it('writes fields in field-number order and leaves zero values out, as Go does', () => {
    const bytes = encodeOpenAPIV2(JSON.stringify({ swagger: '2.0', definitions: { A: { type: 'string', description: 'd', readOnly: false } } }));
    // Document{swagger=1 "2.0", definitions=9 {NamedSchema{name "A", Schema{description=4 "d", type=22 {value "string"}}}}}
    expect(hex(bytes)).toBe('0a03322e30' + '4a15' + '0a13' + '0a0141' + '120e' + '220164' + 'b201080a06737472696e67');
  });

  it('puts x-kubernetes-* keys in vendor_extension as YAML text, which is where kubectl reads them', () => {
    const type = gnosticDocumentType();
    const doc = type.toObject(type.decode(encodeOpenAPIV2(buildOpenAPIV2(FIXTURE).body)), { longs: Number }) as Msg;
    const schema = (name: string): Msg => doc.definitions.additional_properties.find((d: Msg) => d.name === name).value;
    const ext = (m: Msg, name: string): string | undefined => m.vendor_extension?.find((e: Msg) => e.name === name)?.value.yaml;

    expect(ext(schema('io.k8s.api.apps.v1.Deployment'), 'x-kubernetes-group-version-kind')).toBe('- group: apps\n  kind: Deployment\n  version: v1\n');
    const containers = schema('io.k8s.api.core.v1.PodSpec').properties.additional_properties.find((p: Msg) => p.name === 'containers').value;
    expect(ext(containers, 'x-kubernetes-patch-merge-key')).toBe('name\n');
    expect(ext(containers, 'x-kubernetes-patch-strategy')).toBe('merge\n');

    const path = doc.paths.path.find((p: Msg) => p.name === '/apis/apps/v1/namespaces/{namespace}/deployments/{name}').value;
    expect(ext(path.patch, 'x-kubernetes-group-version-kind')).toBe('group: apps\nkind: Deployment\nversion: v1\n');
    // kubectl's field-validation check: a PATCH with the GVK listing the `fieldValidation` query parameter.
    const query = path.patch.parameters.map((p: Msg) => p.parameter?.non_body_parameter?.query_parameter_sub_schema?.name);
    expect(query).toContain('fieldValidation');
    expect(path.patch.parameters[0].parameter.body_parameter).toMatchObject({ name: 'body', in: 'body', required: true });
  });

  it('encodes securityDefinitions as an apiKey scheme and security as scheme → scopes', () => {
    const type = gnosticDocumentType();
    const doc = type.toObject(type.decode(encodeOpenAPIV2(buildOpenAPIV2(FIXTURE).body))) as Msg;
    expect(doc.security_definitions.additional_properties).toEqual([
      { name: 'BearerToken', value: { api_key_security: { type: 'apiKey', name: 'authorization', in: 'header', description: 'Bearer Token authentication' } } },
    ]);
    expect(doc.security).toEqual([{ additional_properties: [{ name: 'BearerToken', value: {} }] }]);
  });

  it.each([
    ['a key Swagger 2.0 does not have', { definitions: { A: { type: 'string', nullable: true } } }, ['/definitions/A/nullable']],
    ['a parameter location gnostic has no message for', { paths: { '/x': { get: { parameters: [{ name: 'c', in: 'cookie', type: 'string' }] } } } }, ['/paths/~1x/get/parameters/0']],
    ['a path key without a leading slash', { paths: { x: {} } }, ['/paths/x']],
    ['a response code that is not three digits', { paths: { '/x': { get: { responses: { ok: { description: 'OK' } } } } } }, ['/paths/~1x/get/responses/ok']],
  ])('reports %s as dropped instead of encoding it', (_name, doc, dropped) => {
    expect(toGnosticDocument(doc).dropped).toEqual(dropped);
  });

  it('keeps additionalProperties: false and list-valued type and items', () => {
    const json = { definitions: { A: { type: ['string', 'null'], additionalProperties: false, items: [{ type: 'string' }, { type: 'integer' }], maxLength: 5, enum: ['a', 1] } } };
    expect(decodeOpenAPIV2(encodeOpenAPIV2(JSON.stringify(json)))).toEqual(json);
  });
});
