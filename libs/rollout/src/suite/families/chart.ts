/**
 * Bar-chart reading: 3 or 4 coloured bars over a baseline, with a tick on the y axis for
 * every unit (one unit = 3 px, values 1–8). Questions, by level: which bar is tallest (1),
 * tallest or shortest (2), those or a bar's value (3), a bar's value against nearby values
 * (4), the difference of two bars (5). Every question is multiple choice; the solution names
 * what was read ("max blue 7", "red=5", "yellow 8-green 3=5").
 */
import type { Rng } from '@rlflow/core';
import { MODEL_IMAGE_SIZE, type Level } from '../problem.js';
import { COLORS, COLOR_NAMES, GREY, WHITE, type ColorName } from '../palette.js';
import { createCanvas, fillRect, setPixel, toImage } from '../raster.js';
import { formatSolution, multipleChoice, sample, type Draft } from './draft.js';

type ChartQuestion = 'tallest' | 'shortest' | 'value' | 'nearValue' | 'difference';

interface ChartLevel {
  readonly bars: 3 | 4;
  readonly questions: readonly ChartQuestion[];
  /** How much the extreme bar exceeds the next one, for tallest / shortest. */
  readonly margin: number;
}

export const CHART_LEVELS: Readonly<Record<Level, ChartLevel>> = {
  1: { bars: 3, questions: ['tallest'], margin: 2 },
  2: { bars: 3, questions: ['tallest', 'shortest'], margin: 1 },
  3: { bars: 4, questions: ['tallest', 'shortest', 'value'], margin: 1 },
  4: { bars: 4, questions: ['nearValue'], margin: 1 },
  5: { bars: 4, questions: ['difference'], margin: 1 },
};

export const MAX_BAR_VALUE = 8;
const UNIT = 3;
const BASELINE = 29;
const AXIS_X = 2;
const BAR_LAYOUT: Readonly<Record<3 | 4, { readonly width: number; readonly xs: readonly number[] }>> = {
  3: { width: 6, xs: [6, 15, 24] },
  4: { width: 5, xs: [5, 12, 19, 26] },
};

const values = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.intBetween(1, MAX_BAR_VALUE));

/** Values whose maximum (or minimum) is unique and `margin` clear of the rest; the extreme bar is random. */
const extremeValues = (rng: Rng, n: number, margin: number, kind: 'tallest' | 'shortest'): number[] => {
  const extreme = kind === 'tallest' ? rng.intBetween(1 + margin, MAX_BAR_VALUE) : rng.intBetween(1, MAX_BAR_VALUE - margin);
  const rest = Array.from({ length: n - 1 }, () =>
    kind === 'tallest' ? rng.intBetween(1, extreme - margin) : rng.intBetween(extreme + margin, MAX_BAR_VALUE),
  );
  const at = rng.int(n);
  return [...rest.slice(0, at), extreme, ...rest.slice(at)];
};

/** Three distinct values in [lo, hi] other than `correct`, nearest first when `near`. */
const numericDistractors = (rng: Rng, correct: number, lo: number, hi: number, near: boolean): string[] => {
  const pool = Array.from({ length: hi - lo + 1 }, (_, i) => lo + i).filter((v) => v !== correct);
  const ordered = near ? rng.shuffle(pool).sort((a, b) => Math.abs(a - correct) - Math.abs(b - correct)) : rng.shuffle(pool);
  return ordered.slice(0, 3).map(String);
};

const drawChart = (colors: readonly ColorName[], heights: readonly number[]): Draft['image'] => {
  const canvas = createCanvas(MODEL_IMAGE_SIZE, MODEL_IMAGE_SIZE);
  fillRect(canvas, AXIS_X, BASELINE - UNIT * MAX_BAR_VALUE, 1, UNIT * MAX_BAR_VALUE + 1, GREY);
  fillRect(canvas, AXIS_X, BASELINE, MODEL_IMAGE_SIZE - AXIS_X, 1, GREY);
  for (let v = 1; v <= MAX_BAR_VALUE; v++) setPixel(canvas, AXIS_X - 1, BASELINE - UNIT * v, WHITE);
  const layout = BAR_LAYOUT[colors.length as 3 | 4];
  heights.forEach((v, i) => fillRect(canvas, layout.xs[i]!, BASELINE - UNIT * v, layout.width, UNIT * v, COLORS[colors[i]!]));
  return toImage(canvas);
};

export const chart = (level: Level, rng: Rng): Draft => {
  const spec = CHART_LEVELS[level];
  const colors = sample(rng, COLOR_NAMES, spec.bars);
  const kind = rng.pick(spec.questions);
  if (kind === 'tallest' || kind === 'shortest') {
    const heights = extremeValues(rng, spec.bars, spec.margin, kind);
    const best = heights.indexOf(kind === 'tallest' ? Math.max(...heights) : Math.min(...heights));
    const { choices, answer } = multipleChoice(rng, colors[best]!, colors.filter((_, i) => i !== best));
    return {
      image: drawChart(colors, heights),
      question: `${kind} bar?`,
      choices,
      answer,
      answerType: 'choice',
      solution: formatSolution(`${kind === 'tallest' ? 'max' : 'min'} ${colors[best]} ${heights[best]}`, answer),
    };
  }
  const heights = values(rng, spec.bars);
  if (kind === 'value' || kind === 'nearValue') {
    const bar = rng.int(spec.bars);
    const v = heights[bar]!;
    const { choices, answer } = multipleChoice(rng, String(v), numericDistractors(rng, v, 1, MAX_BAR_VALUE, kind === 'nearValue'));
    return {
      image: drawChart(colors, heights),
      question: `value of ${colors[bar]} bar?`,
      choices,
      answer,
      answerType: 'choice',
      solution: formatSolution(`${colors[bar]}=${v}`, answer),
    };
  }
  // difference: two bars of different height, the taller named first.
  const [i, j] = sample(rng, [0, 1, 2, 3].slice(0, spec.bars), 2) as [number, number];
  if (heights[i] === heights[j]) heights[i] = heights[j]! === MAX_BAR_VALUE ? heights[j]! - 1 : heights[j]! + 1;
  const [hi, lo] = heights[i]! > heights[j]! ? [i, j] : [j, i];
  const difference = heights[hi]! - heights[lo]!;
  const { choices, answer } = multipleChoice(rng, String(difference), numericDistractors(rng, difference, 0, MAX_BAR_VALUE, true));
  return {
    image: drawChart(colors, heights),
    question: `${colors[hi]} minus ${colors[lo]}?`,
    choices,
    answer,
    answerType: 'choice',
    solution: formatSolution(`${colors[hi]} ${heights[hi]}-${colors[lo]} ${heights[lo]}=${difference}`, answer),
  };
};
