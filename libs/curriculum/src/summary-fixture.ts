/** Step summaries for the curriculum's tests (not exported from the package). */
import fc from 'fast-check';
import type { StepSummary } from '@rlflow/core';

export interface SeenGroup {
  readonly promptKey: string;
  readonly passRate: number;
  readonly kept: boolean;
}

/** A valid summary of `step` listing the given groups, with quiet default metrics. */
export const summaryOf = (step: number, groups: readonly SeenGroup[], metrics: Partial<StepSummary> = {}): StepSummary => ({
  step,
  groupPassRates: groups.map(({ promptKey, passRate }) => ({ promptKey, passRate })),
  keptGroups: groups.filter((g) => g.kept).length,
  rejectedGroups: groups.filter((g) => !g.kept).length,
  approxKl: 0.001,
  clipFrac: 0.01,
  rewardMean: 0.5,
  accuracy: 0.5,
  ...metrics,
});

const seenGroup = fc.record({
  promptKey: fc.constantFrom('p0', 'p1', 'p2', 'p3', 'p4', 'constructor', '__proto__'),
  passRate: fc.integer({ min: 0, max: 8 }).map((k) => k / 8),
  kept: fc.boolean(),
});

/** Consecutive valid summaries from step 0 with random groups and drift. */
export const summarySequence = fc
  .array(
    fc.record({
      groups: fc.array(seenGroup, { maxLength: 6 }),
      approxKl: fc.double({ min: -0.05, max: 0.05, noNaN: true }),
      clipFrac: fc.double({ min: 0, max: 0.6, noNaN: true }),
    }),
    { maxLength: 25 },
  )
  .map((steps) => steps.map(({ groups, approxKl, clipFrac }, step) => summaryOf(step, groups, { approxKl, clipFrac })));
