// Label selectors: the `labelSelector` string grammar and metav1.LabelSelector objects, as kube-apiserver parses them.

import type { FieldError } from '../registry/types.ts';
import { SelectorParseError } from './errors.ts';
import { goQuote } from './go-format.ts';
import {
  everything,
  labelKeyError,
  type LabelMatcher,
  type LabelOperator,
  type LabelRequirement,
  newRequirement,
  nothing,
  selectorFromRequirements,
} from './requirement.ts';
import { childPath, fieldError, isValidLabelValue, validateLabelName, validateLabels } from './validation.ts';

export type { LabelMatcher, LabelOperator, LabelRequirement } from './requirement.ts';
export { everything, newRequirement, nothing, selectorFromSet } from './requirement.ts';

// ---------------------------------------------------------------------------------------------
// Lexer: the same token boundaries as upstream's byte lexer.

type Tok = 'eos' | ')' | ',' | '!' | '==' | '=' | '>' | 'id' | 'in' | '<' | '!=' | 'notin' | '(';

interface Item {
  readonly tok: Tok;
  readonly lit: string;
}

const LITERAL_TOKENS: ReadonlyMap<string, Tok> = new Map(Object.entries({
  ')': ')',
  ',': ',',
  '!': '!',
  '==': '==',
  '=': '=',
  '>': '>',
  in: 'in',
  '<': '<',
  '!=': '!=',
  notin: 'notin',
  '(': '(',
} as const));

const isWhitespace = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isSpecial = (c: string): boolean => '=!(),><'.includes(c);

/**
 * All tokens up to and including end-of-string. A NUL character ends the input where a token
 * would start and ends an identifier, as upstream's lexer treats byte 0 as end of input.
 */
