// Field errors with upstream's wording (field.ErrorBody) and the shared string validators of apimachinery.
import { isIP } from 'node:net';
import type { FieldError, FieldErrorType } from './types.ts';
import { isObj } from './object.ts';
import { goQuote, GoText } from '../selectors/go-format.ts';
import {
  emptyError,
  fieldError,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  maxLenError,
  regexError,
} from '../selectors/validation.ts';

// The apimachinery string checks and Go quoting live in server/selectors; registry callers import them from here.
export { emptyError, goQuote, GoText, isDNS1035Label, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, maxLenError, regexError };

// ---- field paths, as upstream's field.Path prints them ----

/** `base.name` (or `name` at the root). */
export function fp(base: string, ...names: string[]): string {
  return [base, ...names].filter((s) => s !== '').join('.');
}

/** `base[i]`. */
export function idx(base: string, i: number): string {
  return `${base}[${i}]`;
}

/** `base[key]` (upstream does not quote map keys). */
export function key(base: string, k: string): string {
  return `${base}[${k}]`;
}

// ---- Go value formatting (what follows `Invalid value: `) ----

function isStringArray(v: unknown[]): v is string[] {
  return v.every((x) => typeof x === 'string');
}

function isStringMap(v: Record<string, unknown>): v is Record<string, string> {
  return Object.values(v).every((x) => typeof x === 'string');
}

/** Go's %#v of a map[string]string: keys sorted, `map[string]string{"a":"b", "c":"d"}`. */
export function goStringMap(m: Record<string, string> | undefined): string {
  if (!m) return 'map[string]string(nil)';
  const parts = Object.keys(m)
    .sort()
    .map((k) => `${goQuote(k)}:${goQuote(m[k])}`);
  return `map[string]string{${parts.join(', ')}}`;
}

/** Go's %#v of a []string. */
export function goStringSlice(s: readonly string[] | undefined): string {
  if (!s) return '[]string(nil)';
  return `[]string{${s.map(goQuote).join(', ')}}`;
}

