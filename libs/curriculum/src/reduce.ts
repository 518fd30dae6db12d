/**
 * The curriculum reducer (docs/algorithms.md §8): `next = reduce(config)(state, summary)`, pure.
 *
 *   step'   = summary.step + 1                  (summary.step must equal state.step)
 *   K'      = K(step') for a clock schedule;  adaptReuse(K, drift of this step) for 'adaptive'
 *   window' = (window ++ [passRate]).slice(−historyWindow)   for each group seen at this step
 *   gate'   = running kept / rejected counts, keepRate = kept / (kept + rejected) of this step
 *   phase'  = explore  if step' < exploreSteps
 *             explore  if keepRate < minKeepRate
 *             phase    if the step gated no group
 *             exploit  otherwise
 *
 * A summary with a bad field (wrong step, pass rate outside [0, 1], counts that disagree with the
 * groups listed, non-finite metrics) is a StageError naming it; the state is never mutated.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { StageError, inRange, validate, type Check, type StepSummary } from '@rlflow/core';
import { adaptReuse } from './adaptive-reuse.js';
import { integerIn } from './checks.js';
import { curriculumConfigChecks, type CurriculumConfig } from './config.js';
import { reuseSchedule } from './reuse.js';
import type { CurriculumPhase, CurriculumState, PromptRecord } from './state.js';

const STAGE = 'curriculum.reduce';

const summaryChecks = (state: CurriculumState, summary: StepSummary): Check[] => [
  integerIn(STAGE, 'step', summary.step, { min: 0 }),
  () =>
    summary.step === state.step
      ? undefined
      : new StageError(STAGE, 'step', null, 'invalid', `is ${summary.step}, expected ${state.step} (the step the state expects next)`),
  () => {
    for (let i = 0; i < summary.groupPassRates.length; i++) {
      const { promptKey, passRate } = summary.groupPassRates[i]!;
      if (typeof promptKey !== 'string') {
        return new StageError(STAGE, 'groupPassRates', i, 'invalid', `promptKey is ${String(promptKey)}, expected a string`);
      }
      if (!(Number.isFinite(passRate) && passRate >= 0 && passRate <= 1)) {
        return new StageError(STAGE, 'groupPassRates', i, 'out-of-range', `passRate is ${passRate}, expected a number in [0, 1]`);
      }
    }
    return undefined;
  },
  integerIn(STAGE, 'keptGroups', summary.keptGroups, { min: 0 }),
  integerIn(STAGE, 'rejectedGroups', summary.rejectedGroups, { min: 0 }),
  () =>
    summary.keptGroups + summary.rejectedGroups === summary.groupPassRates.length
      ? undefined
      : new StageError(
          STAGE,
          'groupPassRates',
          null,
          'length-mismatch',
          `lists ${summary.groupPassRates.length} groups, expected ${summary.keptGroups + summary.rejectedGroups} (keptGroups + rejectedGroups)`,
        ),
  inRange(STAGE, 'approxKl', summary.approxKl, {}),
  inRange(STAGE, 'clipFrac', summary.clipFrac, { min: 0, max: 1 }),
  inRange(STAGE, 'rewardMean', summary.rewardMean, {}),
  inRange(STAGE, 'accuracy', summary.accuracy, { min: 0, max: 1 }),
];

const nextReuse = (config: CurriculumConfig, state: CurriculumState, summary: StepSummary): E.Either<StageError, number> =>
  config.reuse.schedule === 'adaptive'
    ? adaptReuse(config.reuse)({ reuse: state.reuse, drift: { approxKl: summary.approxKl, clipFrac: summary.clipFrac } })
    : reuseSchedule(config.reuse)(summary.step + 1);

const nextPrompts = (config: CurriculumConfig, state: CurriculumState, summary: StepSummary): ReadonlyMap<string, PromptRecord> => {
  const prompts = new Map(state.prompts);
  for (const { promptKey, passRate } of summary.groupPassRates) {
    const record = prompts.get(promptKey);
    prompts.set(promptKey, {
      passRates: [...(record?.passRates ?? []), passRate].slice(-config.historyWindow),
      seen: (record?.seen ?? 0) + 1,
      lastStep: summary.step,
    });
  }
  return prompts;
};

const nextPhase = (config: CurriculumConfig, state: CurriculumState, step: number, keepRate: number | null): CurriculumPhase =>
  step < config.exploreSteps ? 'explore' : keepRate === null ? state.phase : keepRate < config.minKeepRate ? 'explore' : 'exploit';

export const reduce =
  (config: CurriculumConfig) =>
  (state: CurriculumState, summary: StepSummary): E.Either<StageError, CurriculumState> =>
    pipe(
      validate(...curriculumConfigChecks(STAGE, config), ...summaryChecks(state, summary)),
      E.chain(() => nextReuse(config, state, summary)),
      E.map((reuse) => {
        const gated = summary.keptGroups + summary.rejectedGroups;
        const keepRate = gated === 0 ? null : summary.keptGroups / gated;
        const step = summary.step + 1;
        return {
          step,
          reuse,
          phase: nextPhase(config, state, step, keepRate),
          prompts: nextPrompts(config, state, summary),
          gate: {
            kept: state.gate.kept + summary.keptGroups,
            rejected: state.gate.rejected + summary.rejectedGroups,
            lastKeepRate: keepRate ?? state.gate.lastKeepRate,
          },
        };
      }),
    );
