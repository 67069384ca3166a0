// PATCH bodies: JSON patch and JSON merge patch applied to the current object (strategic and apply come later).
import * as errors from './errors.ts';
import { applyJsonPatch, decodeJsonPatch } from '../patch/json-patch.ts';
import { applyMergePatch, decodeMergePatch } from '../patch/merge-patch.ts';
import { PatchError } from '../patch/errors.ts';
import type { FieldValidation } from '../patch/decode.ts';
import type { KubeObject, ResourceDef } from '../registry/types.ts';

export const PATCH_CONTENT_TYPES: readonly string[] = ['application/json-patch+json', 'application/merge-patch+json'];

/** The `fieldValidation` query parameter; upstream's default is Warn. */
export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const v = query.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw errors.badRequest(`fieldValidation invalid: invalid fieldValidation directive: ${v}`);
}

export interface DecodedPatch {
  apply(current: KubeObject): KubeObject;
  /** Strict-mode findings to send as `Warning:` headers (Warn). */
  warnings: readonly string[];
}

function fromPatchError(e: unknown): unknown {
  if (!(e instanceof PatchError)) return e;
  return new errors.ApiError(e.code, e.reason, e.message, e.code === 422 ? {} : undefined, e);
}

/**
 * Decodes a patch body once (before the read-modify-write loop); `apply` runs on each attempt's current object.
 * Strict mode turns unknown/duplicate fields into 422 on field `patch`, as upstream.
 */
export function decodePatch(def: ResourceDef, contentType: string, body: Buffer, validation: FieldValidation, name: string): DecodedPatch {
  const text = body.toString('utf8');
  let decoded: { strictErrors: readonly string[] };
  let apply: (current: KubeObject) => unknown;
  try {
    if (contentType === 'application/json-patch+json') {
      const d = decodeJsonPatch(text, validation);
      decoded = d;
      apply = (current) => applyJsonPatch(current, d.operations);
    } else if (contentType === 'application/merge-patch+json') {
      const d = decodeMergePatch(text, validation);
      decoded = d;
      apply = (current) => applyMergePatch(current, d.patch);
    } else {
      throw errors.unsupportedMediaType(contentType, PATCH_CONTENT_TYPES);
    }
  } catch (e: unknown) {
    throw fromPatchError(e);
  }
  if (validation === 'Strict' && decoded.strictErrors.length) {
    throw errors.invalid(def.kind, def.group, name, [{ type: 'FieldValueInvalid', field: 'patch', message: `Invalid value: "${text.replace(/"/g, '\\"')}": strict decoding error: ${decoded.strictErrors.join(', ')}` }]);
  }
  return {
    warnings: validation === 'Warn' ? decoded.strictErrors : [],
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
      return obj;
    },
  };
}
