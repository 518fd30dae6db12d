import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { overlong } from '@rlflow/advantage';
import type { AnswerTarget } from '../suite/problem.js';
import { DEFAULT_REWARD, scoreGroup, scoreResponse, type ResponseScore } from './score.js';

const score = (target: AnswerTarget, text: string, config = DEFAULT_REWARD, tokens?: number): ResponseScore => {
  const r = scoreResponse(config)(target)({ text, ...(tokens === undefined ? {} : { tokens }) });
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

const SEVEN: AnswerTarget = { answer: '7', answerType: 'integer' };
const BLUE: AnswerTarget = { answer: 'B', answerType: 'choice', choices: ['red', 'blue'] };

describe('scoreResponse', () => {
  it.each([
    ['<think>3+4=7</think><answer>7</answer>', 1.5, true, true, '7'],
    ['<think>3+4=8</think><answer>8</answer>', 0.5, false, true, '8'],
    ['the answer is 7', 1, true, false, '7'],
    ['<think>3+4=7</think><answer>7', 1, true, false, '7'],
    ['no idea', 0, false, false, null],
  ] as const)('%j → reward %d', (text, reward, correct, formatOk, extracted) => {
    const s = score(SEVEN, text);
    expect(s).toMatchObject({ reward, correct, formatOk, overlongPenalty: 0 });
    expect(s.extracted?.text ?? null).toBe(extracted);
  });

  it('scores choices by letter or option text', () => {
    expect(score(BLUE, '<think>red 2,blue 5</think><answer>(B)</answer>').reward).toBe(1.5);
    expect(score(BLUE, '<think>x</think><answer>blue</answer>').correct).toBe(true);
    expect(score(BLUE, '<think>x</think><answer>A</answer>').correct).toBe(false);
  });

  it('weights the format term by λ', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 5, noNaN: true }), fc.boolean(), fc.boolean(), (lambda, right, formatted) => {
        const answer = right ? '7' : '6';
        const text = formatted ? `<think>t</think><answer>${answer}</answer>` : `answer: ${answer}`;
        const s = score(SEVEN, text, { formatWeight: lambda });
        expect(s.reward).toBeCloseTo((right ? 1 : 0) + lambda * (formatted ? 1 : 0), 12);
      }),
    );
  });

  it('adds the overlong penalty when configured', () => {
    const config = { formatWeight: 0.5, overlong: { maxLen: 32, bufferLen: 8, penaltyFactor: 1 } };
    const text = '<think>3+4=7</think><answer>7</answer>';
    expect(score(SEVEN, text, config, 20).reward).toBe(1.5);
    expect(score(SEVEN, text, config, 28)).toMatchObject({ reward: 1, overlongPenalty: -0.5 });
    expect(score(SEVEN, text, config, 32).reward).toBe(0.5);
  });

  it('takes its overlong term from @rlflow/advantage\'s overlong, with 0 (not −0) at maxLen − bufferLen', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 16 }), fc.integer({ min: 0, max: 32 }), fc.double({ min: 0, max: 3, noNaN: true }), fc.integer({ min: 0, max: 80 }), (bufferLen, extra, penaltyFactor, tokens) => {
        const params = { maxLen: bufferLen + extra, bufferLen, penaltyFactor };
        const s = score(SEVEN, 'x', { formatWeight: 0.5, overlong: params }, tokens);
        const expected = overlong(params)({ lengths: [tokens] });
        if (E.isLeft(expected)) throw expected.left;
        expect(s.overlongPenalty).toBe(expected.right[0]! + 0);
        expect(s.reward).toBe(s.overlongPenalty);
      }),
    );
    expect(Object.is(score(SEVEN, 'x', { formatWeight: 0.5, overlong: { maxLen: 32, bufferLen: 8, penaltyFactor: 1 } }, 24).overlongPenalty, 0)).toBe(true);
  });

  it('needs a valid token count when the overlong term is on, and a valid λ', () => {
    const field = (r: E.Either<{ field: string; index: unknown }, unknown>): unknown => (E.isLeft(r) ? [r.left.field, r.left.index] : 'ok');
    const config = { formatWeight: 0.5, overlong: { maxLen: 32, bufferLen: 8, penaltyFactor: 1 } };
    expect(field(scoreResponse(config)(SEVEN)({ text: 'x' }))).toEqual(['tokens', null]);
    expect(field(scoreResponse({ formatWeight: -1 })(SEVEN)({ text: 'x' }))).toEqual(['formatWeight', null]);
    expect(field(scoreGroup(config)(SEVEN)([{ text: 'a', tokens: 3 }, { text: 'b', tokens: 1.5 }]))).toEqual(['tokens', 1]);
    expect(field(scoreResponse({ formatWeight: 0.5, overlong: { maxLen: 4, bufferLen: 8, penaltyFactor: 1 } })(SEVEN)({ text: 'x', tokens: 1 }))).toEqual(['bufferLen', null]);
    expect(field(scoreGroup({ formatWeight: 0.5, overlong: { maxLen: 32, bufferLen: 8, penaltyFactor: -1 } })(SEVEN)([{ text: 'x', tokens: 1 }]))).toEqual(['penaltyFactor', null]);
  });

  it('scores a group response by response', () => {
    const r = scoreGroup()(SEVEN)([{ text: '<think></think><answer>7</answer>' }, { text: '7' }, { text: 'x' }]);
    if (E.isLeft(r)) throw r.left;
    expect(r.right.map((s) => s.reward)).toEqual([1.5, 1, 0]);
  });

  it('never returns a non-finite reward', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50 }), fc.constantFrom<AnswerTarget>(SEVEN, BLUE, { answer: 'the cat', answerType: 'text' }, { answer: '0.75', answerType: 'number' }), (text, target) =>
        Number.isFinite(score(target, text).reward),
      ),
      { numRuns: 300 },
    );
  });
});
