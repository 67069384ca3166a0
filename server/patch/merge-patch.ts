// RFC 7386 JSON merge patch (application/merge-patch+json) as kube-apiserver applies it (evanphx/json-patch v4).

import {
  type FieldValidation,
  overflowError,
  parseBody,
  SavedError,
  StrictCollector,
  typeError,
  walkInterface,
} from './decode.ts';
import { goQuote } from '../selectors/go-format.ts';
import { badPatch } from './errors.ts';
import { GoJsonSyntaxError, parseGoJson } from './go-json.ts';
import { deepCopy, isJsonObject, type JsonObject, setOwn } from './json-value.ts';

export type { FieldValidation } from './decode.ts';

/** evanphx ErrBadJSONPatch: the 400 message for a merge patch that is not an object (nor an array). */
export const INVALID_JSON_PATCH = 'Invalid JSON Patch';

export interface DecodedMergePatch {
  /** The patch value (an object, or an array which then replaces the whole document). */
  readonly patch: unknown;
  /** Strict/Warn findings such as `duplicate field "a"` (no prefix, as upstream reports them). */
  readonly strictErrors: readonly string[];
}

/**
 * Decodes a merge patch body as kube-apiserver does for the given `fieldValidation`.
 * @throws PatchError 400 BadRequest: Strict/Warn `error decoding patch: <Go decoder text>` (e.g.
 * `error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}`),
 * Ignore `Invalid JSON Patch` for a syntax error or a body that is neither object nor array; a
 * `null` body is `Invalid JSON Patch` in every mode.
 */
export function decodeMergePatch(body: string, fieldValidation: FieldValidation = 'Warn'): DecodedMergePatch {
  if (fieldValidation === 'Ignore') {
    let value: unknown;
    try {
      value = parseGoJson(body).value;
    } catch (e: unknown) {
      if (e instanceof GoJsonSyntaxError) throw badPatch(INVALID_JSON_PATCH);
      throw e;
    }
    if (!isJsonObject(value) && !Array.isArray(value)) throw badPatch(INVALID_JSON_PATCH);
    return { patch: value, strictErrors: [] };
  }
  const doc = parseBody(body, 'error decoding patch: ');
  const strict = new StrictCollector();
  const saved = new SavedError();
  const value = doc.value;
  if (isJsonObject(value)) {
    // map[string]interface{}: duplicate keys at any depth, numbers that overflow float64.
    const seen = new Set<string>();
    for (const [key, v, literal] of doc.members(value)) {
      if (seen.has(key)) strict.add(`duplicate field ${goQuote(key)}`);
      seen.add(key);
      if (literal !== undefined) saved.save(overflowError(literal));
      walkInterface(doc, v, strict, saved);
    }
  } else if (value !== null) {
    saved.save(typeError(value, 'map[string]interface {}'));
  }
  if (saved.message !== undefined) throw badPatch(`error decoding patch: ${saved.message}`);
  if (value === null) throw badPatch(INVALID_JSON_PATCH);
  return { patch: value, strictErrors: strict.errors };
}

/** Drops null members of objects at any depth; nulls directly inside arrays stay (evanphx pruneNulls). */
function pruneNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === null ? null : pruneNulls(v)));
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const key of Object.keys(value)) {
      const v = value[key];
      if (v !== null) setOwn(out, key, pruneNulls(v));
    }
    return out;
  }
  return value;
}

/** Merges `patch` into `doc` in place; `patch` members are copied, never shared. */
function mergeObjects(doc: JsonObject, patch: JsonObject): void {
  for (const key of Object.keys(patch)) {
    const v = patch[key];
    if (v === null) {
      delete doc[key];
      continue;
    }
    const current = Object.hasOwn(doc, key) ? doc[key] : null;
    if (current === null) setOwn(doc, key, pruneNulls(v));
    else if (!isJsonObject(current)) setOwn(doc, key, pruneNulls(v));
    // An object replaced by a non-object keeps the patch value exactly, nulls included (evanphx quirk).
    else if (!isJsonObject(v)) setOwn(doc, key, deepCopy(v));
    else mergeObjects(current, v);
  }
}

/**
 * Applies a merge patch to a copy of `target` (never mutated): `null` members delete, objects
 * merge recursively, anything else (arrays included) replaces. A top-level array patch replaces
 * the whole document.
 * @throws PatchError 400 `Invalid JSON Patch` when `patch` is null or a scalar.
 */
export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch)) return pruneNulls(patch);
  if (!isJsonObject(patch)) throw badPatch(INVALID_JSON_PATCH);
  if (!isJsonObject(target)) return pruneNulls(patch);
  const doc = deepCopy(target);
  mergeObjects(doc, patch);
  return doc;
}
