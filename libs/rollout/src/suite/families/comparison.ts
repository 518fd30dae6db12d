/**
 * Comparison: "more red or blue?" with options A and B. The level narrows the gap between the
 * two counts, adds distractor colours and shape kinds, and at level 5 compares two shape
 * kinds across mixed colours ("more circles or squares?"). Answer: the letter of the larger
 * group; solution: both counts ("red 3,blue 5").
 */
import type { Rng } from '@rlflow/core';
import { MODEL_IMAGE_SIZE, type Level } from '../problem.js';
import { COLORS, COLOR_NAMES, type ColorName } from '../palette.js';
import { SHAPE_KINDS, createCanvas, drawShape, toImage, type ShapeKind } from '../raster.js';
import { draw, formatSolution, pickCells, plural, sample, type Draft } from './draft.js';

interface ComparisonLevel {
  readonly counts: readonly [number, number];
  readonly gap: readonly [number, number];
  readonly distractors: readonly [number, number];
  readonly distractorColors: number;
  readonly shapes: readonly ShapeKind[];
  /** Compare two shape kinds (colours mixed) instead of two colours. */
  readonly byShape: boolean;
}

export const COMPARISON_LEVELS: Readonly<Record<Level, ComparisonLevel>> = {
  1: { counts: [1, 5], gap: [2, 3], distractors: [0, 0], distractorColors: 0, shapes: ['square'], byShape: false },
  2: { counts: [1, 5], gap: [1, 3], distractors: [0, 2], distractorColors: 1, shapes: ['square', 'circle'], byShape: false },
  3: { counts: [1, 6], gap: [1, 2], distractors: [1, 4], distractorColors: 2, shapes: SHAPE_KINDS, byShape: false },
  4: { counts: [2, 8], gap: [1, 2], distractors: [2, 6], distractorColors: 3, shapes: SHAPE_KINDS, byShape: false },
  5: { counts: [2, 9], gap: [1, 2], distractors: [1, 5], distractorColors: 0, shapes: SHAPE_KINDS, byShape: true },
};

interface Item {
  readonly color: ColorName;
  readonly shape: ShapeKind;
}

/** Two counts in `range` whose difference lies in `gap`: [smaller, larger]. */
const countPair = (rng: Rng, range: readonly [number, number], gap: readonly [number, number]): [number, number] => {
  const difference = rng.intBetween(gap[0], Math.min(gap[1], range[1] - range[0]));
  const smaller = rng.intBetween(range[0], range[1] - difference);
  return [smaller, smaller + difference];
};

export const comparison = (level: Level, rng: Rng): Draft => {
  const spec = COMPARISON_LEVELS[level];
  const [smaller, larger] = countPair(rng, spec.counts, spec.gap);
  const firstIsLarger = rng.bernoulli(0.5);
  const counts: readonly [number, number] = firstIsLarger ? [larger, smaller] : [smaller, larger];
  let names: readonly [string, string];
  let items: Item[];
  if (spec.byShape) {
    const [a, b, third] = rng.shuffle(SHAPE_KINDS) as [ShapeKind, ShapeKind, ShapeKind];
    names = [plural(a), plural(b)];
    const colored = (shape: ShapeKind): Item => ({ shape, color: rng.pick(COLOR_NAMES) });
    items = [
      ...Array.from({ length: counts[0] }, () => colored(a)),
      ...Array.from({ length: counts[1] }, () => colored(b)),
      ...Array.from({ length: draw(rng, spec.distractors) }, () => colored(third)),
    ];
  } else {
    const [a, b, ...others] = sample(rng, COLOR_NAMES, 2 + spec.distractorColors) as [ColorName, ColorName, ...ColorName[]];
    names = [a, b];
    const shaped = (color: ColorName): Item => ({ color, shape: rng.pick(spec.shapes) });
    const distractorCount = others.length === 0 ? 0 : draw(rng, spec.distractors);
    items = [
      ...Array.from({ length: counts[0] }, () => shaped(a)),
      ...Array.from({ length: counts[1] }, () => shaped(b)),
      ...Array.from({ length: distractorCount }, () => shaped(rng.pick(others))),
    ];
  }
  const canvas = createCanvas(MODEL_IMAGE_SIZE, MODEL_IMAGE_SIZE);
  pickCells(rng, items.length).forEach((cell, i) => drawShape(canvas, items[i]!.shape, cell.x, cell.y, COLORS[items[i]!.color]));
  const choices = [names[0], names[1]];
  const answer = firstIsLarger ? 'A' : 'B';
  return {
    image: toImage(canvas),
    question: `more ${names[0]} or ${names[1]}?`,
    choices,
    answer,
    answerType: 'choice',
    solution: formatSolution(`${names[0]} ${counts[0]},${names[1]} ${counts[1]}`, answer),
  };
};

