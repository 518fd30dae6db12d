/**
 * Micro-batches of a TensorFlow.js engine request: consecutive rows, in order, whose padded size
 *
 *   rows × (image tokens + widest prompt among them + response width)  ≤  budget
 *
 * with at least one row each (a single row over the budget is a micro-batch of its own);
 * budget 0 puts every row in one. The engine's passes are sums over rows, so the cut changes
 * the memory a pass needs, never its result.
 */

/** Row indices of each micro-batch of the rows with prompts of `promptLengths` tokens. */
export const microBatches = (promptLengths: readonly number[], imageTokens: number, responseWidth: number, budget: number): number[][] => {
  const out: number[][] = [];
  let current: number[] = [];
  let widest = 0;
  promptLengths.forEach((len, row) => {
    const nextWidest = Math.max(widest, len);
    if (budget > 0 && current.length > 0 && (current.length + 1) * (imageTokens + nextWidest + responseWidth) > budget) {
      out.push(current);
      current = [];
      widest = len;
    } else {
      widest = nextWidest;
    }
    current.push(row);
  });
  if (current.length > 0) out.push(current);
  return out;
};
