// Field validation of write requests (create/update bodies and patched objects) with upstream's Status texts.
import * as errors from '../http/errors.ts';
import { GoJsonSyntaxError, parseGoJson, type ParsedJson } from '../patch/go-json.ts';
import type { FieldValidation } from '../patch/decode.ts';
import { goQuote } from '../selectors/go-format.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';
import { checkFields, typeError } from './fields.ts';
import { schemaOf } from './schema.ts';

/** `strict decoding error: a, b` (runtime.NewStrictDecodingError). */
export function strictDecodingError(findings: readonly string[]): string {
  return `strict decoding error: ${findings.join(', ')}`;
}

/**
 * Checks a create/update body already decoded into `obj` (which loses its unknown fields, as upstream's typed
 * decoding drops them). Strict: 400 `<Kind> in version "<v>" cannot be handled as a <Kind>: strict decoding
 * error: unknown field "spec.foo"`; Warn: the findings, one `Warning:` each; Ignore: nothing.
 * `raw` (JSON bodies only) lets duplicate members be seen.
 */
export function validateBody(def: ResourceDef, obj: KubeObject, validation: FieldValidation, raw?: Buffer, kind = def.kind, version = def.version): string[] {
  const schema = kind === def.kind ? schemaOf(def) : undefined;
  if (!schema) return [];
  const wrongType = typeError(schema, obj);
  if (wrongType) throw errors.badRequest(`${kind} in version ${goQuote(version)} cannot be handled as a ${kind}: ${wrongType}`);
  let findings: string[] = [];
  if (validation !== 'Ignore') {
    let doc: ParsedJson | undefined;
    if (raw) {
      try {
        doc = parseGoJson(raw.toString('utf8'));
      } catch (e: unknown) {
        if (!(e instanceof GoJsonSyntaxError)) throw e;
      }
    }
    findings = doc ? checkFields(schema, doc.value, doc) : checkFields(schema, structuredClone(obj));
  }
  checkFields(schema, obj);
  if (validation === 'Strict' && findings.length > 0) {
    throw errors.badRequest(`${kind} in version ${goQuote(version)} cannot be handled as a ${kind}: ${strictDecodingError(findings)}`);
  }
  return validation === 'Warn' ? findings : [];
}

/**
 * Checks a patched object (unknown fields are dropped from it) together with the patch's own duplicate
 * findings. Strict: 422 Invalid `"" is invalid: patch: Invalid value: "<shown>": strict decoding error: …`
 * (upstream names no kind there); Warn: the findings; Ignore: nothing.
 * `shown` is what upstream prints as the value: the patched JSON, or the patch map for strategic patches.
 */
export function validatePatched(def: ResourceDef, obj: KubeObject, validation: FieldValidation, patchFindings: readonly string[], shown: () => string): string[] {
  const schema = schemaOf(def);
  const findings = [...patchFindings];
  const wrongType = schema ? typeError(schema, obj) : undefined;
  if (wrongType) {
    throw errors.invalid('', '', '', [{ type: 'FieldValueInvalid', field: 'patch', message: `Invalid value: ${goQuote(shown())}: ${wrongType}` }]);
  }
  if (schema) {
    const unknown = checkFields(schema, obj);
    if (validation !== 'Ignore') findings.push(...unknown);
  }
  if (validation === 'Ignore' || findings.length === 0) return [];
  if (validation === 'Strict') {
    throw errors.invalid('', '', '', [{ type: 'FieldValueInvalid', field: 'patch', message: `Invalid value: ${goQuote(shown())}: ${strictDecodingError(findings)}` }]);
  }
  return findings;
}
