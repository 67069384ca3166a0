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
  let stripped = false;
  if (validation !== 'Ignore') {
    let doc: ParsedJson | undefined;
    if (raw && mayHaveDuplicates(raw)) {
      try {
        doc = parseGoJson(raw.toString('utf8'));
      } catch (e: unknown) {
        if (!(e instanceof GoJsonSyntaxError)) throw e;
      }
    }
    // Without the raw document the findings come from obj itself, which that walk also strips. With it, the
    // document's walk sees every member obj has (and duplicates' earlier values too): when it found no unknown
    // field (and was not cut off at 100 findings), obj has none to strip and needs no second walk.
    findings = doc ? checkFields(schema, doc.value, doc) : checkFields(schema, obj);
    stripped = !doc || (findings.length < 100 && !findings.some((f) => f.startsWith('unknown field ')));
  }
  if (!stripped) checkFields(schema, obj);
  if (validation === 'Strict' && findings.length > 0) {
    throw errors.badRequest(`${kind} in version ${goQuote(version)} cannot be handled as a ${kind}: ${strictDecodingError(findings)}`);
  }
  return validation === 'Warn' ? findings : [];
}

/** Every JSON string token, and whether a colon follows it (an object member's name). */
const STRING_TOKEN = /"(?:[^"\\]|\\.)*"(\s*:)?/g;
/** Surrogates (raw or escaped) are where Go's decoding and JSON.parse differ: leave those bodies to the exact parser. */
const SURROGATE = /[\ud800-\udfff]|\\u[dD][89a-fA-F]/;
const INDEX_LIKE = /^"\d+"/;

/**
 * False only when the JSON body certainly has no duplicate member: it names as many members as its parse has
 * keys, none of them digits only (JS orders such keys first, so obj's order would not be the document's).
 * Then the body's findings are obj's own, and the exact Go-grammar parse (the costly part) is skipped.
 */
function mayHaveDuplicates(raw: Buffer): boolean {
  const text = raw.toString('utf8');
  if (SURROGATE.test(text)) return true;
  let names = 0;
  for (const m of text.matchAll(STRING_TOKEN)) {
    if (m[1] === undefined) continue;
    if (INDEX_LIKE.test(m[0])) return true;
    names++;
  }
  try {
    return names !== countKeys(JSON.parse(text));
  } catch (e: unknown) {
    void e; // not JSON.parse's JSON: the exact parser words the failure
    return true;
  }
}

function countKeys(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const item of v) n += countKeys(item);
    return n;
  }
  for (const k in v) n += 1 + countKeys((v as Record<string, unknown>)[k]);
  return n;
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
