// metav1.LabelSelector in the catalogue: validation, matching against template labels, and printing as upstream.
import type { FieldError } from './types.ts';
import { isObj, records, strMap } from './object.ts';
import { validateLabels } from './meta-validation.ts';
import { forbidden, fp, idx, invalid, isQualifiedName, isValidLabelValue, required } from './validation.ts';

interface Requirement {
  key: string;
  operator: string;
  values: string[];
}

function requirementsOf(sel: unknown): Requirement[] | undefined {
  if (!isObj(sel)) return undefined;
  const out: Requirement[] = [];
  for (const [k, v] of Object.entries(strMap(sel.matchLabels) ?? {})) out.push({ key: k, operator: '=', values: [v] });
  for (const e of records(sel.matchExpressions)) {
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    out.push({ key: String(e.key ?? ''), operator: String(e.operator ?? ''), values });
  }
  return out;
}

/** ValidateLabelSelector (values must be valid label values). */
export function validateLabelSelector(sel: unknown, field: string): FieldError[] {
  if (!isObj(sel)) return [];
  const errs = validateLabels(sel.matchLabels, fp(field, 'matchLabels'));
  records(sel.matchExpressions).forEach((e, i) => {
    const path = idx(fp(field, 'matchExpressions'), i);
    const values = Array.isArray(e.values) ? e.values.map(String) : [];
    const op = String(e.operator ?? '');
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) errs.push(required(fp(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) errs.push(forbidden(fp(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      errs.push(invalid(fp(path, 'operator'), op, 'not a valid selector operator'));
    }
    const k = String(e.key ?? '');
    for (const m of isQualifiedName(k)) errs.push(invalid(fp(path, 'key'), k, m));
    values.forEach((v, j) => {
      for (const m of isValidLabelValue(v)) errs.push(invalid(idx(fp(path, 'values'), j), v, m));
    });
  });
  return errs;
}

/** True when the selector has neither matchLabels nor matchExpressions (it selects everything). */
export function isEmptySelector(sel: unknown): boolean {
  const reqs = requirementsOf(sel);
  return !reqs || reqs.length === 0;
}

/** LabelSelectorAsSelector(sel).Matches(labels). A missing selector matches nothing. */
export function selectorMatches(sel: unknown, labels: Record<string, string> | undefined): boolean {
  const reqs = requirementsOf(sel);
  if (!reqs) return false;
  const l = labels ?? {};
  return reqs.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    switch (r.operator) {
      case '=':
      case 'In':
        return has && r.values.includes(l[r.key]);
      case 'NotIn':
        return !has || !r.values.includes(l[r.key]);
      case 'Exists':
        return has;
      case 'DoesNotExist':
        return !has;
      default:
        return false;
    }
  });
}

/** A map selector (services, replication controllers) matches when every pair is present. */
export function mapSelectorMatches(sel: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return Object.entries(sel ?? {}).every(([k, v]) => l[k] === v);
}

/** selector.String() of upstream's internal labels package: requirements sorted by key, values sorted. */
export function selectorString(sel: unknown): string {
  const reqs = requirementsOf(sel) ?? [];
  return reqs
    .slice()
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((r) => {
      const values = [...new Set(r.values)].sort();
      switch (r.operator) {
        case '=':
          return `${r.key}=${values[0] ?? ''}`;
        case 'In':
          return `${r.key} in (${values.join(',')})`;
        case 'NotIn':
          return `${r.key} notin (${values.join(',')})`;
        case 'Exists':
          return r.key;
        case 'DoesNotExist':
          return `!${r.key}`;
        default:
          return `${r.key} ${r.operator} (${values.join(',')})`;
      }
    })
    .join(',');
}

/** metav1.FormatLabelSelector: `<none>` for an empty or missing selector. */
export function formatLabelSelector(sel: unknown): string {
  const s = selectorString(sel);
  return s === '' ? '<none>' : s;
}
