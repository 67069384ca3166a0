// metav1.LabelSelector held as raw JSON (catalogue objects, API clients): thin views over server/selectors/labels.ts.
import type { FieldError } from './types.ts';
import { isObj, records, strMap } from './object.ts';
import {
  formatLabelSelector as formatTyped,
  labelSelectorAsSelector,
  selectorFromSet,
  validateLabelSelector as validateTyped,
  type LabelMatcher,
  type LabelSelector,
} from '../selectors/labels.ts';
import { SelectorParseError } from '../selectors/errors.ts';

/**
 * A raw selector as a typed metav1.LabelSelector: undefined when it is not an object (a nil selector).
 * Entries of the wrong JSON type are coerced to strings so validation reports them instead of crashing.
 */
export function asLabelSelector(sel: unknown): LabelSelector | undefined {
  if (!isObj(sel)) return undefined;
  const out: LabelSelector = {};
  const matchLabels = strMap(sel.matchLabels);
  if (matchLabels) out.matchLabels = matchLabels;
  if (Array.isArray(sel.matchExpressions)) {
    out.matchExpressions = records(sel.matchExpressions).map((e) => ({
      key: String(e.key ?? ''),
      operator: String(e.operator ?? ''),
      ...(Array.isArray(e.values) ? { values: e.values.map(String) } : {}),
    }));
  }
  return out;
}

/** LabelSelectorAsSelector over raw JSON; undefined when upstream's conversion would fail. */
function matcherOf(sel: unknown): LabelMatcher | undefined {
  try {
    return labelSelectorAsSelector(asLabelSelector(sel));
  } catch (e: unknown) {
    if (e instanceof SelectorParseError) return undefined;
    throw e;
  }
}

/** ValidateLabelSelector (values must be valid label values); a missing selector is valid here. */
export function validateLabelSelector(sel: unknown, field: string): FieldError[] {
  return validateTyped(asLabelSelector(sel), field);
}

/** True when the selector has neither matchLabels nor matchExpressions (it selects everything). */
export function isEmptySelector(sel: unknown): boolean {
  if (!isObj(sel)) return true;
  return matcherOf(sel)?.empty ?? false;
}

/** LabelSelectorAsSelector(sel).Matches(labels). A missing or unconvertible selector matches nothing. */
export function selectorMatches(sel: unknown, labels: Readonly<Record<string, string>> | undefined): boolean {
  return matcherOf(sel)?.matches(labels ?? {}) ?? false;
}

/** labels.SelectorFromSet(sel).Matches(labels): services and replication controllers; empty matches all. */
export function mapSelectorMatches(sel: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  return selectorFromSet(sel).matches(labels ?? {});
}

/** LabelSelectorAsSelector(sel).String(): requirements sorted by key, values sorted; '' when missing or invalid. */
export function selectorString(sel: unknown): string {
  return matcherOf(sel)?.toString() ?? '';
}

/** metav1.FormatLabelSelector: `<none>` for an empty or missing selector, `<error>` for an invalid one. */
export function formatLabelSelector(sel: unknown): string {
  return formatTyped(asLabelSelector(sel));
}
