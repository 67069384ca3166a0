// resource.Quantity parsing for comparisons (QoS class, quota printing): exact, in nano-units, as BigInt.

const BINARY: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};

const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

const QUANTITY = /^([+-]?[0-9.]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

/**
 * The quantity's value times 10^9, rounded up (upstream never loses precision below nano).
 * Undefined when the text is not a quantity. Accepts numbers as they appear in JSON.
 */
export function parseQuantity(q: unknown): bigint | undefined {
  const text = typeof q === 'number' ? String(q) : q;
  if (typeof text !== 'string') return undefined;
  const m = QUANTITY.exec(text.trim());
  if (!m || !/^[+-]?(\d+\.?\d*|\.\d+)$/.test(m[1])) return undefined;
  const negative = m[1].startsWith('-');
  const digits = m[1].replace(/^[+-]/, '');
  const [intPart, fracPart = ''] = digits.split('.');
  let mantissa = BigInt((intPart || '0') + fracPart);
  let exp10 = 9 - fracPart.length;
  const suffix = m[2] ?? '';
  if (suffix in BINARY) mantissa *= BINARY[suffix];
  else if (suffix in DECIMAL) exp10 += DECIMAL[suffix];
  else exp10 += Number(suffix.slice(1));
  let value: bigint;
  if (exp10 >= 0) {
    value = mantissa * 10n ** BigInt(exp10);
  } else {
    const div = 10n ** BigInt(-exp10);
    value = (mantissa + div - 1n) / div;
  }
  return negative ? -value : value;
}

/** True when the quantity is strictly positive. */
export function isPositive(q: unknown): boolean {
  const v = parseQuantity(q);
  return v !== undefined && v > 0n;
}

type Format = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

const DECIMAL_SUFFIX: Readonly<Record<number, string>> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_SUFFIX = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];

function formatOf(text: string): Format {
  const m = QUANTITY.exec(text.trim());
  const suffix = m?.[2] ?? '';
  if (suffix in BINARY) return 'BinarySI';
  if (/^[eE]/.test(suffix)) return 'DecimalExponent';
  return 'DecimalSI';
}

/**
 * resource.Quantity's canonical text, as upstream serializes a stored quantity: rounded up to milli
 * units, then `500m`, `1k`, `512Mi`, `129e6` … (`0.5` → `500m`, `1.5Gi` → `1536Mi`, `1000` → `1k`).
 * Undefined when the value is not a quantity (left for the decoder to reject).
 */
export function canonicalQuantity(q: unknown): string | undefined {
  const nano = parseQuantity(q);
  if (nano === undefined) return undefined;
  const text = typeof q === 'number' ? String(q) : String(q);
  const negative = nano < 0n;
  const abs = negative ? -nano : nano;
  const milli = (abs + 999_999n) / 1_000_000n;
  if (milli === 0n) return '0';
  const sign = negative ? '-' : '';
  let format = formatOf(text);
  if (format === 'BinarySI' && (milli < 1024_000n || milli % 1000n !== 0n)) format = 'DecimalSI';
  if (format === 'BinarySI') {
    let n = milli / 1000n;
    let count = 0;
    while (n % 1024n === 0n && count < BINARY_SUFFIX.length - 1) {
      n /= 1024n;
      count++;
    }
    return `${sign}${n}${BINARY_SUFFIX[count]}`;
  }
  let mantissa = milli;
  let exp = -3;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exp++;
  }
  const r = ((exp % 3) + 3) % 3;
  if (r === 1) {
    mantissa *= 10n;
    exp -= 1;
  } else if (r === 2) {
    mantissa *= 100n;
    exp -= 2;
  }
  if (format === 'DecimalExponent') return `${sign}${mantissa}${exp === 0 ? '' : `e${exp}`}`;
  const suffix = DECIMAL_SUFFIX[exp];
  return `${sign}${mantissa}${suffix ?? `e${exp}`}`;
}

/** Rewrites every quantity of a ResourceList (a name → quantity map) in canonical form, in place. */
export function canonicalizeResourceList(list: unknown): void {
  if (typeof list !== 'object' || list === null || Array.isArray(list)) return;
  const map = list as Record<string, unknown>;
  for (const [k, v] of Object.entries(map)) {
    const c = canonicalQuantity(v);
    if (c !== undefined) map[k] = c;
  }
}