/** Go's %#v of a metav1.LabelSelector as the validators report it (package name `v1`). */
export function goLabelSelector(sel: unknown): string {
  if (!isObj(sel)) return 'null';
  const ml = isObj(sel.matchLabels) && isStringMap(sel.matchLabels) ? sel.matchLabels : undefined;
  const exprs = Array.isArray(sel.matchExpressions) ? sel.matchExpressions.filter(isObj) : undefined;
  const exprText = exprs
    ? `[]v1.LabelSelectorRequirement{${exprs
        .map((e) => {
          const values = Array.isArray(e.values) && isStringArray(e.values) ? e.values : undefined;
          return `v1.LabelSelectorRequirement{Key:${goQuote(String(e.key ?? ''))}, Operator:${goQuote(String(e.operator ?? ''))}, Values:${goStringSlice(values)}}`;
        })
        .join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return `v1.LabelSelector{MatchLabels:${goStringMap(ml)}, MatchExpressions:${exprText}}`;
}

/**
 * How upstream prints a bad value: strings quoted, numbers and booleans bare, string maps and slices
 * as Go literals. Other structures are printed as JSON (upstream prints Go struct syntax there).
 */
export function goValue(v: unknown): string {
  if (v instanceof GoText) return v.text;
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return isStringArray(v) ? goStringSlice(v) : JSON.stringify(v);
  if (isObj(v) && isStringMap(v)) return goStringMap(v);
  return JSON.stringify(v);
}

/** An IntOrString as its String() prints it (no quotes). */
export function intOrString(v: unknown): GoText {
  return new GoText(typeof v === 'number' ? String(v) : String(v ?? ''));
}

// ---- error constructors: message = ErrorBody(), i.e. the text after `field: ` ----

/** One field.Error whose bad value prints as goValue renders it (Go's %#v for string maps and slices). */
function shownError(type: FieldErrorType, field: string, value: unknown, detail = ''): FieldError {
  return fieldError(type, field, new GoText(goValue(value)), detail);
}

export function required(field: string, detail = ''): FieldError {
  return fieldError('FieldValueRequired', field, null, detail);
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return shownError('FieldValueInvalid', field, value, detail);
}

export function notSupported(field: string, value: unknown, valid: readonly string[]): FieldError {
  const detail = valid.length ? `supported values: ${valid.map((v) => goQuote(v)).join(', ')}` : '';
  return shownError('FieldValueNotSupported', field, value, detail);
}

export function duplicate(field: string, value: unknown): FieldError {
  return shownError('FieldValueDuplicate', field, value);
}

export function forbidden(field: string, detail: string): FieldError {
  return fieldError('FieldValueForbidden', field, null, detail);
}

export function notFound(field: string, value: unknown): FieldError {
  return shownError('FieldValueNotFound', field, value);
}

/** Upstream's field.TooLong: the value is never printed. */
export function tooLong(field: string, maxBytes: number): FieldError {
  return fieldError('FieldValueTooLong', field, null, `may not be more than ${maxBytes} ${maxBytes === 1 ? 'byte' : 'bytes'}`);
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  return fieldError('FieldValueTooMany', field, actual, `must have at most ${max} ${max === 1 ? 'item' : 'items'}`);
}

export const FIELD_IMMUTABLE = 'field is immutable';

/** ValidateImmutableField: an Invalid error carrying the new value when it differs from the old one. */
export function immutable(field: string, value: unknown, old: unknown, equal: (a: unknown, b: unknown) => boolean, shown: unknown = value): FieldError[] {
  return equal(value, old) ? [] : [invalid(field, shown, FIELD_IMMUTABLE)];
}

// ---- apimachinery/pkg/util/validation string checks: each returns its messages ----

export const NEGATIVE = 'must be greater than or equal to 0';

export function inclusiveRangeError(lo: number, hi: number): string {
  return `must be between ${lo} and ${hi}, inclusive`;
}

const CONFIG_MAP_KEY_FMT = '[-._a-zA-Z0-9]+';
const configMapKey = new RegExp(`^${CONFIG_MAP_KEY_FMT}$`);

function hasChDirPrefix(value: string): string[] {
  if (value === '.') return ["must not be '.'"];
  if (value === '..') return ["must not be '..'"];
  if (value.startsWith('..')) return ["must not start with '..'"];
  return [];
}

/** Keys of ConfigMap / Secret data. */
export function isConfigMapKey(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 253) errs.push(maxLenError(253));
  if (!configMapKey.test(value)) {
    errs.push(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'", CONFIG_MAP_KEY_FMT, 'key.name', 'KEY_NAME', 'key-name'));
  }
  return errs.concat(hasChDirPrefix(value));
}

/** IANA service names as container / service port names. */
export function isValidPortName(port: string): string[] {
  const errs: string[] = [];
  if (port.length > 15) errs.push(maxLenError(15));
  if (!/^[-a-z0-9]+$/.test(port)) errs.push('must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  if (!/[a-z]/.test(port)) errs.push('must contain at least one letter (a-z)');
  if (port.includes('--')) errs.push('must not contain consecutive hyphens');
  if (port.length > 0 && (port.startsWith('-') || port.endsWith('-'))) errs.push('must not begin or end with a hyphen');
  return errs;
}

export function isValidPortNum(port: number): string[] {
  return Number.isInteger(port) && port >= 1 && port <= 65535 ? [] : [inclusiveRangeError(1, 65535)];
}

/** The relaxed rule (RelaxedEnvironmentVariableValidation, on by default since 1.32). */
export function isEnvVarName(value: string): string[] {
  const errs: string[] = [];
  if (value.length === 0) errs.push(`environment variable name ${emptyError()}`);
  for (const ch of value) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp > 0x7e || cp < 0x20 || ch === '=') {
      errs.push("a valid environment variable name must consist only of printable ASCII characters other than '='");
      break;
    }
  }
  return errs;
}

export const IP_EXAMPLE = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

export function isValidIP(value: string): boolean {
  return isIP(value) !== 0;
}

const PERCENT_FMT = '[0-9]+%';

export function isValidPercent(value: string): string[] {
  return /^[0-9]+%$/.test(value) ? [] : [regexError("a valid percent string must be a numeric string followed by an ending '%'", PERCENT_FMT, '1%', '93%')];
}

// ---- common numeric checks ----

/** ValidateNonnegativeField. */
export function nonNegative(field: string, value: unknown): FieldError[] {
  return typeof value === 'number' && value < 0 ? [invalid(field, value, NEGATIVE)] : [];
}

/** An IntOrString that must be a non-negative integer or a percentage (deployment maxSurge, PDB minAvailable, …). */
export function positiveIntOrPercent(field: string, value: unknown): FieldError[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return isValidPercent(value).map((m) => invalid(field, intOrString(value), m));
  if (typeof value === 'number') return value < 0 ? [invalid(field, intOrString(value), NEGATIVE)] : [];
  return [invalid(field, value, "must be an integer or percentage (e.g '5%')")];
}

/** IsNotMoreThan100Percent. */
export function notMoreThan100Percent(field: string, value: unknown): FieldError[] {
  if (typeof value !== 'string' || !/^[0-9]+%$/.test(value)) return [];
  return Number(value.slice(0, -1)) > 100 ? [invalid(field, intOrString(value), 'must not be greater than 100%')] : [];
}
