import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { pyFloat, pyFloatRepr, pyFormatFixed, pyIntFromFloat, pyIntFromString, pyRound } from './python-number.js';
import { PY_WHITESPACE, pyIsAlpha, pyIsNumericNonLetter, pyLen, pySplitWhitespace, pyStrip } from './python-text.js';

/** Answers of CPython itself, written by fixtures/generate_python_semantics.py. */
interface PythonSemantics {
  readonly python: string;
  readonly float: ReadonlyArray<readonly [string, string]>;
  readonly int: ReadonlyArray<readonly [string, string]>;
  readonly intDigitLimit: ReadonlyArray<readonly [number, string]>;
  readonly repr: ReadonlyArray<readonly [string, string]>;
  readonly round: ReadonlyArray<readonly [string, number, string]>;
  readonly formatFixed: ReadonlyArray<readonly [string, number, string]>;
  readonly strip: ReadonlyArray<readonly [string, string, readonly string[]]>;
  readonly stripChars: ReadonlyArray<readonly [string, string, string]>;
  readonly whitespace: readonly number[];
}

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/python-semantics.json', import.meta.url), 'utf8')) as PythonSemantics;
const RAISES = new Set(['ValueError', 'OverflowError', 'TypeError']);

const failures = <T extends readonly unknown[]>(cases: readonly T[], check: (c: T) => boolean): T[] => cases.filter((c) => !check(c));

describe(`CPython ${fixture.python} number semantics`, () => {
  it('float(text) accepts and rejects exactly what CPython does (underscores, Unicode digits and spaces, inf/nan, "5.")', () => {
    const bad = failures(fixture.float, ([text, expected]) => {
      const value = pyFloat(text);
      return RAISES.has(expected) ? value === undefined : value !== undefined && pyFloatRepr(value) === expected;
    });
    expect(bad).toEqual([]);
    expect(fixture.float.length).toBeGreaterThan(70);
  });

  it('int(text) accepts and rejects exactly what CPython does, including the 4300-digit limit', () => {
    expect(failures(fixture.int, ([text, expected]) => {
      const value = pyIntFromString(text);
      return RAISES.has(expected) ? value === undefined : value?.toString() === expected;
    })).toEqual([]);
    for (const [length, expected] of fixture.intDigitLimit) {
      expect(pyIntFromString('9'.repeat(length)) === undefined).toBe(RAISES.has(expected));
    }
  });

  it('repr(float) matches on every sampled double (shortest digits, .0, exponent thresholds, -0.0)', () => {
    expect(failures(fixture.repr, ([text, expected]) => pyFloatRepr(Number(text)) === expected)).toEqual([]);
    expect(fixture.repr.length).toBeGreaterThan(500);
  });

  it('round(x, n) is half-even on the exact binary value, and overflows where CPython raises', () => {
    expect(
      failures(fixture.round, ([text, n, expected]) => {
        const rounded = pyRound(Number(text), n);
        return RAISES.has(expected) ? rounded === undefined : rounded !== undefined && pyFloatRepr(rounded) === expected;
      }),
    ).toEqual([]);
  });

  it("'{:.nf}'.format(x) matches (toFixed does not: it rounds ties up)", () => {
    expect(failures(fixture.formatFixed, ([text, n, expected]) => pyFormatFixed(Number(text), n) === expected)).toEqual([]);
  });

  it('reproduces the examples docs/evaluation.md §1.5 names', () => {
    expect(pyFloatRepr(pyRound(0.125, 2)!)).toBe('0.12');
    expect((0.125).toFixed(2)).toBe('0.13');
    expect(pyFloatRepr(pyRound(Number('1.20'), 2)!)).toBe('1.2');
    expect(pyFloatRepr(1)).toBe('1.0');
    expect(pyFloatRepr(-0)).toBe('-0.0');
    expect(pyFloatRepr(1e16)).toBe('1e+16');
    expect(pyFloatRepr(1e15)).toBe('1000000000000000.0');
    expect(pyFloatRepr(0.0001)).toBe('0.0001');
    expect(pyFloatRepr(0.00001)).toBe('1e-05');
    expect(pyFloat('')).toBeUndefined();
    expect(pyFloat('0x10')).toBeUndefined();
    expect(pyFloat('1_000')).toBe(1000);
    expect(pyFloat(' 12\n')).toBe(12);
    expect(pyFloat('Infinity')).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(pyFloat('nan'))).toBe(true);
    expect(pyIntFromString('3.0')).toBeUndefined();
    expect(pyIntFromString('1,000')).toBeUndefined();
    expect(pyIntFromFloat(3.9)).toBe(3n);
    expect(pyIntFromFloat(-3.9)).toBe(-3n);
    expect(pyIntFromFloat(1e3)).toBe(1000n);
    expect(pyIntFromFloat(Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(pyIntFromFloat(Number.NaN)).toBeUndefined();
    expect(pyIntFromFloat(1e30)).toBe(1000000000000000019884624838656n);
    expect(pyRound(Number.POSITIVE_INFINITY, 2)).toBe(Number.POSITIVE_INFINITY);
  });

  it('repr(x) reads back as x, and round(x, n) is idempotent (property)', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -5, max: 12 }), (x, n) => {
        expect(Number(pyFloatRepr(x).replace(/^(-?)inf$/, '$1Infinity'))).toBe(x);
        const once = pyRound(x, n);
        if (once !== undefined) expect(pyRound(once, n)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});

describe(`CPython ${fixture.python} string semantics`, () => {
  it('str.isspace is true for exactly the fixture code points (U+001C–U+001F yes, U+FEFF no)', () => {
    expect([...PY_WHITESPACE].map((ch) => ch.codePointAt(0)).sort((a, b) => a! - b!)).toEqual(fixture.whitespace);
  });

  it('str.strip() and str.split() match', () => {
    for (const [text, stripped, parts] of fixture.strip) {
      expect(pyStrip(text)).toBe(stripped);
      expect(pySplitWhitespace(text)).toEqual(parts);
    }
  });

  it('str.strip(chars) matches', () => {
    for (const [text, chars, stripped] of fixture.stripChars) expect(pyStrip(text, chars)).toBe(stripped);
  });

  it('len counts code points; isalpha and isnumeric follow Unicode categories', () => {
    expect(pyLen('𝟘')).toBe(1);
    expect('𝟘'.length).toBe(2);
    expect(pyIsAlpha('A')).toBe(true);
    expect(pyIsAlpha('三')).toBe(true);
    expect(pyIsAlpha('3')).toBe(false);
    expect(pyIsAlpha('')).toBe(false);
    expect(pyIsNumericNonLetter('3')).toBe(true);
    expect(pyIsNumericNonLetter('½')).toBe(true);
    expect(pyIsNumericNonLetter('²')).toBe(true);
    expect(pyIsNumericNonLetter('.')).toBe(false);
  });
});
