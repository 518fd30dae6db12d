import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countResponseTokens, formatOk, formatReward } from './format.js';

const CASES: ReadonlyArray<readonly [string, boolean]> = [
  ['<think>3+4=7</think><answer>7</answer>', true],
  ['<think></think><answer>7</answer>', true],
  ['  <think>a\nb</think>\n<answer> B </answer>\n', true],
  ['<think>x</think> <answer>7</answer>', true],
  ['<think>x</think><answer></answer>', false],
  ['<think>x</think><answer>  </answer>', false],
  ['<answer>7</answer>', false],
  ['<think>x</think>', false],
  ['<think>x</think><answer>7', false],
  ['<think>x<answer>7</answer>', false],
  ['<answer>7</answer><think>x</think>', false],
  ['the answer: <think>x</think><answer>7</answer>', false],
  ['<think>x</think><answer>7</answer> done', false],
  ['<think>x</think><answer>7</answer><answer>8</answer>', false],
  ['<think>a<think>b</think><answer>7</answer>', false],
  ['<think>x</think>y<answer>7</answer>', false],
  ['<THINK>x</THINK><ANSWER>7</ANSWER>', false],
  ['', false],
];

describe('formatOk', () => {
  it.each(CASES)('%j → %s', (response, expected) => {
    expect(formatOk(response)).toBe(expected);
    expect(formatReward(response)).toBe(expected ? 1 : 0);
  });

  const tagFree = fc.string({ maxLength: 20 }).filter((s) => !/<\/?(think|answer)>/.test(s));

  it('accepts any tag-free think and non-blank answer', () => {
    fc.assert(
      fc.property(tagFree, tagFree.filter((s) => s.trim().length > 0), (think, answer) => formatOk(`<think>${think}</think><answer>${answer}</answer>`)),
      { numRuns: 300 },
    );
  });

  it('rejects text before or after the blocks', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 5 }).filter((s) => s.trim().length > 0), fc.boolean(), (extra, before) => {
        const core = '<think>t</think><answer>1</answer>';
        return !formatOk(before ? extra + core : core + extra);
      }),
      { numRuns: 200 },
    );
  });
});

describe('countResponseTokens', () => {
  it('counts a tag as one token and any other character as one', () => {
    expect(countResponseTokens('<think>3+4=7</think><answer>7</answer>')).toBe(4 + 5 + 1);
    expect(countResponseTokens('')).toBe(0);
    expect(countResponseTokens('<think')).toBe(6);
    expect(countResponseTokens('</answer></answer>x')).toBe(3);
  });

  it('equals the character count of tag-free text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 40 }).filter((s) => !s.includes('<')), (s) => countResponseTokens(s) === [...s].length));
  });
});
