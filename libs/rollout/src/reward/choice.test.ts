import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { choiceEquivalent, choiceLetterOf } from './choice.js';

const CHOICES = ['red', 'green', 'blue', 'yellow'];

const LETTERS: ReadonlyArray<readonly [string, string | undefined, readonly string[] | undefined]> = [
  ['B', 'B', CHOICES],
  ['b', 'B', CHOICES],
  ['(B)', 'B', CHOICES],
  ['B)', 'B', CHOICES],
  ['(b)', 'B', CHOICES],
  ['[B]', 'B', CHOICES],
  ['B.', 'B', CHOICES],
  [' B: ', 'B', CHOICES],
  ['option B', 'B', CHOICES],
  ['Choice (c)', 'C', CHOICES],
  ['B) green', 'B', CHOICES],
  ['(C) blue', 'C', CHOICES],
  ['D: yellow', 'D', CHOICES],
  ['green', 'B', CHOICES],
  ['  Yellow. ', 'D', CHOICES],
  ['E', undefined, CHOICES],
  ['(E)', undefined, CHOICES],
  ['purple', undefined, CHOICES],
  ['AB', undefined, CHOICES],
  ['A or B', undefined, CHOICES],
  ['', undefined, CHOICES],
  ['b) green', undefined, CHOICES],
  ['Z', 'Z', undefined],
  ['green', undefined, undefined],
  ['x', undefined, ['same', 'same']],
  ['y', 'B', ['x', 'y']],
  ['a', 'A', ['b', 'a']],
  ['(y)', undefined, ['x', 'y']],
  ['same', undefined, ['same', 'same']],
];

describe('choiceLetterOf', () => {
  it.each(LETTERS)('%j → %s', (candidate, letter, choices) => expect(choiceLetterOf(candidate, choices)).toBe(letter));
});

describe('choiceEquivalent', () => {
  it('accepts every spelling of the right letter and rejects every other letter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.constantFrom('X', '(X)', 'X)', 'x', '[x]', 'option X', 'X.'), (right, given, spelling) => {
        const letter = String.fromCharCode(65 + given);
        const candidate = spelling.replace('X', letter).replace('x', letter.toLowerCase());
        return choiceEquivalent(candidate, String.fromCharCode(65 + right), CHOICES) === (right === given);
      }),
    );
  });

  it('reads a reference given as option text', () => {
    expect(choiceEquivalent('C', 'blue', CHOICES)).toBe(true);
    expect(choiceEquivalent('blue', 'C', CHOICES)).toBe(true);
    expect(choiceEquivalent('A', 'blue', CHOICES)).toBe(false);
  });

  it('never accepts against a reference that names no option', () => {
    fc.assert(fc.property(fc.string({ maxLength: 6 }), (candidate) => !choiceEquivalent(candidate, 'purple', CHOICES)));
  });
});
