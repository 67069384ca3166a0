// Field selectors: the `fieldSelector` grammar (=, ==, != with \ escapes) and per-resource label conversion, as upstream.

import { SelectorParseError } from './errors.ts';
import { goQuote } from './go-format.ts';

/** One term. `==` is kept as `=`, as upstream's Requirements() reports it. */
export interface FieldRequirement {
  readonly field: string;
  readonly operator: '=' | '!=';
  readonly value: string;
}

/** A compiled field selector. */
export interface FieldMatcher {
  /** True when nothing is restricted. */
  readonly empty: boolean;
  /** Terms in upstream's order (sorted by their raw text). */
  readonly requirements: readonly FieldRequirement[];
  /** Every term holds; a field missing from `fields` reads as "" (upstream's Fields.Get). */
  matches(fields: Readonly<Record<string, string>>): boolean;
  /** The value `field` must equal when a `field=value` term exists (upstream RequiresExactMatch). */
  requiresExactMatch(field: string): string | undefined;
  /** upstream's String(): `f=v` / `f!=v` joined by `,`, values escaped. */
  toString(): string;
}

/** fields.EscapeValue: `\` → `\\`, `,` → `\,`, `=` → `\=`. */
export function escapeFieldValue(s: string): string {
  return s.replace(/[\\,=]/g, (c) => `\\${c}`);
}

/**
 * fields.UnescapeValue.
 * @throws SelectorParseError `invalid field selector: invalid escape sequence: \x` or
 * `invalid field selector: unescaped character in value: 61` (Go prints the rune as a number).
 */
export function unescapeFieldValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') {
        throw new SelectorParseError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === '\\') {
      inSlash = true;
    } else if (c === ',' || c === '=') {
      throw new SelectorParseError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else {
      out += c;
    }
  }
  if (inSlash) throw new SelectorParseError('invalid field selector: invalid escape sequence: \\');
  return out;
}

/** Splits on commas not escaped by a backslash; escapes stay in the terms. */
function splitTerms(selector: string): string[] {
  if (selector.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

/** The first operator occurrence, trying `!=`, `==`, `=` at each position; the left side is not unescaped. */
function splitTerm(term: string): [string, '!=' | '==' | '=', string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '='] as const) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

class TermsMatcher implements FieldMatcher {
  readonly requirements: readonly FieldRequirement[];

  constructor(requirements: readonly FieldRequirement[]) {
    this.requirements = requirements;
  }

  get empty(): boolean {
    return this.requirements.length === 0;
  }

  matches(fields: Readonly<Record<string, string>>): boolean {
    return this.requirements.every((r) => {
      const actual = Object.hasOwn(fields, r.field) ? fields[r.field] : '';
      return r.operator === '=' ? actual === r.value : actual !== r.value;
    });
  }

  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeFieldValue(r.value)}`).join(',');
  }
}

/**
 * Parses a `fieldSelector` query value (fields.ParseSelector). Terms are sorted by their raw
 * text and empty terms skipped; whitespace is not trimmed (`a = b` names the field `a `).
 * @throws SelectorParseError, e.g. `invalid selector: 'foo'; can't understand 'foo'`.
 */
export function parseFieldSelector(selector: string): FieldMatcher {
  const parts = splitTerms(selector).sort();
  const requirements: FieldRequirement[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw new SelectorParseError(`invalid selector: '${selector}'; can't understand '${part}'`);
    const [field, op, rhs] = split;
    requirements.push({ field, operator: op === '!=' ? '!=' : '=', value: unescapeFieldValue(rhs) });
  }
  return new TermsMatcher(requirements);
}

/** fields.SelectorFromSet / OneTermEqualSelector: `f=v` for each entry (entry order kept). */
export function fieldSelectorFromSet(set: Readonly<Record<string, string>>): FieldMatcher {
  return new TermsMatcher(Object.entries(set).map(([field, value]) => ({ field, operator: '=' as const, value })));
}

/** fields.Everything(). */
export function everythingFields(): FieldMatcher {
  return new TermsMatcher([]);
}

/** The message of upstream's DefaultMetaV1FieldSelectorConversion (kinds without their own conversion). */
export function notAKnownFieldSelector(label: string): string {
  return `${goQuote(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`;
}

/** The message most kinds with a registered conversion use (core/v1 Pod, Node, Service, Secret, ...). */
export function fieldLabelNotSupported(label: string): string {
  return `field label not supported: ${label}`;
}

/** Which field labels one kind accepts, as its upstream field label conversion func decides. */
export interface FieldLabelPolicy {
  /** Every accepted label, metadata ones included where upstream accepts them (Node accepts no metadata.namespace). */
  readonly supported: readonly string[];
  /** Legacy labels renamed before matching, e.g. Pod `spec.host` → `spec.nodeName`. */
  readonly aliases?: Readonly<Record<string, string>>;
  /** The rejection text; default: notAKnownFieldSelector. */
  readonly unsupported?: (label: string) => string;
}

/** Kinds upstream registers no conversion for (Deployments, ConfigMaps, ...). */
export const DEFAULT_FIELD_LABEL_POLICY: FieldLabelPolicy = Object.freeze({
  supported: Object.freeze(['metadata.name', 'metadata.namespace']),
});

/**
 * Runs the kind's field label conversion over every term (upstream's Transform with
 * ConvertFieldLabel): aliases are renamed, the first unsupported label (in term order) fails.
 * @throws SelectorParseError with the policy's text, e.g. `field label not supported: foo`.
 */
export function convertFieldLabels(selector: FieldMatcher, policy: FieldLabelPolicy = DEFAULT_FIELD_LABEL_POLICY): FieldMatcher {
  const reject = policy.unsupported ?? notAKnownFieldSelector;
  const converted = selector.requirements.map((r) => {
    if (policy.supported.includes(r.field)) return r;
    const alias = policy.aliases?.[r.field];
    if (alias !== undefined && Object.hasOwn(policy.aliases!, r.field)) return { ...r, field: alias };
    throw new SelectorParseError(reject(r.field));
  });
  return new TermsMatcher(converted);
}
