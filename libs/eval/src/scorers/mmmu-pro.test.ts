import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { mmmuProLetters, mmmuProRandomLetter, parseMmmuProResponse, scoreMmmuPro, type MmmuProParse, type MmmuProScoringRow } from './mmmu-pro.js';

const FOUR = ['red apple', 'green pear', 'blue plum', 'yellow lemon'];
const TEN = Array.from({ length: 10 }, (_, i) => `option number ${i}`);

const parse = (response: string, options: readonly string[] = FOUR): MmmuProParse => {
  const result = parseMmmuProResponse(options)(response);
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

describe('parseMmmuProResponse: the "Answer:" step', () => {
  it('returns the one letter found after the last "Answer:"', () => {
    expect(parse('Reasoning...\nAnswer: C')).toEqual({ route: 'answer-line', letter: 'C' });
    expect(parse('Answer: A\nWait.\nAnswer: (B)')).toEqual({ route: 'answer-line', letter: 'B' });
    expect(parse('Answer:D.')).toEqual({ route: 'answer-line', letter: 'D' });
  });

  it('counts any capital option letter after it (plain substring), so "DNA" is two letters and the step passes', () => {
    expect(parse('Answer: DNA', TEN)).toEqual({ route: 'single-candidate', letter: 'A' });
    expect(parse('Answer: Both', FOUR)).toEqual({ route: 'answer-line', letter: 'B' });
  });

  it('is case-sensitive: "answer: B" goes on to the whole-response passes', () => {
    expect(parse('my answer: B')).toEqual({ route: 'single-candidate', letter: 'B' });
  });
});

describe('parseMmmuProResponse: whole-response passes', () => {
  it('prefers "(L)" candidates, the last occurrence winning among several', () => {
    expect(parse('It is (A) or maybe (C) then')).toEqual({ route: 'multiple-candidates', letter: 'C' });
    expect(parse('(B) ... (A) ... (B)')).toEqual({ route: 'multiple-candidates', letter: 'B' });
  });

  it('then "L " with no leading space, so "NASA " matches A, and ranks by " L " which may be −1', () => {
    expect(parse('I think NASA did it')).toEqual({ route: 'single-candidate', letter: 'A' });
    expect(parse('NASA and B are')).toEqual({ route: 'multiple-candidates', letter: 'B' });
    expect(parse('xA yB')).toEqual({ route: 'multiple-candidates', letter: 'A' });
  });

  it('strips , . ! ? ; : \' from the ends, one character class after another, before padding', () => {
    expect(parse("B.'")).toEqual({ route: 'single-candidate', letter: 'B' });
    expect(parse('.C,')).toEqual({ route: 'single-candidate', letter: 'C' });
  });

  it('then "L." inside the text', () => {
    expect(parse('see option D.2')).toEqual({ route: 'single-candidate', letter: 'D' });
  });

  it('then, with more than 5 tokens, option texts in the response (last occurrence wins)', () => {
    expect(parse('i would go with the green pear here')).toEqual({ route: 'single-candidate', letter: 'B' });
    expect(parse('not the blue plum , rather the red apple today')).toEqual({ route: 'multiple-candidates', letter: 'A' });
    expect(parse('green pear')).toEqual({ route: 'random' });
  });

  it('falls back to random when nothing matches (an empty response included)', () => {
    expect(parse('')).toEqual({ route: 'random' });
    expect(parse('no idea')).toEqual({ route: 'random' });
  });

  it('fails only where Python would: a non-string option reached by the content step', () => {
    expect(parse('Option A costs less', [['A', 'B'] as unknown as string])).toEqual({ route: 'single-candidate', letter: 'A' });
    const failing = parseMmmuProResponse([['x', 'y']])('one two three four five six');
    expect(E.isLeft(failing) && failing.left.message).toMatch(/options\[0\]/);
  });

  it('always yields a route, and a letter among the options (property)', () => {
    const response = fc.string({ unit: fc.constantFrom('A', 'B', 'J', '(', ')', ' ', '.', 'Answer:', 'x', 'red apple', '\n'), maxLength: 12 });
    fc.assert(
      fc.property(response, fc.integer({ min: 1, max: 10 }), (text, count) => {
        const result = parse(text, TEN.slice(0, count));
        if (result.route !== 'random') expect(mmmuProLetters(count)).toContain(result.letter);
      }),
      { numRuns: 300 },
    );
  });
});

describe('scoreMmmuPro', () => {
  const rows: MmmuProScoringRow[] = [
    { id: 'test_Art_1', options: FOUR, answer: 'A', response: 'Answer: A', subject: 'Art', difficulty: 'Easy' },
    { id: 'test_Math_1', options: FOUR, answer: 'B', response: 'Answer: C', subject: 'Math', difficulty: 'Hard' },
    { id: 'test_Math_2', options: FOUR, answer: 'D', response: 'no idea', subject: 'Math', difficulty: 'Hard', storedPrediction: 'D' },
  ];

  it('seeds the random fallback per item id and reports it as unparsed', () => {
    const a = scoreMmmuPro({ seed: 7 })(rows);
    const b = scoreMmmuPro({ seed: 7 })([...rows].reverse());
    const fallback = a.items[2]!;
    expect(fallback.route).toBe('random');
    expect(fallback.parsed).toBe(false);
    expect(fallback.prediction).toBe(mmmuProRandomLetter(7, 'test_Math_2', 4));
    expect(b.items[0]!.prediction).toBe(fallback.prediction);
    expect(a.unparsed).toBe(1);
    expect(a.routes).toEqual({ 'answer-line': 2, 'single-candidate': 0, 'multiple-candidates': 0, random: 1, unscorable: 0 });
    expect(a.unscorable).toEqual([]);
    expect(a.breakdown['domain']).toHaveProperty('Science');
    expect(a.breakdown['domain']).toHaveProperty('Art and Design');
  });

  it("uses the stored prediction for fallback rows with fallback 'stored'", () => {
    const score = scoreMmmuPro({ fallback: 'stored' })(rows);
    expect([score.items[2]!.prediction, score.correct]).toEqual(['D', 2]);
  });

  it('scores a row the official parser would crash on (a nested option, no letter in a long reply) as unscorable, naming it', () => {
    const nested: MmmuProScoringRow = { id: 'validation_Accounting_29', options: [['A', 'B', 'Not enough information']], answer: 'B', response: 'I cannot tell which one it is from this table.' };
    const crash = parseMmmuProResponse(nested.options)(nested.response);
    expect(E.isLeft(crash) && crash.left.detail).toMatch(/option A is not a string/);
    const score = scoreMmmuPro()([...rows, nested]);
    expect(score.items[3]).toEqual({ id: 'validation_Accounting_29', prediction: null, answer: 'B', correct: false, parsed: false, route: 'unscorable' });
    expect(score.unscorable).toEqual([{ id: 'validation_Accounting_29', reason: expect.stringMatching(/^options\[0\]: option A is not a string/) as unknown as string }]);
    expect([score.total, score.unparsed, score.routes.unscorable]).toEqual([4, 2, 1]);
    // With a letter the parser finds before the content step, the same row scores normally.
    expect(scoreMmmuPro()([{ ...nested, response: 'Answer: A' }]).items[0]).toMatchObject({ route: 'answer-line', prediction: 'A', parsed: true });
  });

  it('draws uniformly over the options, deterministically per seed (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.string(), fc.integer({ min: 1, max: 12 }), (seed, id, count) => {
        const letter = mmmuProRandomLetter(seed, id, count);
        expect(mmmuProLetters(count)).toContain(letter);
        expect(mmmuProRandomLetter(seed, id, count)).toBe(letter);
      }),
      { numRuns: 200 },
    );
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) counts.set(mmmuProRandomLetter(1, `item${i}`, 4), (counts.get(mmmuProRandomLetter(1, `item${i}`, 4)) ?? 0) + 1);
    for (const letter of 'ABCD') expect(counts.get(letter)).toBeGreaterThan(880);
  });
});
