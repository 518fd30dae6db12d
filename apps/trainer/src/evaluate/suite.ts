/**
 * Held-out accuracy on the synthetic visual-reasoning suite. Cell (family, level) holds
 * `problemsPerCell` problems of the held-out split asked for (`validation`, on which settings are
 * chosen, or `test`, which is only reported) drawn with the seed
 * `deriveSeed(seed, "eval/<family>/<level>")`; all cells are answered through the engine
 * (answer.ts) in shared batches, greedily by default or with k sampled answers per problem, and
 * summarised (stats.ts) over the answers overall, per family, per level and per cell: with k
 * samples the accuracy is avg@k, the mean over problems of the fraction of their k answers that
 * are correct. The same seed gives the same problems and the same answers.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, StageError, validate, type Check } from '@rlflow/core';
import { HELD_OUT_SPLITS, isFamily, isLevel, sampleProblems, type Family, type HeldOutSplit, type Level, type Problem } from '@rlflow/rollout';
import { answerChecks, answerItems, GREEDY, type AnswerOptions, type AnswerSettings, type Decoding, type LocalItemResult } from './answer.js';
import { localStats, type LocalStats } from './stats.js';

/** Which problems, and how they are answered. */
export interface SuiteSettings extends AnswerSettings {
  /** The held-out split the problems come from. */
  readonly split: HeldOutSplit;
  readonly families: readonly Family[];
  readonly levels: readonly Level[];
  readonly problemsPerCell: number;
  /** Default: greedy, one answer per problem. */
  readonly decoding?: Decoding;
}

export interface SuiteEvalOptions extends SuiteSettings, Pick<AnswerOptions, 'engine'> {}

export interface SuiteItemResult extends LocalItemResult {
  readonly family: Family;
  readonly level: Level;
}

export interface SuiteEvaluation {
  /** How the problems were answered; each stats `count` is problems × `decoding.samples`. */
  readonly decoding: Decoding;
  readonly overall: LocalStats;
  /** In the order of `families`. */
  readonly byFamily: ReadonlyArray<LocalStats & { readonly family: Family }>;
  /** In the order of `levels`. */
  readonly byLevel: ReadonlyArray<LocalStats & { readonly level: Level }>;
  /** Family-major, in the order given. */
  readonly cells: ReadonlyArray<LocalStats & { readonly family: Family; readonly level: Level }>;
  /** Every answer, problem-major (`decoding.samples` consecutive answers per problem). */
  readonly items: readonly SuiteItemResult[];
}

const STAGE = 'eval.suite';

export const suiteChecks = (options: SuiteSettings): Check[] => [
  () =>
    (HELD_OUT_SPLITS as readonly string[]).includes(options.split)
      ? undefined
      : new StageError(STAGE, 'split', null, 'invalid', `is ${JSON.stringify(options.split)}, expected one of ${HELD_OUT_SPLITS.join(', ')}`),
  () => (options.families.length === 0 ? new StageError(STAGE, 'families', null, 'empty', 'is empty') : undefined),
  () => (options.levels.length === 0 ? new StageError(STAGE, 'levels', null, 'empty', 'is empty') : undefined),
  () => {
    const i = options.families.findIndex((f) => !isFamily(f));
    return i < 0 ? undefined : new StageError(STAGE, 'families', i, 'invalid', `is ${JSON.stringify(options.families[i])}`);
  },
  () => {
    const i = options.levels.findIndex((l) => !isLevel(l));
    return i < 0 ? undefined : new StageError(STAGE, 'levels', i, 'out-of-range', `is ${options.levels[i]}, expected an integer in [1, 5]`);
  },
  () =>
    Number.isSafeInteger(options.problemsPerCell) && options.problemsPerCell >= 1
      ? undefined
      : new StageError(STAGE, 'problemsPerCell', null, 'out-of-range', `is ${options.problemsPerCell}, expected an integer ≥ 1`),
  ...answerChecks(STAGE, options),
];

/** The held-out problems of every cell, family-major. */
export const suiteProblems = (options: Pick<SuiteSettings, 'split' | 'families' | 'levels' | 'problemsPerCell' | 'seed'>): E.Either<StageError, Problem[]> => {
  const problems: Problem[] = [];
  for (const family of options.families) {
    for (const level of options.levels) {
      const cell = sampleProblems({ families: [family], levels: [level], split: options.split, seed: deriveSeed(options.seed, `eval/${family}/${level}`), count: options.problemsPerCell });
      if (E.isLeft(cell)) return cell;
      problems.push(...cell.right);
    }
  }
  return E.right(problems);
};

/** The evaluation of `problems` from their answers (`decoding.samples` per problem, problem-major). */
export const summariseSuite = (
  options: Pick<SuiteSettings, 'families' | 'levels'>,
  problems: readonly Problem[],
  answers: readonly LocalItemResult[],
  decoding: Decoding,
): SuiteEvaluation => {
  const problemOf = (i: number): Problem => problems[Math.floor(i / decoding.samples)]!;
  const items: SuiteItemResult[] = answers.map((a, i) => ({ ...a, family: problemOf(i).family, level: problemOf(i).level }));
  return {
    decoding,
    overall: localStats(items),
    byFamily: options.families.map((family) => ({ family, ...localStats(items.filter((i) => i.family === family)) })),
    byLevel: options.levels.map((level) => ({ level, ...localStats(items.filter((i) => i.level === level)) })),
    cells: options.families.flatMap((family) =>
      options.levels.map((level) => ({ family, level, ...localStats(items.filter((i) => i.family === family && i.level === level)) })),
    ),
    items,
  };
};

export const evaluateOnSuite = async (options: SuiteEvalOptions): Promise<E.Either<StageError, SuiteEvaluation>> => {
  const checked = validate(...suiteChecks(options));
  if (E.isLeft(checked)) return checked;
  const problems = suiteProblems(options);
  if (E.isLeft(problems)) return problems;
  const decoding = options.decoding ?? GREEDY;
  const answers = await answerItems(options, problems.right, decoding);
  return E.map((right: LocalItemResult[]) => summariseSuite(options, problems.right, right, decoding))(answers);
};
