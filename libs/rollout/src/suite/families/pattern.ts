/**
 * Visual sequence logic (LogicVista-style "what comes next"). Two layouts:
 * - cycles: shapes in reading order, one per 8×8 cell (so one per image patch) from the second
 *   row down, the next one marked "?"; the colour (or shape kind) repeats with a period, and
 *   the other attribute may vary at random as a distractor. At level 5 colour and shape
 *   cycle with different periods. Multiple choice; solution "period 3:blue".
 * - stacks: four columns of unit squares (3×3, 4 px pitch, at most 8 high) whose heights
 *   follow a rule, then "?": a constant step (+1, +2 or -1; every shown height in [1, 8] and
 *   the answer ≥ 1) or, at level 5, steps growing by one ("+0,+1,+2:4+3=7"). From level 3
 *   each column takes a random colour. Integer answer.
 * A cycle is shown for at least period + 2 items, so its shortest period is unambiguous.
 */
import type { Rng } from '@rlflow/core';
import { MODEL_IMAGE_SIZE, type Level } from '../problem.js';
import { COLORS, COLOR_NAMES, WHITE, type ColorName } from '../palette.js';
import { SHAPE_KINDS, createCanvas, drawShape, drawText, fillRect, toImage, type ShapeKind } from '../raster.js';
import { formatSolution, multipleChoice, sample, type Draft } from './draft.js';

type PatternKind = 'colorCycle' | 'shapeCycle' | 'twoCycles' | 'stackStep' | 'stackGrowing';

interface PatternLevel {
  readonly kinds: readonly PatternKind[];
  readonly periods: readonly number[];
  readonly shown: readonly [number, number];
  /** Options offered for a colour question (at least the period). */
  readonly colorOptions: number;
  /** The attribute that does not cycle varies at random. */
  readonly noise: boolean;
  readonly steps: readonly number[];
}

export const PATTERN_LEVELS: Readonly<Record<Level, PatternLevel>> = {
  1: { kinds: ['colorCycle'], periods: [2], shown: [4, 5], colorOptions: 2, noise: false, steps: [1] },
  2: { kinds: ['colorCycle', 'shapeCycle'], periods: [2, 3], shown: [5, 6], colorOptions: 3, noise: false, steps: [1] },
  3: { kinds: ['colorCycle', 'shapeCycle', 'stackStep'], periods: [2, 3], shown: [6, 7], colorOptions: 3, noise: true, steps: [1] },
  4: { kinds: ['colorCycle', 'stackStep'], periods: [3, 4], shown: [7, 7], colorOptions: 4, noise: true, steps: [1, 2, -1] },
  5: { kinds: ['twoCycles', 'stackStep', 'stackGrowing'], periods: [2, 3], shown: [7, 7], colorOptions: 4, noise: true, steps: [2, -1] },
};

const CELL = 8;
const FIRST_ROW = 1;
const CELLS_PER_ROW = MODEL_IMAGE_SIZE / CELL;

const cellOrigin = (index: number): { x: number; y: number } => ({
  x: (index % CELLS_PER_ROW) * CELL,
  y: (FIRST_ROW + Math.floor(index / CELLS_PER_ROW)) * CELL,
});

interface Item {
  readonly color: ColorName;
  readonly shape: ShapeKind;
}

const drawCycle = (items: readonly Item[]): Draft['image'] => {
  const canvas = createCanvas(MODEL_IMAGE_SIZE, MODEL_IMAGE_SIZE);
  items.forEach((item, i) => {
    const { x, y } = cellOrigin(i);
    drawShape(canvas, item.shape, x + 2, y + 2, COLORS[item.color]);
  });
  const mark = cellOrigin(items.length);
  drawText(canvas, '?', mark.x + 2, mark.y + 1, WHITE);
  return toImage(canvas);
};

