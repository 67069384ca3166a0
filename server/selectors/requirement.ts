// Label selector requirements and the compiled matcher (upstream labels.Requirement / labels.Selector semantics).

import type { FieldError } from '../registry/types.ts';
import { SelectorParseError } from './errors.ts';
import { goQuote } from './go-format.ts';
import {
  aggregateMessage,
  childPath,
  fieldError,
  isQualifiedName,
  isValidLabelValue,
  NIL_PATH,
} from './validation.ts';

/** upstream selection.Operator values. */
export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

/** The operators NewRequirement accepts, in upstream's order (used in its "supported values" text). */
export const LABEL_OPERATORS: readonly LabelOperator[] = ['in', 'notin', '=', '==', '!=', 'gt', 'lt', 'exists', '!'];

export interface LabelRequirement {
  readonly key: string;
  readonly operator: LabelOperator;
  readonly values: readonly string[];
}

/** A compiled label selector. */
export interface LabelMatcher {
  /** True when the selector does not restrict anything (no requirements). */
  readonly empty: boolean;
  /** Requirements sorted by key, as upstream keeps them. */
  readonly requirements: readonly LabelRequirement[];
  /** Whether every requirement holds for `labels` (undefined: no labels). */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
  /** The single value `key` must equal (`key=v`, `key==v`, `key in (v)`), if the selector pins one. */
  requiresExactMatch(key: string): string | undefined;
  /** upstream's String(): requirements joined by `,`, multi-value sets sorted. */
  toString(): string;
}

