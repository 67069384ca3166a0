// Decoding patch bodies the way kube-apiserver does: Go's syntax errors, its type errors, strict-mode warnings.

import { goQuote } from '../selectors/go-format.ts';
import { badPatch } from './errors.ts';
import { GoJsonSyntaxError, type ParsedJson, parseGoJson } from './go-json.ts';
import { goJsonKind, isJsonObject } from './json-value.ts';

/** The `fieldValidation` query parameter; upstream's default when absent is Warn. */
export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** The duplicate/unknown-field findings upstream collects in Strict and Warn mode (sigs.k8s.io/json). */
export class StrictCollector {
  readonly #seen = new Set<string>();
  readonly errors: string[] = [];

  add(message: string): void {
    // upstream keeps at most 100, each text once
    if (this.errors.length >= 100 || this.#seen.has(message)) return;
    this.#seen.add(message);
    this.errors.push(message);
  }
}

/** The first non-fatal type error, as Go's decoder saves and finally reports it. */
export class SavedError {
  message: string | undefined;

  save(message: string): void {
    this.message ??= message;
  }
}

/**
 * Parses a patch body; a syntax error becomes a 400 whose text is Go's, prefixed as upstream's
 * caller does (`error decoding patch: ` in Strict/Warn mode, nothing for Ignore).
 */
export function parseBody(body: string, prefix: string): ParsedJson {
  try {
    return parseGoJson(body);
  } catch (e: unknown) {
    if (e instanceof GoJsonSyntaxError) throw badPatch(`${prefix}${e.message}`);
    throw e;
  }
}

/**
 * Walks a value decoded into Go's interface{} (objectInterface/arrayInterface): duplicate members
 * are strict errors in document order; numbers beyond float64 are the saved type error.
 */
export function walkInterface(
  doc: ParsedJson,
  value: unknown,
  strict: StrictCollector,
  saved: SavedError,
  structField?: string,
): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      const literal = doc.overflowLiteral(value, i);
      if (literal !== undefined) saved.save(overflowError(literal, structField));
      walkInterface(doc, v, strict, saved, structField);
    });
    return;
  }
  if (!isJsonObject(value)) return;
  const seen = new Set<string>();
  for (const [key, v, literal] of doc.members(value)) {
    if (seen.has(key)) strict.add(`duplicate field ${goQuote(key)}`);
    seen.add(key);
    if (literal !== undefined) saved.save(overflowError(literal, structField));
    walkInterface(doc, v, strict, saved, structField);
  }
}

/** A number too large for float64; inside a struct field Go names the field (`jsonPatchOp.value`). */
export function overflowError(literal: string, structField?: string): string {
  const target = structField === undefined ? 'Go value' : `Go struct field ${structField}`;
  return `json: cannot unmarshal number ${literal} into ${target} of type float64`;
}

/** `json: cannot unmarshal <kind> into Go value of type <type>`. */
export function typeError(value: unknown, goType: string): string {
  return `json: cannot unmarshal ${goJsonKind(value)} into Go value of type ${goType}`;
}