function lex(s: string): Item[] {
  const items: Item[] = [];
  let pos = 0;
  for (;;) {
    while (pos < s.length && isWhitespace(s[pos]!)) pos++;
    const c = s[pos];
    if (c === undefined || c === '\0') {
      items.push({ tok: 'eos', lit: '' });
      return items;
    }
    if (isSpecial(c)) {
      // Longest run of symbol characters that still forms a token ("!=" but "=" then "!").
      let buf = '';
      let last: Item | undefined;
      while (pos < s.length && isSpecial(s[pos]!)) {
        const next = buf + s[pos];
        const tok = LITERAL_TOKENS.get(next);
        if (tok === undefined && last) break;
        buf = next;
        pos++;
        if (tok !== undefined) last = { tok, lit: next };
      }
      // Every single symbol character is itself a token, so `last` is always set here.
      items.push(last ?? { tok: 'id', lit: buf });
    } else {
      let buf = '';
      while (pos < s.length) {
        const ch = s[pos]!;
        if (ch === '\0') {
          pos++;
          break;
        }
        if (isSpecial(ch) || isWhitespace(ch)) break;
        buf += ch;
        pos++;
      }
      items.push({ tok: LITERAL_TOKENS.get(buf) ?? 'id', lit: buf });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Parser: upstream's recursive descent, with its error texts.

/** An error inside one requirement; parse() prefixes it with `unable to parse requirement: `. */
class RequirementFailure extends Error {}

type Context = 'keyAndOperator' | 'values';

const BINARY_OPERATORS = ['in', 'notin', '=', '==', '!=', 'gt', 'lt'].join(', ');

class Parser {
  readonly #items: Item[];
  #position = 0;

  constructor(selector: string) {
    this.#items = lex(selector);
  }

  #at(index: number, context: Context): Item {
    const item = this.#items[Math.min(index, this.#items.length - 1)]!;
    // `in` and `notin` are plain words where a value (or key) is expected.
    if (context === 'values' && (item.tok === 'in' || item.tok === 'notin')) return { tok: 'id', lit: item.lit };
    return item;
  }

  #lookahead(context: Context): Item {
    return this.#at(this.#position, context);
  }

  #consume(context: Context): Item {
    return this.#at(this.#position++, context);
  }

  parse(): LabelRequirement[] {
    const requirements: LabelRequirement[] = [];
    for (;;) {
      const { tok, lit } = this.#lookahead('values');
      if (tok === 'eos') return requirements;
      if (tok !== 'id' && tok !== '!') {
        throw new SelectorParseError(`found '${lit}', expected: !, identifier, or 'end of string'`);
      }
      requirements.push(this.#requirementOrThrow());
      const next = this.#consume('values');
      if (next.tok === 'eos') return requirements;
      if (next.tok !== ',') throw new SelectorParseError(`found '${next.lit}', expected: ',' or 'end of string'`);
      const after = this.#lookahead('values');
      if (after.tok !== 'id' && after.tok !== '!') {
        throw new SelectorParseError(`found '${after.lit}', expected: identifier after ','`);
      }
    }
  }

  #requirementOrThrow(): LabelRequirement {
    try {
      return this.#requirement();
    } catch (e: unknown) {
      if (e instanceof RequirementFailure || e instanceof SelectorParseError) {
        throw new SelectorParseError(`unable to parse requirement: ${e.message}`, { cause: e });
      }
      throw e;
    }
  }

  #requirement(): LabelRequirement {
    const [key, inferred] = this.#keyAndInferredOperator();
    if (inferred !== undefined) return newRequirement(key, inferred, []);
    const operator = this.#operator();
    const values = operator === 'in' || operator === 'notin' ? this.#setValues() : this.#exactValue();
    return newRequirement(key, operator, [...values].sort());
  }

  #keyAndInferredOperator(): [string, 'exists' | '!' | undefined] {
    let operator: 'exists' | '!' | undefined;
    let item = this.#consume('values');
    if (item.tok === '!') {
      operator = '!';
      item = this.#consume('values');
    }
    if (item.tok !== 'id') throw new RequirementFailure(`found '${item.lit}', expected: identifier`);
    const keyError = labelKeyError(item.lit);
    if (keyError !== undefined) throw new RequirementFailure(keyError);
    const next = this.#lookahead('values').tok;
    if ((next === 'eos' || next === ',') && operator !== '!') operator = 'exists';
    return [item.lit, operator];
  }

  #operator(): LabelOperator {
    const { tok, lit } = this.#consume('keyAndOperator');
    switch (tok) {
      case 'in':
        return 'in';
      case 'notin':
        return 'notin';
      case '=':
        return '=';
      case '==':
        return '==';
      case '!=':
        return '!=';
      case '>':
        return 'gt';
      case '<':
        return 'lt';
      default:
        throw new RequirementFailure(`found '${lit}', expected: ${BINARY_OPERATORS}`);
    }
  }

  #setValues(): Set<string> {
    const open = this.#consume('values');
    if (open.tok !== '(') throw new RequirementFailure(`found '${open.lit}' expected: '('`);
    const { tok, lit } = this.#lookahead('values');
    if (tok === ')') {
      this.#consume('values');
      return new Set(['']);
    }
    if (tok !== 'id' && tok !== ',') throw new RequirementFailure(`found '${lit}', expected: ',', ')' or identifier`);
    const values = this.#identifierList();
    // identifierList only returns with ')' next, so this always succeeds (kept for upstream parity).
    if (this.#consume('values').tok !== ')') throw new RequirementFailure(`found '${lit}', expected: ')'`);
    return values;
  }

  /** A comma-separated list of possibly empty values, up to (not including) ')'. */
  #identifierList(): Set<string> {
    const values = new Set<string>();
    for (;;) {
      const { tok, lit } = this.#consume('values');
      if (tok === 'id') {
        values.add(lit);
        const next = this.#lookahead('values');
        if (next.tok === ',') continue;
        if (next.tok === ')') return values;
        throw new RequirementFailure(`found '${next.lit}', expected: ',' or ')'`);
      }
      if (tok !== ',') throw new RequirementFailure(`found '${lit}', expected: ',', or identifier`);
      // "(," and ",)" and ",," each stand for an empty value.
      if (values.size === 0) values.add('');
      const next = this.#lookahead('values').tok;
      if (next === ')') {
        values.add('');
        return values;
      }
      if (next === ',') {
        this.#consume('values');
        values.add('');
      }
    }
  }

  #exactValue(): Set<string> {
    const next = this.#lookahead('values').tok;
    if (next === 'eos' || next === ',') return new Set(['']);
    const { tok, lit } = this.#consume('values');
    if (tok === 'id') return new Set([lit]);
    throw new RequirementFailure(`found '${lit}', expected: identifier`);
  }
}

