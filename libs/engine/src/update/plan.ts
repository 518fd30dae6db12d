/**
 * The optimisation phase of a step (docs/algorithms.md §8, ACPO sample reuse): K(t) passes over
 * the rollout batch, each pass a seeded shuffle of its sequences cut into `miniBatches`
 * mini-batches, one optimizer step per mini-batch. K = 1 with one mini-batch is on-policy
 * (ratio ≡ 1 at the only update); larger K, or more mini-batches, reuse the batch off-policy,
 * with the clipped ratio bounding the drift.
 */
import { Rng } from '@rlflow/core';

export interface UpdatePlan {
  /** Rows of each mini-batch, in update order, each sorted. */
  readonly miniBatches: readonly (readonly number[])[];
}

/** K passes × `miniBatches` mini-batches over `size` rows, shuffled per pass from `seed`. */
export const planUpdates = (size: number, reuse: number, miniBatches: number, seed: number): UpdatePlan => {
  const rng = Rng.fromSeed(seed);
  const rows = Array.from({ length: size }, (_, i) => i);
  const parts = Math.max(1, Math.min(miniBatches, size));
  const out: number[][] = [];
  for (let pass = 0; pass < reuse; pass++) {
    const order = rng.shuffle(rows);
    for (let m = 0; m < parts; m++) {
      const part = order.slice(Math.floor((m * size) / parts), Math.floor(((m + 1) * size) / parts));
      out.push(part.sort((a, b) => a - b));
    }
  }
  return { miniBatches: out };
};
