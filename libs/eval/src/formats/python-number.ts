/**
 * CPython 3.11 number semantics used by the official scorers (docs/evaluation.md §1.5), reproduced exactly:
 *
 * - `float(s)` (`PyFloat_FromString`): non-ASCII whitespace → space and Unicode decimal digits → ASCII
 *   (`_PyUnicode_TransformDecimalAndSpaceToASCII`), surrounding ASCII whitespace stripped, then
 *   `[sign] (digits [. [digits]] | . digits) [(e|E) [sign] digits] | [sign] (inf|infinity|nan)`
 *   (case-insensitive) with single `_` only between digits; anything else raises (→ `undefined`).
 * - `int(s)` (base 10): the same transformation, `[sign] digits` with single `_` between digits,
 *   at most 4300 digits (`sys.int_max_str_digits`); arbitrary precision (`bigint`).
 * - `int(x)` for a float: truncation toward zero; `inf` and `nan` raise.
 * - `round(x, n)` (`float_round`): the exact binary value rounded to n decimals, half to even
 *   (`_Py_dg_dtoa` mode 3), read back as the nearest double; a finite result too large raises.
 * - `repr(x)` / `str(x)` (`float_repr_style = 'short'`): the shortest digits that round-trip, fixed
 *   notation with at least one fractional digit (`1.0`) when −4 < decimal exponent ≤ 16, else
 *   `d.ddde±XX`; `inf`, `-inf`, `nan`, `-0.0`.
 * - `'{:.nf}'.format(x)`: the exact value rounded half to even at n decimals.
 *
 * Exactness comes from expanding a double m·2^e into the decimal m·5^k / 10^k (k = −e) with BigInt.
 */

/** The value of a Unicode decimal digit (category Nd), or −1. Nd characters come in runs of ten, 0 to 9. */
const decimalValue = (cp: number): number => {
  const isNd = (c: number): boolean => /\p{Nd}/u.test(String.fromCodePoint(c));
  if (!isNd(cp)) return -1;
  let start = cp;
  while (start > 0 && isNd(start - 1)) start--;
  return (cp - start) % 10;
};

/** `_PyUnicode_TransformDecimalAndSpaceToASCII`: the ASCII text CPython's number parsers read, or undefined at the first other character. */
const toAsciiNumberText = (text: string): string | undefined => {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp < 127) out += ch;
    else if (/[\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/.test(ch)) out += ' ';
    else {
      const digit = decimalValue(cp);
      if (digit < 0) return undefined;
      out += String(digit);
    }
  }
  return out;
};

const ASCII_SPACE = /^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g;
const DIGITS = String.raw`\d(?:_?\d)*`;
const FLOAT_SYNTAX = new RegExp(String.raw`^[+-]?(?:(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?|inf|infinity|nan)$`, 'i');
const INT_SYNTAX = new RegExp(String.raw`^[+-]?${DIGITS}$`);
const INT_MAX_STR_DIGITS = 4300;

/** Python `float(text)`; `undefined` where Python raises `ValueError`. */
export const pyFloat = (text: string): number | undefined => {
  const ascii = toAsciiNumberText(text)?.replace(ASCII_SPACE, '');
  if (ascii === undefined || !FLOAT_SYNTAX.test(ascii)) return undefined;
  const body = ascii.replace(/^[+-]/, '').toLowerCase();
  const sign = ascii.startsWith('-') ? -1 : 1;
  if (body === 'nan') return Number.NaN;
  if (body === 'inf' || body === 'infinity') return sign * Number.POSITIVE_INFINITY;
  // JavaScript's decimal-string reading is correctly rounded, as is CPython's `_Py_dg_strtod`.
  return Number(ascii.replaceAll('_', ''));
};

/** Python `int(text)` (base 10); `undefined` where Python raises `ValueError`. */
export const pyIntFromString = (text: string): bigint | undefined => {
  const ascii = toAsciiNumberText(text)?.replace(ASCII_SPACE, '');
  if (ascii === undefined || !INT_SYNTAX.test(ascii)) return undefined;
  const digits = ascii.replace(/^[+-]/, '').replaceAll('_', '');
  if (digits.length > INT_MAX_STR_DIGITS) return undefined;
  const magnitude = BigInt(digits);
  return ascii.startsWith('-') ? -magnitude : magnitude;
};

