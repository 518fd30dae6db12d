import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { levenshtein, mostSimilarIndex } from './levenshtein.js';

describe('levenshtein', () => {
  it('counts insertions, deletions and substitutions', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('abc', '')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('works on code points, not UTF-16 units (an astral character is one edit)', () => {
    expect(levenshtein('😀', '')).toBe(1);
    expect(levenshtein('a😀b', 'a😁b')).toBe(1);
    expect(levenshtein('20海里', '20√{2}海里')).toBe(4);
  });

  it('is a metric bounded by the lengths (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '😀', '海'), maxLength: 7 });
    fc.assert(
      fc.property(text, text, text, (a, b, c) => {
        const len = (s: string): number => Array.from(s).length;
        const d = levenshtein(a, b);
        expect(d).toBe(levenshtein(b, a));
        expect(d === 0).toBe(a === b);
        expect(d).toBeGreaterThanOrEqual(Math.abs(len(a) - len(b)));
        expect(d).toBeLessThanOrEqual(Math.max(len(a), len(b)));
        expect(levenshtein(a, c)).toBeLessThanOrEqual(d + levenshtein(b, c));
      }),
      { numRuns: 300 },
    );
  });
});

describe('mostSimilarIndex (get_most_similar)', () => {
  it('returns the first choice at the smallest distance', () => {
    expect(mostSimilarIndex('cat', ['dog', 'cot', 'cut'])).toBe(1);
    expect(mostSimilarIndex('', ['abc', 'xy', 'pq'])).toBe(1);
    expect(mostSimilarIndex('50', ['15', '100', '50', '50'])).toBe(2);
    expect(mostSimilarIndex('x', [])).toBe(-1);
  });
});
