/**
 * Training-curve plots: for each algorithm, the mean over its seeds of a metric at every logged
 * step, with a band of ± one sample standard deviation across the seeds that logged that step
 * (no band with one seed). Specified in Vega-Lite, compiled to Vega and rendered headless
 * (`renderer: 'none'`) to SVG text with `view.toSVG()`.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { unsafeMean, unsafeVariance } from '../stats/summary.js';
import { metricCurve, type RunData } from './run.js';

export interface BandPoint {
  readonly algorithm: string;
  readonly step: number;
  readonly mean: number;
  readonly lower: number;
  readonly upper: number;
  /** Seeds that logged this step. */
  readonly seeds: number;
}

/** Mean and ± std band of `key` per algorithm and step, across the runs of each algorithm. */
export const bandPoints = (runs: readonly RunData[], key: string): BandPoint[] => {
  const byAlgorithm = new Map<string, Map<number, number[]>>();
  for (const run of runs) {
    const curve = metricCurve(run.rows, key);
    const steps = byAlgorithm.get(run.algorithm) ?? new Map<number, number[]>();
    for (let i = 0; i < curve.values.length; i++) steps.set(curve.steps[i]!, [...(steps.get(curve.steps[i]!) ?? []), curve.values[i]!]);
    byAlgorithm.set(run.algorithm, steps);
  }
  const points: BandPoint[] = [];
  for (const [algorithm, steps] of byAlgorithm) {
    for (const step of [...steps.keys()].sort((a, b) => a - b)) {
      const values = steps.get(step)!;
      const mean = unsafeMean(values);
      const std = values.length > 1 ? Math.sqrt(unsafeVariance(values, 1)) : 0;
      points.push({ algorithm, step, mean, lower: mean - std, upper: mean + std, seeds: values.length });
    }
  }
  return points;
};

export interface CurvePlotOptions {
  /** The legend's title: what the series are (default "algorithm"). */
  readonly legend?: string;
  /** Mark every point (curves measured at a few steps, such as held-out evaluations). */
  readonly markPoints?: boolean;
}

/** A layered Vega-Lite chart: the band as an area, the mean as a line, one colour per series (`algorithm` of the points). */
export const curvePlotSpec = (title: string, yTitle: string, points: readonly BandPoint[], options: CurvePlotOptions = {}): vl.TopLevelSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title,
  width: 520,
  height: 300,
  data: { values: points.map((p) => ({ ...p })) },
  encoding: {
    x: { field: 'step', type: 'quantitative', title: 'step' },
    color: { field: 'algorithm', type: 'nominal', title: options.legend ?? 'algorithm' },
  },
  layer: [
    {
      mark: { type: 'area', opacity: 0.2 },
      encoding: {
        y: { field: 'lower', type: 'quantitative', title: yTitle, scale: { zero: false } },
        y2: { field: 'upper' },
      },
    },
    {
      mark: { type: 'line', strokeWidth: 2, ...(options.markPoints === true ? { point: true } : {}) },
      encoding: { y: { field: 'mean', type: 'quantitative', title: yTitle, scale: { zero: false } } },
    },
  ],
  config: { background: 'white', font: 'sans-serif', legend: { symbolType: 'stroke', symbolStrokeWidth: 3, symbolOpacity: 1, labelLimit: 400 } },
});

/** Renders a Vega-Lite spec to SVG text without a browser or canvas. */
export const renderSvg = async (spec: vl.TopLevelSpec): Promise<string> => {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
};

export interface PlotDefinition {
  /** File name without extension. */
  readonly file: string;
  readonly key: string;
  readonly title: string;
  readonly yTitle: string;
}

export const COMPARE_PLOTS: readonly PlotDefinition[] = [
  { file: 'reward', key: 'reward/mean', title: 'Reward', yTitle: 'reward/mean' },
  { file: 'accuracy', key: 'reward/accuracy', title: 'Training accuracy', yTitle: 'reward/accuracy' },
  { file: 'eval_accuracy', key: 'eval/accuracy', title: 'Held-out accuracy', yTitle: 'eval/accuracy' },
  { file: 'clip_fraction', key: 'actor/pg_clipfrac', title: 'Clip fraction', yTitle: 'actor/pg_clipfrac' },
  { file: 'response_length', key: 'response_length/mean', title: 'Response length', yTitle: 'response_length/mean (tokens)' },
  { file: 'entropy', key: 'actor/entropy', title: 'Entropy', yTitle: 'actor/entropy' },
];