/** Python `int(x)` for a float: truncation toward zero; `undefined` for inf and nan (Python raises). */
export const pyIntFromFloat = (x: number): bigint | undefined => (Number.isFinite(x) ? BigInt(Math.trunc(x)) : undefined);

/** A finite double as sign · digits / 10^scale exactly. */
interface ExactDecimal {
  readonly negative: boolean;
  readonly digits: bigint;
  readonly scale: number;
}

const exactDecimal = (x: number): ExactDecimal => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biasedExponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  const mantissa = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biasedExponent === 0 ? 1 : biasedExponent) - 1075;
  return exponent >= 0
    ? { negative, digits: mantissa << BigInt(exponent), scale: 0 }
    : { negative, digits: mantissa * 5n ** BigInt(-exponent), scale: -exponent };
};

/** `value` (digits / 10^scale) rounded to `places` decimals, half to even, as an integer count of 10^−places. */
const roundHalfEven = (value: ExactDecimal, places: number): bigint => {
  if (places >= value.scale) return value.digits * 10n ** BigInt(places - value.scale);
  const divisor = 10n ** BigInt(value.scale - places);
  const quotient = value.digits / divisor;
  const twiceRemainder = 2n * (value.digits % divisor);
  if (twiceRemainder > divisor || (twiceRemainder === divisor && quotient % 2n === 1n)) return quotient + 1n;
  return quotient;
};

/** Python `round(x, places)` for a float and an int; `undefined` where Python raises `OverflowError`. */
export const pyRound = (x: number, places: number): number | undefined => {
  if (!Number.isFinite(x)) return x;
  if (!Number.isInteger(places)) throw new RangeError(`pyRound: places ${places} is not an integer`);
  const exact = exactDecimal(x);
  if (places >= exact.scale) return x;
  const rounded = Number(`${exact.negative ? '-' : ''}${roundHalfEven(exact, places)}e${-places}`);
  return Number.isFinite(rounded) ? rounded : undefined;
};

/**
 * The shortest round-trip decimal digits of a positive finite double and the position of the decimal
 * point (value = 0.d1d2… × 10^decimalPoint). ECMAScript's Number::toString picks, like CPython's
 * repr, the fewest digits and among those the one closest to the value.
 */
const shortestDigits = (x: number): { readonly digits: string; readonly decimalPoint: number } => {
  const [mantissa = '', exponentText] = String(x).split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const allDigits = whole + fraction;
  const leadingZeros = allDigits.length - allDigits.replace(/^0+/, '').length;
  const digits = allDigits.slice(leadingZeros).replace(/0+$/, '');
  return { digits, decimalPoint: whole.length + exponent - leadingZeros };
};

/** Python `repr(x)` / `str(x)` for a float. */
export const pyFloatRepr = (x: number): string => {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const { digits, decimalPoint } = shortestDigits(Math.abs(x));
  if (decimalPoint <= -4 || decimalPoint > 16) {
    const exponent = decimalPoint - 1;
    const body = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${body}e${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  if (decimalPoint <= 0) return `${sign}0.${'0'.repeat(-decimalPoint)}${digits}`;
  if (decimalPoint >= digits.length) return `${sign}${digits}${'0'.repeat(decimalPoint - digits.length)}.0`;
  return `${sign}${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
};

/** Python `'{:.nf}'.format(x)`: exactly `places` decimals, the exact value rounded half to even. */
export const pyFormatFixed = (x: number, places: number): string => {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (!Number.isInteger(places) || places < 0) throw new RangeError(`pyFormatFixed: places ${places} is not a non-negative integer`);
  const exact = exactDecimal(x);
  const text = roundHalfEven(exact, places).toString().padStart(places + 1, '0');
  const body = places === 0 ? text : `${text.slice(0, -places)}.${text.slice(-places)}`;
  return `${exact.negative ? '-' : ''}${body}`;
};

/** Python `str(n)` for an int. */
export const pyIntRepr = (n: bigint): string => n.toString();
