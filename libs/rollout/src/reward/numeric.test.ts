import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { numericEquivalent, parseNumber, parseNumberStrict } from './numeric.js';

const EQUIVALENT: ReadonlyArray<readonly [string, string]> = [
  ['7', '7'],
  ['7.0', '7'],
  ['+7', '7'],
  [' 7. ', '7'],
  ['$7', '7'],
  ['0.75', '3/4'],
  ['3/4', '0.75'],
  ['6/8', '3/4'],
  ['3 / 4', '.75'],
  ['.5', '1/2'],
  ['-2', '-2.00'],
  ['1,000', '1000'],
  ['12,345.5', '12345.5'],
  ['1e3', '1000'],
  ['0.33', '1/3'],
  ['0.333', '1/3'],
  ['0.67', '2/3'],
  ['75%', '0.75'],
  ['75%', '75'],
  ['0.75', '75%'],
  ['7 apples', '7'],
  ['0.30000000000000004', '0.3'],
];

const NOT_EQUIVALENT: ReadonlyArray<readonly [string, string]> = [
  ['8', '7'],
  ['0.3', '1/3'],
  ['0.66', '2/3'],
  ['0.7', '0.75'],
  ['-7', '7'],
  ['3+4=7', '7'],
  ['3,4', '34'],
  ['seven', '7'],
  ['', '0'],
  ['1/0', '1'],
  ['7', 'seven'],
  ['7', '7 apples'],
  ['Infinity', 'Infinity'],
  ['12,34', '1234'],
];

describe('numericEquivalent', () => {
  it.each(EQUIVALENT)('%j ≡ %j', (candidate, reference) => expect(numericEquivalent(candidate, reference)).toBe(true));
  it.each(NOT_EQUIVALENT)('%j ≢ %j', (candidate, reference) => expect(numericEquivalent(candidate, reference)).toBe(false));

  it('accepts every integer written plainly, with a sign, a .0 or as n/1', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e6, max: 1e6 }), (n) =>
        [String(n), `${n}.0`, `${n}/1`, n >= 0 ? `+${n}` : `${n}`].every((c) => numericEquivalent(c, String(n))),
      ),
    );
  });

  it('rejects any other integer', () => {
    fc.assert(fc.property(fc.integer({ min: -1e6, max: 1e6 }), fc.integer({ min: -1e6, max: 1e6 }), (a, b) => a === b || !numericEquivalent(String(a), String(b))));
  });

  it('matches a fraction to its decimal value, and to 2+ correctly rounded digits', () => {
    /** a/b rounded half away from zero to 2 digits, exactly (toFixed rounds the binary value, so −499/40 = −12.475 gives −12.47). */
    const twoDigits = (a: number, b: number): string => {
      const hundredths = Math.floor((Math.abs(a) * 200 + b) / (2 * b));
      return `${a < 0 ? '-' : ''}${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`;
    };
    expect(twoDigits(-499, 40)).toBe('-12.48');
    // exact ties, whose float value lies just below or above the tie
    for (const [fraction, rounded, not] of [['-499/40', '-12.48', '-12.47'], ['-403/40', '-10.08', '-10.07'], ['403/40', '10.08', '10.07'], ['1/8', '0.13', '0.12']] as const) {
      expect(numericEquivalent(rounded, fraction), `${rounded} ≡ ${fraction}`).toBe(true);
      expect(numericEquivalent(not, fraction), `${not} ≢ ${fraction}`).toBe(false);
    }
    fc.assert(
      fc.property(fc.integer({ min: -500, max: 500 }), fc.integer({ min: 1, max: 97 }), (a, b) => {
        const value = a / b;
        return numericEquivalent(twoDigits(a, b), `${a}/${b}`) && numericEquivalent(String(value), `${a}/${b}`) && numericEquivalent(`${a}/${b}`, String(value));
      }),
    );
  });

  it('is symmetric on plain integers and decimals', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e4, max: 1e4, noNaN: true }), fc.double({ min: -1e4, max: 1e4, noNaN: true }), (x, y) => {
        const [a, b] = [String(x), String(y)].map((s) => s.replace(/e.*$/, ''));
        return numericEquivalent(a!, b!) === numericEquivalent(b!, a!) || /\.\d{2,}/.test(a!) || /\.\d{2,}/.test(b!);
      }),
    );
  });
});

describe('parseNumber', () => {
  it('records decimals and percentages', () => {
    expect(parseNumberStrict('0.750')).toEqual({ value: 0.75, decimals: 3, percent: false });
    expect(parseNumberStrict('12.5%')).toEqual({ value: 12.5, decimals: 1, percent: true });
    expect(parseNumberStrict('3/4')).toEqual({ value: 0.75, decimals: 0, percent: false });
    expect(parseNumberStrict('about 3')).toBeUndefined();
    expect(parseNumber('about 3%')).toEqual({ value: 3, decimals: 0, percent: true });
    expect(parseNumber('3 or 4')).toBeUndefined();
  });
});
