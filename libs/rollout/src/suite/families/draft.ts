/**
 * What a family generator produces before the suite gives it an id and a split, and the
 * helpers the generators share: the reference-solution format, multiple-choice assembly and
 * placement of shapes on a grid.
 */
import type { Rng } from '@rlflow/core';
import type { AnswerType, Level, RgbImage } from '../problem.js';
import { choiceLetter } from '../problem.js';

export interface Draft {
  readonly image: RgbImage;
  readonly question: string;
  readonly choices?: readonly string[];
  readonly answer: string;
  readonly answerType: AnswerType;
  readonly solution: string;
}

/** Draws one problem of a family at a level; all randomness comes from `rng`. */
export type FamilyGenerator = (level: Level, rng: Rng) => Draft;

export const formatSolution = (think: string, answer: string): string => `<think>${think}</think><answer>${answer}</answer>`;

/** Shuffles the correct option among the distractors; the answer is the correct option's letter. */
export const multipleChoice = (
  rng: Rng,
  correct: string,
  distractors: readonly string[],
): { readonly choices: readonly string[]; readonly answer: string } => {
  const choices = rng.shuffle([correct, ...distractors]);
  return { choices, answer: choiceLetter(choices.indexOf(correct)) };
};

/** A uniform integer in [range[0], range[1]]. */
export const draw = (rng: Rng, range: readonly [number, number]): number => rng.intBetween(range[0], range[1]);

/** `count` distinct items of `items` in random order. */
export const sample = <T>(rng: Rng, items: readonly T[], count: number): T[] => rng.shuffle(items).slice(0, count);

/** Cells of a 5×5 grid, 6 px apart starting at (1, 1), so 5×5 shapes keep a 1 px gap. */
export const GRID_COLUMNS = 5;
export const GRID_PITCH = 6;
export const GRID_ORIGIN = 1;

export interface Cell {
  readonly x: number;
  readonly y: number;
}

export const gridCells = (): Cell[] =>
  Array.from({ length: GRID_COLUMNS * GRID_COLUMNS }, (_, i) => ({
    x: GRID_ORIGIN + (i % GRID_COLUMNS) * GRID_PITCH,
    y: GRID_ORIGIN + Math.floor(i / GRID_COLUMNS) * GRID_PITCH,
  }));

/** `count` distinct random grid cells, optionally only those `allowed` keeps. */
export const pickCells = (rng: Rng, count: number, allowed: (cell: Cell) => boolean = () => true): Cell[] => {
  const free = gridCells().filter(allowed);
  if (free.length < count) throw new RangeError(`pickCells: ${count} cells asked, ${free.length} free`);
  return sample(rng, free, count);
};

/** "1,2,...,n": a counting chain of thought. */
export const enumerate = (n: number): string => Array.from({ length: n }, (_, i) => String(i + 1)).join(',');

export const plural = (noun: string): string => `${noun}s`;