/** labels.Requirement validation texts (k8s.io/apimachinery/pkg/labels/selector.go). */
function requirementErrors(key: string, op: string, values: readonly string[], path: string | null): FieldError[] {
  const errs: FieldError[] = [];
  for (const msg of keyProblems(key)) errs.push(fieldError('FieldValueInvalid', childPath(path, 'key'), key, msg));
  const valuePath = childPath(path, 'values');
  // Upstream copies values with append([]string(nil), ...), so an empty list prints as null.
  const shown = values.length === 0 ? null : values;
  switch (op) {
    case 'in':
    case 'notin':
      if (values.length === 0) {
        errs.push(fieldError('FieldValueInvalid', valuePath, shown, "for 'in', 'notin' operators, values set can't be empty"));
      }
      break;
    case '=':
    case '==':
    case '!=':
      if (values.length !== 1) {
        errs.push(fieldError('FieldValueInvalid', valuePath, shown, 'exact-match compatibility requires one single value'));
      }
      break;
    case 'exists':
    case '!':
      if (values.length !== 0) {
        errs.push(fieldError('FieldValueInvalid', valuePath, shown, 'values set must be empty for exists and does not exist'));
      }
      break;
    case 'gt':
    case 'lt':
      if (values.length !== 1) {
        errs.push(fieldError('FieldValueInvalid', valuePath, shown, "for 'Gt', 'Lt' operators, exactly one value is required"));
      }
      values.forEach((v, i) => {
        if (parseInt64(v) === undefined) {
          errs.push(fieldError('FieldValueInvalid', `${valuePath}[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
        }
      });
      break;
    default: {
      const supported = LABEL_OPERATORS.map((o) => goQuote(o)).join(', ');
      errs.push(fieldError('FieldValueNotSupported', childPath(path, 'operator'), op, `supported values: ${supported}`));
    }
  }
  values.forEach((v, i) => {
    for (const msg of isValidLabelValue(v)) {
      errs.push(fieldError('FieldValueInvalid', `${valuePath}[${i}][${key}]`, v, msg));
    }
  });
  return errs;
}

/** The key check shared by the parser and NewRequirement: all problems joined by `; `. */
function keyProblems(key: string): string[] {
  const errs = isQualifiedName(key);
  return errs.length === 0 ? [] : [errs.join('; ')];
}

/**
 * Upstream's key check while parsing (`validateLabelKey` with a nil path): the error text, or undefined.
 * E.g. `<nil>: Invalid value: "a b": name part must consist of ...`.
 */
export function labelKeyError(key: string): string | undefined {
  const problems = keyProblems(key);
  if (problems.length === 0) return undefined;
  return aggregateMessage([fieldError('FieldValueInvalid', NIL_PATH, key, problems[0])]);
}

/**
 * labels.NewRequirement: validates and builds one requirement. `path` is the field.Path upstream
 * was given (null: none, so errors read `key: ...` / `values[0][k]: ...`).
 * @throws SelectorParseError carrying the aggregated upstream message.
 */
export function newRequirement(
  key: string,
  operator: string,
  values: readonly string[],
  path: string | null = null,
): LabelRequirement {
  const errs = requirementErrors(key, operator, values, path);
  if (errs.length > 0) throw new SelectorParseError(aggregateMessage(errs));
  return { key, operator: operator as LabelOperator, values: [...values] };
}

/** strconv.ParseInt(s, 10, 64): a bigint, or undefined when Go would fail (syntax or range). */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(s)) return undefined;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return undefined;
  return n;
}

function has(labels: Readonly<Record<string, string>> | undefined, key: string): boolean {
  return labels !== undefined && Object.hasOwn(labels, key);
}

/** Requirement.Matches. */
export function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>> | undefined): boolean {
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has(labels, r.key) && r.values.includes(labels![r.key]!);
    case 'notin':
    case '!=':
      return !has(labels, r.key) || !r.values.includes(labels![r.key]!);
    case 'exists':
      return has(labels, r.key);
    case '!':
      return !has(labels, r.key);
    case 'gt':
    case 'lt': {
      if (!has(labels, r.key) || r.values.length !== 1) return false;
      const actual = parseInt64(labels![r.key]!);
      const bound = parseInt64(r.values[0]!);
      if (actual === undefined || bound === undefined) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

const OPERATOR_TEXT: Readonly<Record<LabelOperator, string>> = {
  '=': '=',
  '==': '==',
  '!=': '!=',
  in: ' in ',
  notin: ' notin ',
  gt: '>',
  lt: '<',
  exists: '',
  '!': '',
};

/** Requirement.String(). */
export function requirementString(r: LabelRequirement): string {
  if (r.operator === 'exists') return r.key;
  if (r.operator === '!') return `!${r.key}`;
  const values = r.values.length === 1 ? r.values[0]! : [...r.values].sort().join(',');
  const set = r.operator === 'in' || r.operator === 'notin';
  return `${r.key}${OPERATOR_TEXT[r.operator]}${set ? `(${values})` : values}`;
}

class RequirementsMatcher implements LabelMatcher {
  readonly requirements: readonly LabelRequirement[];

  constructor(requirements: readonly LabelRequirement[]) {
    // Stable sort by key, as upstream sorts ByKey after parsing and in Add().
    this.requirements = [...requirements].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  get empty(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels));
  }

  requiresExactMatch(key: string): string | undefined {
    const r = this.requirements.find((x) => x.key === key);
    if (!r) return undefined;
    if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) return r.values[0];
    return undefined;
  }

  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

const NOTHING: LabelMatcher = Object.freeze({
  empty: false,
  requirements: Object.freeze([]) as readonly LabelRequirement[],
  matches: () => false,
  requiresExactMatch: () => undefined,
  toString: () => '',
});

/** A matcher over already validated requirements (sorted by key here). */
export function selectorFromRequirements(requirements: readonly LabelRequirement[]): LabelMatcher {
  return new RequirementsMatcher(requirements);
}

/** labels.Everything(): matches every label set. */
export function everything(): LabelMatcher {
  return new RequirementsMatcher([]);
}

/** labels.Nothing(): matches nothing (what a nil metav1.LabelSelector means). */
export function nothing(): LabelMatcher {
  return NOTHING;
}

/**
 * labels.SelectorFromSet: `k=v` for every entry, without validation (as upstream; a Service's or
 * ReplicationController's `spec.selector`). An empty or absent set matches everything.
 */
export function selectorFromSet(set: Readonly<Record<string, string>> | undefined): LabelMatcher {
  return new RequirementsMatcher(Object.entries(set ?? {}).map(([key, v]) => ({ key, operator: '=' as const, values: [v] })));
}
