/**
 * Counting: "how many red shapes?" over a 5×5 grid of 5×5 shapes. The level sets how many
 * targets and distractors there are, how many distractor colours and shape kinds appear, and
 * from level 4 on the question names a shape too, so same-coloured shapes of another kind
 * become distractors. Answer: an integer; solution: count aloud ("1,2,3").
 */
import type { Rng } from '@rlflow/core';
import { MODEL_IMAGE_SIZE, type Level } from '../problem.js';
import { COLORS, COLOR_NAMES, type ColorName } from '../palette.js';
import { SHAPE_KINDS, createCanvas, drawShape, toImage, type ShapeKind } from '../raster.js';
import { draw, enumerate, formatSolution, pickCells, plural, sample, type Draft } from './draft.js';

interface CountingLevel {
  readonly targets: readonly [number, number];
  readonly distractors: readonly [number, number];
  readonly distractorColors: number;
  readonly shapes: readonly ShapeKind[];
  /** The question names a colour and a shape kind. */
  readonly byShape: boolean;
}

export const COUNTING_LEVELS: Readonly<Record<Level, CountingLevel>> = {
  1: { targets: [1, 3], distractors: [0, 2], distractorColors: 1, shapes: ['square'], byShape: false },
  2: { targets: [1, 5], distractors: [1, 3], distractorColors: 2, shapes: ['square', 'circle'], byShape: false },
  3: { targets: [1, 6], distractors: [2, 5], distractorColors: 3, shapes: SHAPE_KINDS, byShape: false },
  4: { targets: [1, 8], distractors: [3, 8], distractorColors: 3, shapes: SHAPE_KINDS, byShape: true },
  5: { targets: [1, 9], distractors: [6, 12], distractorColors: 5, shapes: SHAPE_KINDS, byShape: true },
};

interface Item {
  readonly color: ColorName;
  readonly shape: ShapeKind;
}

const distractorItems = (rng: Rng, spec: CountingLevel, target: Item, others: readonly ColorName[], count: number): Item[] => {
  if (!spec.byShape) return Array.from({ length: count }, () => ({ color: rng.pick(others), shape: rng.pick(spec.shapes) }));
  // With a shape in the question, the first distractor shares the target colour so the shape matters.
  const otherShapes = spec.shapes.filter((s) => s !== target.shape);
  return Array.from({ length: count }, (_, i) => {
    if (i === 0) return { color: target.color, shape: rng.pick(otherShapes) };
    const color = rng.pick([target.color, ...others]);
    return { color, shape: color === target.color ? rng.pick(otherShapes) : rng.pick(spec.shapes) };
  });
};

export const counting = (level: Level, rng: Rng): Draft => {
  const spec = COUNTING_LEVELS[level];
  const [targetColor, ...others] = sample(rng, COLOR_NAMES, 1 + spec.distractorColors) as [ColorName, ...ColorName[]];
  const targetShape = rng.pick(spec.shapes);
  const targets = draw(rng, spec.targets);
  const target: Item = { color: targetColor, shape: targetShape };
  const items: Item[] = [
    ...Array.from({ length: targets }, () => (spec.byShape ? target : { color: targetColor, shape: rng.pick(spec.shapes) })),
    ...distractorItems(rng, spec, target, others, draw(rng, spec.distractors)),
  ];
  const canvas = createCanvas(MODEL_IMAGE_SIZE, MODEL_IMAGE_SIZE);
  pickCells(rng, items.length).forEach((cell, i) => drawShape(canvas, items[i]!.shape, cell.x, cell.y, COLORS[items[i]!.color]));
  const noun = spec.byShape ? plural(targetShape) : 'shapes';
  return {
    image: toImage(canvas),
    question: `how many ${targetColor} ${noun}?`,
    answer: String(targets),
    answerType: 'integer',
    solution: formatSolution(enumerate(targets), String(targets)),
  };
};
