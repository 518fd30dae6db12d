/**
 * Correctness of an extracted answer against a target, by answer type: `integer` / `number`
 * → `numericEquivalent`, `choice` → `choiceEquivalent` (with the target's choices), `text` →
 * `textEquivalent`. No extracted answer is never correct.
 */
import type { AnswerTarget } from '../suite/problem.js';
import { choiceEquivalent } from './choice.js';
import { numericEquivalent } from './numeric.js';
import { textEquivalent } from './text.js';

export const isCorrect =
  (target: AnswerTarget) =>
  (candidate: string | null): boolean => {
    if (candidate === null) return false;
    switch (target.answerType) {
      case 'integer':
      case 'number':
        return numericEquivalent(candidate, target.answer);
      case 'choice':
        return choiceEquivalent(candidate, target.answer, target.choices);
      case 'text':
        return textEquivalent(candidate, target.answer);
    }
  };
