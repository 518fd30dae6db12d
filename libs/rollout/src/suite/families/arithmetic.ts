/**
 * Digit arithmetic: an expression such as "3+4" or "23+45-17" drawn in the 3×5 font; the
 * question asks for its value. Evaluated left to right, every intermediate result is ≥ 0.
 * The level sets the number of terms and digits, whether subtraction appears, how far the
 * expression may move and how many coloured distractor shapes surround it. Answer: an
 * integer; solution: one step per operator ("5+8=13,13-4=9").
 */
import type { Rng } from '@rlflow/core';
import { MODEL_IMAGE_SIZE, type Level } from '../problem.js';
import { COLORS, COLOR_NAMES, WHITE } from '../palette.js';
import { GLYPH_HEIGHT, textWidth } from '../font.js';
import { SHAPE_KINDS, SHAPE_SIZE, createCanvas, drawShape, drawText, toImage } from '../raster.js';
import { draw, formatSolution, pickCells, type Cell, type Draft } from './draft.js';

type Op = '+' | '-';

interface ArithmeticLevel {
  /** Inclusive range of each term, in order. */
  readonly terms: ReadonlyArray<readonly [number, number]>;
  readonly ops: readonly Op[];
  /** Largest allowed result. */
  readonly maxResult: number;
  /** Rows the expression's top edge may take. */
  readonly rows: readonly [number, number];
  readonly distractors: readonly [number, number];
}

const DIGIT: readonly [number, number] = [1, 9];
const TWO_DIGITS: readonly [number, number] = [10, 99];

export const ARITHMETIC_LEVELS: Readonly<Record<Level, ArithmeticLevel>> = {
  1: { terms: [DIGIT, DIGIT], ops: ['+'], maxResult: 9, rows: [13, 14], distractors: [0, 0] },
  2: { terms: [DIGIT, DIGIT], ops: ['+', '-'], maxResult: 18, rows: [11, 16], distractors: [0, 0] },
  3: { terms: [DIGIT, DIGIT, DIGIT], ops: ['+', '-'], maxResult: 27, rows: [2, 25], distractors: [0, 3] },
  4: { terms: [TWO_DIGITS, DIGIT], ops: ['+', '-'], maxResult: 108, rows: [0, 27], distractors: [2, 5] },
  5: { terms: [TWO_DIGITS, TWO_DIGITS, [1, 99]], ops: ['+', '-'], maxResult: 297, rows: [0, 27], distractors: [3, 6] },
};

const apply = (a: number, op: Op, b: number): number => (op === '+' ? a + b : a - b);

interface Expression {
  readonly terms: readonly number[];
  readonly ops: readonly Op[];
}

/** Intermediate results, left to right; `undefined` when one is negative or the last too large. */
const evaluate = (expr: Expression, maxResult: number): number[] | undefined => {
  const steps: number[] = [];
  let acc = expr.terms[0]!;
  for (let i = 0; i < expr.ops.length; i++) {
    acc = apply(acc, expr.ops[i]!, expr.terms[i + 1]!);
    if (acc < 0) return undefined;
    steps.push(acc);
  }
  return acc > maxResult ? undefined : steps;
};

const MAX_DRAWS = 64;

const drawExpression = (rng: Rng, spec: ArithmeticLevel): { expr: Expression; steps: number[] } => {
  for (let attempt = 0; attempt < MAX_DRAWS; attempt++) {
    const expr: Expression = {
      terms: spec.terms.map((range) => draw(rng, range)),
      ops: spec.terms.slice(1).map(() => rng.pick(spec.ops)),
    };
    const steps = evaluate(expr, spec.maxResult);
    if (steps !== undefined) return { expr, steps };
  }
  // All-addition fallback: terms shrunk to the smallest value of each range always fit.
  const expr: Expression = { terms: spec.terms.map((range) => range[0]), ops: spec.terms.slice(1).map(() => '+') };
  return { expr, steps: evaluate(expr, Number.POSITIVE_INFINITY)! };
};

const render = (expr: Expression): string => expr.terms.map((t, i) => (i === 0 ? String(t) : `${expr.ops[i - 1]}${t}`)).join('');

/** "5+8=13,13-4=9": each operator applied to the running result. */
const chainOfThought = (expr: Expression, steps: readonly number[]): string =>
  steps.map((value, i) => `${i === 0 ? expr.terms[0] : steps[i - 1]}${expr.ops[i]}${expr.terms[i + 1]}=${value}`).join(',');

export const arithmetic = (level: Level, rng: Rng): Draft => {
  const spec = ARITHMETIC_LEVELS[level];
  const { expr, steps } = drawExpression(rng, spec);
  const text = render(expr);
  const width = textWidth(text);
  const x = rng.intBetween(0, MODEL_IMAGE_SIZE - width);
  const y = draw(rng, spec.rows);
  const canvas = createCanvas(MODEL_IMAGE_SIZE, MODEL_IMAGE_SIZE);
  drawText(canvas, text, x, y, WHITE);
  // Distractor shapes keep a 1 px margin around the expression's box.
  const clear = (cell: Cell): boolean =>
    cell.x + SHAPE_SIZE < x - 1 || cell.x > x + width || cell.y + SHAPE_SIZE < y - 1 || cell.y > y + GLYPH_HEIGHT;
  pickCells(rng, draw(rng, spec.distractors), clear).forEach((cell) =>
    drawShape(canvas, rng.pick(SHAPE_KINDS), cell.x, cell.y, COLORS[rng.pick(COLOR_NAMES)]),
  );
  const answer = String(steps[steps.length - 1]);
  return {
    image: toImage(canvas),
    question: 'what is the result?',
    answer,
    answerType: 'integer',
    solution: formatSolution(chainOfThought(expr, steps), answer),
  };
};