/**
 * Parses a `labelSelector` query value (labels.Parse): `a=b`, `a==b`, `a!=b`, `a in (x,y)`,
 * `a notin (x)`, `a`, `!a`, `a>5`, `a<5`, joined by `,` (AND). An empty string selects everything.
 * @throws SelectorParseError with upstream's message, e.g. `unable to parse requirement: found '' expected: '('`.
 */
export function parseLabelSelector(selector: string): LabelMatcher {
  return selectorFromRequirements(new Parser(selector).parse());
}

// ---------------------------------------------------------------------------------------------
// metav1.LabelSelector objects.

export interface LabelSelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

/** metav1.LabelSelector as it appears in Deployments, ReplicaSets, Jobs, NetworkPolicies, ... */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

const EXPRESSION_OPERATORS: ReadonlyMap<string, LabelOperator> = new Map([
  ['In', 'in'],
  ['NotIn', 'notin'],
  ['Exists', 'exists'],
  ['DoesNotExist', '!'],
]);

/**
 * metav1.LabelSelectorAsSelector: null/undefined matches nothing, an empty selector matches
 * everything, otherwise matchLabels (as `k=v`) AND matchExpressions. matchLabels are checked in
 * key order (upstream's map order is random, so its first error is too).
 * @throws SelectorParseError, e.g. `"Foo" is not a valid pod selector operator`, or a requirement's
 * validation text such as `values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty`.
 */
export function labelSelectorAsSelector(ps: Readonly<LabelSelector> | null | undefined): LabelMatcher {
  if (ps === null || ps === undefined) return nothing();
  const matchLabels = ps.matchLabels ?? {};
  const expressions = ps.matchExpressions ?? [];
  const labelKeys = Object.keys(matchLabels).sort();
  if (labelKeys.length + expressions.length === 0) return everything();
  const requirements: LabelRequirement[] = labelKeys.map((k) => newRequirement(k, '=', [matchLabels[k]!]));
  for (const expr of expressions) {
    const operator = EXPRESSION_OPERATORS.get(expr.operator);
    if (operator === undefined) {
      throw new SelectorParseError(`${goQuote(String(expr.operator))} is not a valid pod selector operator`);
    }
    // A nil values list prints as `null` in upstream's message, an empty one as `[]`.
    requirements.push(newRequirement(expr.key, operator, expr.values ?? []));
  }
  return selectorFromRequirements(requirements);
}

export interface LabelSelectorValidationOptions {
  /** Skip label-value checks on matchExpressions values (upstream keeps this for old stored objects). */
  allowInvalidLabelValueInSelector?: boolean;
}

/**
 * metav1validation.ValidateLabelSelector: field errors for a selector inside an object, e.g.
 * `spec.selector.matchExpressions[0].operator: Invalid value: "Foo": not a valid selector operator`.
 * A null/undefined selector is valid here (callers require it separately where needed).
 */
export function validateLabelSelector(
  ps: Readonly<LabelSelector> | null | undefined,
  path: string,
  opts: LabelSelectorValidationOptions = {},
): FieldError[] {
  const errs: FieldError[] = [];
  if (ps === null || ps === undefined) return errs;
  errs.push(...validateLabels(ps.matchLabels, childPath(path, 'matchLabels')));
  (ps.matchExpressions ?? []).forEach((expr, i) => {
    const exprPath = `${childPath(path, 'matchExpressions')}[${i}]`;
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errs.push(
            fieldError('FieldValueRequired', `${exprPath}.values`, '', "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errs.push(
            fieldError(
              'FieldValueForbidden',
              `${exprPath}.values`,
              '',
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(fieldError('FieldValueInvalid', `${exprPath}.operator`, expr.operator, 'not a valid selector operator'));
    }
    errs.push(...validateLabelName(expr.key, `${exprPath}.key`));
    if (!opts.allowInvalidLabelValueInSelector) {
      values.forEach((v, j) => {
        for (const msg of isValidLabelValue(v)) {
          errs.push(fieldError('FieldValueInvalid', `${exprPath}.values[${j}]`, v, msg));
        }
      });
    }
  });
  return errs;
}

/** metav1.FormatLabelSelector (kubectl describe's Selector line): `<none>` when empty, `<error>` when invalid. */
export function formatLabelSelector(ps: Readonly<LabelSelector> | null | undefined): string {
  try {
    return labelSelectorAsSelector(ps).toString() || '<none>';
  } catch (e: unknown) {
    if (e instanceof SelectorParseError) return '<error>';
    throw e;
  }
}
