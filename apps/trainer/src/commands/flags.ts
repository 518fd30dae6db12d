/**
 * Numeric command-line values, parsed strictly: a value that is not a number of the expected
 * kind and range is a `UsageError` (exit 2) naming the flag, the value given and what was expected.
 */
import { UsageError } from '../main.js';

/** An integer written in decimal digits, in [min, max] (no upper bound when `max` is omitted). */
export const integerFlag = (name: string, text: string, min: number, max?: number): number => {
  const n = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || (max !== undefined && n > max)) {
    throw new UsageError(`--${name} is ${JSON.stringify(text)}, expected an integer ${max === undefined ? `≥ ${min}` : `in [${min}, ${max}]`}`);
  }
  return n;
};

/** A finite number in (low, high] (`lowOpen`) or [low, high]. */
export const numberFlag = (name: string, text: string, low: number, high: number, lowOpen = false): number => {
  const x = Number(text);
  if (text.trim() === '' || !Number.isFinite(x) || x > high || (lowOpen ? x <= low : x < low)) {
    throw new UsageError(`--${name} is ${JSON.stringify(text)}, expected a number in ${lowOpen ? '(' : '['}${low}, ${high}]`);
  }
  return x;
};
