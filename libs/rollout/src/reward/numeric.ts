/**
 * Numeric equivalence of a candidate answer and a reference.
 *
 * Parsing (`parseNumber`, whole string): surrounding whitespace, a leading `$` and trailing
 * full stops are ignored; then an optional sign and one of: an integer, a decimal (`0.75`,
 * `.5`, `3.`), thousands groups (`1,000`, `12,345.5`), scientific notation (`1e3`), or a
 * fraction of integers `a/b` (b ≠ 0; spaces around `/` allowed); a trailing `%` marks a
 * percentage. A candidate that does not parse as a whole but contains exactly one number
 * token ("7 apples") is read as that number; two or more ("3+4=7") is not a number.
 *
 * Equivalence (`numericEquivalent`), with c the candidate's value and r the reference's:
 * - |c − r| ≤ 1e-9·max(1, |r|) (float noise only: 3/4 ≡ 0.75 ≡ 0.750, 7 ≡ 7.0);
 * - or the candidate is a decimal written with d ≥ 2 digits after the point and equals r
 *   rounded half away from zero to d digits (1/3 ≡ 0.33 ≡ 0.333; 2/3 ≡ 0.67 but not 0.66;
 *   0.3 is not 1/3: one digit is too coarse);
 * - a percentage on either side may also be read as its value over 100 (75% ≡ 0.75 ≡ 75).
 * A reference that does not parse matches nothing.
 */
import { NUMBER_TOKEN } from './extract.js';

export interface ParsedNumber {
  readonly value: number;
  /** Digits after the decimal point as written; 0 for integers and fractions. */
  readonly decimals: number;
  readonly percent: boolean;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const GROUPED = /^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$/;
const FRACTION = /^([+-]?\d+)\s*\/\s*(\d+)$/;

const NUMBER_WITH_PERCENT = new RegExp(`(?:${NUMBER_TOKEN.source})(?:\\s*%)?`, 'g');

/** `input` as a whole as one number, or `undefined` (no single-token fallback). */
export const parseNumberStrict = (input: string): ParsedNumber | undefined => {
  let s = input.trim().replace(/\.+$/, '').trim().replace(/^\$/, '').trim();
  const percent = s.endsWith('%');
  if (percent) s = s.slice(0, -1).trim();
  if (s.length === 0) return undefined;
  const fraction = FRACTION.exec(s);
  if (fraction !== null) {
    const den = Number(fraction[2]);
    return den === 0 ? undefined : { value: Number(fraction[1]) / den, decimals: 0, percent };
  }
  const plain = GROUPED.test(s) ? s.replace(/,/g, '') : DECIMAL.test(s) ? s : undefined;
  if (plain === undefined) return undefined;
  const value = Number(plain);
  if (!Number.isFinite(value)) return undefined;
  const point = /\.(\d*)/.exec(plain.replace(/e.*$/i, ''));
  return { value, decimals: point === null ? 0 : point[1]!.length, percent };
};

export const parseNumber = (input: string): ParsedNumber | undefined => {
  const strict = parseNumberStrict(input);
  if (strict !== undefined) return strict;
  const tokens = input.match(NUMBER_WITH_PERCENT) ?? [];
  return tokens.length === 1 ? parseNumberStrict(tokens[0]!) : undefined;
};

/** x rounded half away from zero; a value within float noise of a tie is the tie (−499/40 = −12.475 is stored as −12.47499…). */
const roundHalfAway = (x: number, digits: number): number => {
  const f = 10 ** digits;
  const scaled = Math.abs(x) * f;
  return (Math.sign(x) * Math.round(scaled + 1e-9 * Math.max(1, scaled))) / f;
};

const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

const valueMatches = (candidate: number, decimals: number, reference: number): boolean =>
  close(candidate, reference) || (decimals >= 2 && close(candidate, roundHalfAway(reference, decimals)));

/** The readings of a parsed number as [value, decimals]: as written, and over 100 when it is a percentage. */
const readings = (n: ParsedNumber): Array<readonly [number, number]> =>
  n.percent ? [[n.value, n.decimals], [n.value / 100, n.decimals + 2]] : [[n.value, n.decimals]];

export const numericEquivalent = (candidate: string, reference: string): boolean => {
  const c = parseNumber(candidate);
  const r = parseNumberStrict(reference);
  if (c === undefined || r === undefined) return false;
  return readings(c).some(([cv, decimals]) => readings(r).some(([rv]) => valueMatches(cv, decimals, rv)));
};