const cycleProblem = (rng: Rng, spec: PatternLevel, kind: 'colorCycle' | 'shapeCycle' | 'twoCycles'): Draft => {
  const shown = rng.intBetween(spec.shown[0], spec.shown[1]);
  const usable = (p: number): boolean => p + 2 <= shown && (kind === 'colorCycle' || p <= SHAPE_KINDS.length);
  const period = rng.pick(spec.periods.filter(usable));
  // twoCycles: the other attribute cycles too, with a different period.
  const otherPeriod = spec.periods.find((p) => p !== period && p <= SHAPE_KINDS.length) ?? period;
  const colorCycle = kind === 'shapeCycle' ? undefined : sample(rng, COLOR_NAMES, period);
  const shapeCycle =
    kind === 'shapeCycle' ? sample(rng, SHAPE_KINDS, period) : kind === 'twoCycles' ? sample(rng, SHAPE_KINDS, otherPeriod) : undefined;
  const fixedColor = rng.pick(COLOR_NAMES);
  const fixedShape = rng.pick(SHAPE_KINDS);
  const itemAt = (i: number): Item => ({
    color: colorCycle !== undefined ? colorCycle[i % period]! : spec.noise ? rng.pick(COLOR_NAMES) : fixedColor,
    shape:
      shapeCycle !== undefined
        ? shapeCycle[i % shapeCycle.length]!
        : spec.noise
          ? rng.pick(SHAPE_KINDS)
          : fixedShape,
  });
  const items = Array.from({ length: shown }, (_, i) => itemAt(i));
  const askShape = kind === 'shapeCycle' || (kind === 'twoCycles' && rng.bernoulli(0.5));
  if (askShape) {
    const cycle = shapeCycle!;
    const next = cycle[shown % cycle.length]!;
    const { choices, answer } = multipleChoice(rng, next, SHAPE_KINDS.filter((s) => s !== next));
    return {
      image: drawCycle(items),
      question: 'next shape?',
      choices,
      answer,
      answerType: 'choice',
      solution: formatSolution(`period ${cycle.length}:${next}`, answer),
    };
  }
  const cycle = colorCycle!;
  const next = cycle[shown % period]!;
  const options = Math.max(spec.colorOptions, period);
  const distractors = [
    ...cycle.filter((c) => c !== next),
    ...sample(
      rng,
      COLOR_NAMES.filter((c) => !cycle.includes(c)),
      options - period,
    ),
  ];
  const { choices, answer } = multipleChoice(rng, next, distractors);
  return {
    image: drawCycle(items),
    question: 'next color?',
    choices,
    answer,
    answerType: 'choice',
    solution: formatSolution(`period ${period}:${next}`, answer),
  };
};

const STACKS = 4;
const MAX_STACK = 8;
const STACK_PITCH = 6;
const UNIT_PITCH = 4;
const STACK_BOTTOM = 28;

const drawStacks = (heights: readonly number[], colors: readonly ColorName[]): Draft['image'] => {
  const canvas = createCanvas(MODEL_IMAGE_SIZE, MODEL_IMAGE_SIZE);
  heights.forEach((h, column) => {
    for (let unit = 0; unit < h; unit++) fillRect(canvas, 2 + column * STACK_PITCH, STACK_BOTTOM - unit * UNIT_PITCH, 3, 3, COLORS[colors[column]!]);
  });
  drawText(canvas, '?', 2 + heights.length * STACK_PITCH, STACK_BOTTOM - 2, WHITE);
  return toImage(canvas);
};

const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);

const stackProblem = (rng: Rng, spec: PatternLevel, kind: 'stackStep' | 'stackGrowing'): Draft => {
  // Differences between consecutive columns, then the difference to the next one.
  let diffs: number[];
  if (kind === 'stackGrowing') {
    const first = rng.intBetween(0, 1);
    diffs = [first, first + 1, first + 2, first + 3];
  } else {
    const step = rng.pick(spec.steps);
    diffs = [step, step, step, step];
  }
  const shownDiffs = diffs.slice(0, STACKS - 1);
  const offsets = shownDiffs.reduce<number[]>((acc, d) => [...acc, acc[acc.length - 1]! + d], [0]);
  // Every shown column in [1, MAX_STACK] and the answer at least 1.
  const nextOffset = offsets[STACKS - 1]! + diffs[STACKS - 1]!;
  const lo = Math.max(1 - Math.min(...offsets), 1 - nextOffset);
  const hi = MAX_STACK - Math.max(...offsets);
  const start = rng.intBetween(lo, hi);
  const heights = offsets.map((o) => start + o);
  const next = start + nextOffset;
  const color = rng.pick(COLOR_NAMES);
  const colors = heights.map(() => (spec.noise ? rng.pick(COLOR_NAMES) : color));
  const last = heights[STACKS - 1]!;
  const step = diffs[STACKS - 1]!;
  const rule = kind === 'stackGrowing' ? shownDiffs.map(signed).join(',') : signed(step);
  return {
    image: drawStacks(heights, colors),
    question: 'next height?',
    answer: String(next),
    answerType: 'integer',
    solution: formatSolution(`${rule}:${last}${step < 0 ? '-' : '+'}${Math.abs(step)}=${next}`, String(next)),
  };
};

export const pattern = (level: Level, rng: Rng): Draft => {
  const spec = PATTERN_LEVELS[level];
  const kind = rng.pick(spec.kinds);
  return kind === 'stackStep' || kind === 'stackGrowing' ? stackProblem(rng, spec, kind) : cycleProblem(rng, spec, kind);
};
