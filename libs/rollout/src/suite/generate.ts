/**
 * The synthetic visual-reasoning suite: `generateProblem(family, level, split, seed)` draws
 * problems of the family at the level from `Rng.fromSeed(deriveSeed(seed, family/level))`
 * until one falls in the requested split (split.ts), so a seed always yields the same problem
 * and no test problem is ever a training problem. `sampleProblems` / `problemSource` draw a
 * family and a level per item from the lists given, item i from `deriveSeed(seed, item/i)`.
 */
import * as E from 'fp-ts/lib/Either.js';
import { Rng, StageError, deriveSeed } from '@rlflow/core';
import { FAMILIES, LEVELS, SPLITS, type Family, type Level, type Problem, type Split } from './problem.js';
import { contentKey, splitOfKey } from './split.js';
import type { FamilyGenerator } from './families/draft.js';
import { counting } from './families/counting.js';
import { comparison } from './families/comparison.js';
import { arithmetic } from './families/arithmetic.js';
import { chart } from './families/chart.js';
import { pattern } from './families/pattern.js';

export const GENERATORS: Readonly<Record<Family, FamilyGenerator>> = { counting, comparison, arithmetic, chart, pattern };

/** Draws before giving up on a split; at 10 % validation, 256 misses in a row has probability < 2e-11 (at 20 % test, < 1e-24). */
export const MAX_SPLIT_ATTEMPTS = 256;

const STAGE = 'suite.generate';

export const isFamily = (name: string): name is Family => (FAMILIES as readonly string[]).includes(name);
export const isLevel = (n: number): n is Level => (LEVELS as readonly number[]).includes(n);
export const isSplit = (name: string): name is Split => (SPLITS as readonly string[]).includes(name);

const checkArgs = (family: string, level: number, split: string, seed: number): StageError | undefined => {
  if (!isFamily(family)) return new StageError(STAGE, 'family', null, 'invalid', `is ${JSON.stringify(family)}, expected one of ${FAMILIES.join(', ')}`);
  if (!isLevel(level)) return new StageError(STAGE, 'level', null, 'out-of-range', `is ${level}, expected one of ${LEVELS.join(', ')}`);
  if (!isSplit(split)) return new StageError(STAGE, 'split', null, 'invalid', `is ${JSON.stringify(split)}, expected one of ${SPLITS.join(', ')}`);
  if (!Number.isSafeInteger(seed)) return new StageError(STAGE, 'seed', null, 'not-integer', `is ${seed}, expected an integer`);
  return undefined;
};

export const generateProblem = (family: Family, level: Level, split: Split, seed: number): E.Either<StageError, Problem> => {
  const bad = checkArgs(family, level, split, seed);
  if (bad !== undefined) return E.left(bad);
  const rng = Rng.fromSeed(deriveSeed(seed, `${family}/${level}`));
  for (let attempt = 0; attempt < MAX_SPLIT_ATTEMPTS; attempt++) {
    const draft = GENERATORS[family](level, rng);
    const key = contentKey(draft);
    if (splitOfKey(key) === split) {
      return E.right({ ...draft, id: `${family}-${key.slice(0, 16)}`, family, level, split });
    }
  }
  return E.left(new StageError(STAGE, 'split', null, 'invalid', `no ${split} problem of ${family} level ${level} in ${MAX_SPLIT_ATTEMPTS} draws (seed ${seed})`));
};

export interface SampleOptions {
  readonly families: readonly Family[];
  readonly levels: readonly Level[];
  readonly split: Split;
  readonly seed: number;
}

const checkSampleOptions = (options: SampleOptions): StageError | undefined => {
  if (options.families.length === 0) return new StageError('suite.sample', 'families', null, 'empty', 'is empty');
  if (options.levels.length === 0) return new StageError('suite.sample', 'levels', null, 'empty', 'is empty');
  for (let i = 0; i < options.families.length; i++) {
    if (!isFamily(options.families[i]!)) return new StageError('suite.sample', 'families', i, 'invalid', `is ${JSON.stringify(options.families[i])}`);
  }
  for (let i = 0; i < options.levels.length; i++) {
    if (!isLevel(options.levels[i]!)) return new StageError('suite.sample', 'levels', i, 'out-of-range', `is ${options.levels[i]}, expected one of ${LEVELS.join(', ')}`);
  }
  return checkArgs(options.families[0]!, options.levels[0]!, options.split, options.seed);
};

/** Item `index` of the stream `options` describe. */
export const sampleAt =
  (options: SampleOptions) =>
  (index: number): E.Either<StageError, Problem> => {
    const bad = checkSampleOptions(options);
    if (bad !== undefined) return E.left(bad);
    const pick = Rng.fromSeed(deriveSeed(options.seed, `pick/${index}`));
    const family = pick.pick(options.families);
    const level = pick.pick(options.levels);
    return generateProblem(family, level, options.split, deriveSeed(options.seed, `item/${index}`));
  };

/** An endless, seeded stream of problems; the i-th item is `sampleAt(options)(i)`. */
export const problemSource = (options: SampleOptions): E.Either<StageError, IterableIterator<Problem>> => {
  const bad = checkSampleOptions(options);
  if (bad !== undefined) return E.left(bad);
  const at = sampleAt(options);
  function* items(): Generator<Problem, never, undefined> {
    for (let index = 0; ; index++) {
      const next = at(index);
      if (E.isLeft(next)) throw next.left;
      yield next.right;
    }
  }
  return E.right(items());
};

/** The first `count` items of `problemSource(options)`. */
export const sampleProblems = (options: SampleOptions & { readonly count: number }): E.Either<StageError, Problem[]> => {
  if (!Number.isInteger(options.count) || options.count < 0) {
    return E.left(new StageError('suite.sample', 'count', null, 'out-of-range', `is ${options.count}, expected a non-negative integer`));
  }
  const at = sampleAt(options);
  const problems: Problem[] = [];
  for (let i = 0; i < options.count; i++) {
    const next = at(i);
    if (E.isLeft(next)) return next;
    problems.push(next.right);
  }
  return E.right(problems);
};
