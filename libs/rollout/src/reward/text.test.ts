import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normaliseText, textEquivalent } from './text.js';

const CASES: ReadonlyArray<readonly [string, string, boolean]> = [
  ['The Cat.', 'the cat', true],
  ['  the   cat ', 'the cat', true],
  ['"the cat"', 'the cat', true],
  ["'red'", 'Red', true],
  ['the\tcat\n', 'the cat', true],
  ['ｒｅｄ', 'red', true],
  ['the cats', 'the cat', false],
  ['thecat', 'the cat', false],
  ['"the cat', 'the cat', false],
  ['', 'the cat', false],
  ['red, blue', 'red blue', false],
];

describe('textEquivalent', () => {
  it.each(CASES)('%j vs %j → %s', (a, b, expected) => expect(textEquivalent(a, b)).toBe(expected));

  it('is reflexive, symmetric, and blind to case and surrounding space', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), (a, b) => {
        expect(textEquivalent(a, a)).toBe(true);
        expect(textEquivalent(a, b)).toBe(textEquivalent(b, a));
        expect(textEquivalent(`  ${a.toUpperCase()} `, a.toLowerCase())).toBe(normaliseText(a.toUpperCase()) === normaliseText(a.toLowerCase()));
      }),
    );
  });

  it('is idempotent', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), (a) => normaliseText(normaliseText(a)) === normaliseText(a)));
  });
});
