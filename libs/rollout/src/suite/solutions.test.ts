/**
 * Every reference solution of the suite scores correct with format 1 under the reward it
 * will be trained with, and the same solution with a wrong answer is rejected.
 */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { FAMILIES, LEVELS, choiceLetter, type Problem, type Split } from './problem.js';
import { generateProblem } from './generate.js';
import { DEFAULT_REWARD, scoreResponse } from '../reward/score.js';

const problems: Problem[] = FAMILIES.flatMap((family) =>
  LEVELS.flatMap((level) =>
    (['train', 'test'] as Split[]).flatMap((split) =>
      Array.from({ length: 12 }, (_, seed) => {
        const r = generateProblem(family, level, split, seed);
        if (E.isLeft(r)) throw r.left;
        return r.right;
      }),
    ),
  ),
);

const scoreOf = (p: Problem, text: string) => {
  const r = scoreResponse(DEFAULT_REWARD)(p)({ text });
  if (E.isLeft(r)) throw r.left;
  return r.right;
};

/** A different answer of the same type: another option letter, or the integer plus one. */
const wrongAnswer = (p: Problem): string =>
  p.answerType === 'choice' ? choiceLetter((p.answer.charCodeAt(0) - 65 + 1) % p.choices!.length) : String(Number(p.answer) + 1);

const withAnswer = (solution: string, answer: string): string => solution.replace(/<answer>[^<]*<\/answer>/, `<answer>${answer}</answer>`);

describe('reference solutions', () => {
  it('score correct, with the format reward, extracted from the answer tag', () => {
    for (const p of problems) {
      const s = scoreOf(p, p.solution);
      expect(s, `${p.id}: ${p.solution}`).toMatchObject({ correct: true, formatOk: true, reward: 1.5 });
      expect(s.extracted).toEqual({ text: p.answer, source: 'answer-tag' });
    }
  });

  it('are rejected with any other answer, the format reward kept', () => {
    for (const p of problems) {
      const s = scoreOf(p, withAnswer(p.solution, wrongAnswer(p)));
      expect(s, `${p.id}: ${p.solution}`).toMatchObject({ correct: false, formatOk: true, reward: 0.5 });
    }
  });

  it('are accepted when the answer is the option text instead of its letter', () => {
    for (const p of problems.filter((q) => q.answerType === 'choice')) {
      const text = p.choices![p.answer.charCodeAt(0) - 65]!;
      expect(scoreOf(p, withAnswer(p.solution, text)).correct, p.id).toBe(true);
    }
  });
});
