// JSON text of the apimachinery types with their own encodings: Time, MicroTime and Duration, as Go prints them.

function fraction(value: bigint, digits: number): { whole: bigint; frac: string } {
  const scale = 10n ** BigInt(digits);
  const frac = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return { whole: value / scale, frac: frac ? `.${frac}` : '' };
}

/** time.Duration.String() for a count of nanoseconds (e.g. "1h0m0s", "1.5s", "300ms", "0s"). */
export function formatDuration(nanos: bigint): string {
  const negative = nanos < 0n;
  let u = negative ? -nanos : nanos;
  let text: string;
  if (u === 0n) return '0s';
  if (u < 1_000_000_000n) {
    const [digits, unit] = u < 1_000n ? [0, 'n'] : u < 1_000_000n ? [3, 'µ'] : [6, 'm'];
    const { whole, frac } = fraction(u, digits);
    text = `${whole}${frac}${unit}s`;
  } else {
    const { whole, frac } = fraction(u, 9);
    u = whole;
    text = `${u % 60n}${frac}s`;
    u /= 60n;
    if (u > 0n) {
      text = `${u % 60n}m${text}`;
      u /= 60n;
      if (u > 0n) text = `${u}h${text}`;
    }
  }
  return negative ? `-${text}` : text;
}

/** Go's time.Unix normalisation: nanos outside [0, 1e9) carry into the seconds. */
function normalise(seconds: bigint, nanos: bigint): [bigint, bigint] {
  const carry = nanos >= 0n ? nanos / 1_000_000_000n : (nanos - 999_999_999n) / 1_000_000_000n;
  return [seconds + carry, nanos - carry * 1_000_000_000n];
}

function isoSeconds(seconds: bigint): string {
  const ms = Number(seconds) * 1000;
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  // encoding/json refuses times outside years 0..9999 (RFC 3339 has four-digit years).
  if (!Number.isFinite(ms) || Number.isNaN(date.getTime()) || year < 0 || year > 9999) throw new RangeError(`time ${seconds}s is outside the years 0 to 9999`);
  return date.toISOString().slice(0, 19);
}

/** metav1.Time in JSON: RFC 3339 in UTC with whole seconds (its protobuf decoding drops the nanoseconds). */
export function formatTime(seconds: bigint): string {
  return `${isoSeconds(seconds)}Z`;
}

/** metav1.MicroTime in JSON: RFC 3339 in UTC with exactly six fractional digits (truncated, not rounded). */
export function formatMicroTime(seconds: bigint, nanos: bigint): string {
  const [s, n] = normalise(seconds, nanos);
  return `${isoSeconds(s)}.${(n / 1000n).toString().padStart(6, '0')}Z`;
}
