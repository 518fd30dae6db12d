import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnswerType } from '../suite/problem.js';
import { extractAnswer, type AnswerExtractionSource } from './extract.js';

type Row = readonly [response: string, type: AnswerType, choiceCount: number | undefined, text: string | null, source: AnswerExtractionSource | null];

const CASES: readonly Row[] = [
  ['<think>3+4=7</think><answer>7</answer>', 'integer', undefined, '7', 'answer-tag'],
  ['<think>x</think><answer> B </answer>', 'choice', 4, 'B', 'answer-tag'],
  ['<answer>1</answer> then <answer>2</answer>', 'integer', undefined, '2', 'answer-tag'],
  ['<think>9</think><answer></answer>', 'integer', undefined, '', 'answer-tag'],
  ['<think>3+4=7</think><answer>7', 'integer', undefined, '7', 'open-answer-tag'],
  ['<answer>5</answer> <answer>6', 'integer', undefined, '6', 'open-answer-tag'],
  ['<answer>5</answer> <answer>', 'integer', undefined, '5', 'answer-tag'],
  ['so the answer is 12.', 'integer', undefined, '12', 'answer-phrase'],
  ['Answer: (C)', 'choice', 4, '(C)', 'answer-phrase'],
  ['The answer is: red', 'text', undefined, 'red', 'answer-phrase'],
  ['answer is 3\nbut wait, the answer is 4', 'integer', undefined, '4', 'answer-phrase'],
  ['the answers vary', 'text', undefined, null, null],
  ['3 plus 4 makes 7', 'integer', undefined, '7', 'last-number'],
  ['half is 1/2', 'number', undefined, '1/2', 'last-number'],
  ['-3 and then -4.5', 'number', undefined, '-4.5', 'last-number'],
  ['about 1,250 items', 'integer', undefined, '1,250', 'last-number'],
  ['<think>red 3, blue 5</think>', 'integer', undefined, '5', 'last-number'],
  ['I pick (B), no, C.', 'choice', 4, 'C', 'last-choice-letter'],
  ['A red bar; B.', 'choice', 2, 'B', 'last-choice-letter'],
  ['option E', 'choice', 4, null, null],
  ['BAD', 'choice', 4, null, null],
  ['B2 is wrong', 'choice', 4, null, null],
  ['nothing here', 'integer', undefined, null, null],
  ['just words', 'text', undefined, null, null],
  ['', 'choice', 3, null, null],
];

describe('extractAnswer', () => {
  it.each(CASES)('%j (%s) → %j via %s', (response, type, count, text, source) => {
    const found = extractAnswer(response, type, count);
    expect(found === null ? null : found.text).toBe(text);
    expect(found === null ? null : found.source).toBe(source);
  });

  it('takes the tag over any number or letter elsewhere', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 15 }).filter((s) => !s.includes('<')), fc.integer(), (noise, n) => {
        const found = extractAnswer(`${noise} 99 <answer>${n}</answer> 42`, 'integer');
        return found?.text === String(n) && found.source === 'answer-tag';
      }),
    );
  });

  it('is total: any string gives an answer or null, never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.constantFrom<AnswerType>('integer', 'number', 'choice', 'text'), (s, type) => {
        const found = extractAnswer(s, type, 4);
        return found === null || typeof found.text === 'string';
      }),
      { numRuns: 300 },
    );
  });
});
