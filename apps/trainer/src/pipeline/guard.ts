/**
 * The non-finite guard rail: a step whose updates were skipped because the loss or the gradient
 * was not finite (the engine applies nothing then) counts towards a streak; a step with no
 * skipped update resets it; `maxInARow` skipping steps in a row stop the run.
 */
export interface NonFiniteGuard {
  /** Steps in a row with at least one skipped update. */
  readonly inARow: number;
  /** True once the streak reached the limit. */
  readonly stop: boolean;
}

export const initialGuard: NonFiniteGuard = { inARow: 0, stop: false };

export const nextGuard =
  (maxInARow: number) =>
  (guard: NonFiniteGuard, skippedUpdates: number): NonFiniteGuard => {
    const inARow = skippedUpdates > 0 ? guard.inARow + 1 : 0;
    return { inARow, stop: guard.stop || inARow >= maxInARow };
  };
