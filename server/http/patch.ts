// PATCH bodies: JSON patch, JSON merge patch and strategic merge patch applied to the current object.
import * as errors from './errors.ts';
import { applyJsonPatch, decodeJsonPatch } from '../patch/json-patch.ts';
import { applyMergePatch, decodeMergePatch } from '../patch/merge-patch.ts';
import { PatchError } from '../patch/errors.ts';
import type { FieldValidation } from '../patch/decode.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';
import { applyStrategicPatch, decodeStrategicPatch, goFormat, StrategicPatchError } from '../patch/strategic.ts';
import { schemaOf } from '../validation/schema.ts';
import { validatePatched } from '../validation/request.ts';
import { goJsonMarshal } from '../selectors/go-format.ts';
import type { JsonObject } from '../patch/json-value.ts';

export const APPLY_CONTENT_TYPE = 'application/apply-patch+yaml';
export const PATCH_CONTENT_TYPES: readonly string[] = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', APPLY_CONTENT_TYPE];

/** The `fieldValidation` query parameter; upstream's default is Warn. */
export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation invalid: invalid fieldValidation directive: ${v}`);
}

export interface DecodedPatch {
  apply(current: KubeObject): KubeObject;
  /** Strict-mode findings of the last `apply` to send as `Warning:` headers (Warn). */
  readonly warnings: readonly string[];
}

function fromPatchError(e: unknown): unknown {
  // strategicpatch's other errors reach upstream's handler unwrapped: a 500 with the library's text.
  if (e instanceof StrategicPatchError) return new errors.ApiError(500, 'InternalError', e.message, undefined, e);
  if (!(e instanceof PatchError)) return e;
  return new errors.ApiError(e.code, e.reason, e.message, e.code === 422 ? {} : undefined, e);
}

/**
 * Decodes a patch body once (before the read-modify-write loop); `apply` runs on each attempt's current object.
 * Unknown fields of the patched object are dropped; with the patch's duplicate fields they are the strict
 * findings: Strict answers 422 on field `patch` as upstream (no kind, no name), Warn returns them as warnings.
 * `checkSchema` false skips the schema check (subresource bodies such as Scale).
 */
export function decodePatch(def: ResourceDef, contentType: string, body: Buffer, validation: FieldValidation, name: string, checkSchema = true): DecodedPatch {
  void name;
  const text = body.toString('utf8');
  let decoded: { strictErrors: readonly string[] };
  let apply: (current: KubeObject) => unknown;
  let shown: (patched: unknown) => string = (patched) => goJsonMarshal(patched);
  try {
    if (contentType === 'application/json-patch+json') {
      const d = decodeJsonPatch(text, validation);
      decoded = d;
      apply = (current) => applyJsonPatch(current, d.operations);
    } else if (contentType === 'application/merge-patch+json') {
      const d = decodeMergePatch(text, validation);
      decoded = d;
      apply = (current) => applyMergePatch(current, d.patch);
    } else if (contentType === 'application/strategic-merge-patch+json') {
      const d = decodeStrategicPatch(text, validation);
      decoded = d;
      const schema = checkSchema ? schemaOf(def) : undefined;
      apply = (current) => applyStrategicPatch(current as JsonObject, d.patch, schema);
      shown = () => goFormat(d.patch ?? {});
    } else {
      throw errors.unsupportedMediaType(contentType, PATCH_CONTENT_TYPES);
    }
  } catch (e: unknown) {
    throw fromPatchError(e);
  }
  let warnings: readonly string[] = [];
  return {
    get warnings() {
      return warnings;
    },
    apply: (current) => {
      let result: unknown;
      try {
        result = apply(current);
      } catch (e: unknown) {
        throw fromPatchError(e);
      }
      if (!result || typeof result !== 'object' || Array.isArray(result)) throw errors.badRequest('Invalid JSON Patch');
      const obj = result as KubeObject;
      obj.metadata ??= {};
      if (checkSchema) warnings = validatePatched(def, obj, validation, decoded.strictErrors, () => shown(result));
      else if (validation === 'Strict' && decoded.strictErrors.length) {
        throw errors.invalid('', '', '', [{ type: 'FieldValueInvalid', field: 'patch', message: `Invalid value: "${text.replace(/"/g, '\\"')}": strict decoding error: ${decoded.strictErrors.join(', ')}` }]);
      } else warnings = validation === 'Warn' ? decoded.strictErrors : [];
      return obj;
    },
  };
}
