/**
 * Summary statistics of answered items:
 *   accuracy   = #correct / n
 *   formatRate = #{format ok} / n      (the exact <think>…</think><answer>…</answer> shape)
 *   meanLength = Σ L_i / n             (response tokens, end-of-sequence included when emitted)
 * An empty set has n = 0 and every rate 0.
 */

export interface LocalStats {
  readonly count: number;
  readonly correct: number;
  readonly accuracy: number;
  readonly formatRate: number;
  readonly meanLength: number;
}

export interface AnsweredItem {
  readonly correct: boolean;
  readonly formatOk: boolean;
  readonly length: number;
}

export const localStats = (items: readonly AnsweredItem[]): LocalStats => {
  const count = items.length;
  const correct = items.filter((i) => i.correct).length;
  const formatted = items.filter((i) => i.formatOk).length;
  const tokens = items.reduce((a, i) => a + i.length, 0);
  return count === 0
    ? { count, correct, accuracy: 0, formatRate: 0, meanLength: 0 }
    : { count, correct, accuracy: correct / count, formatRate: formatted / count, meanLength: tokens / count };
};
