/**
 * `rlflow compare` end to end: load each run directory, compare, draw the plots of the metrics
 * that some run logs, and write `report.md` and one SVG per plot into the output directory, each
 * file atomically.
 */
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { writeFileAtomic, type DecodeError } from '@rlflow/core';
import { compareRuns, type Comparison } from './compare.js';
import { renderReport, type ReportPlot } from './markdown.js';
import { bandPoints, COMPARE_PLOTS, curvePlotSpec, renderSvg } from './plots.js';
import { loadRun, type RunData } from './run.js';

export interface CompareOptions {
  /** Seed of the bootstrap intervals (default 0). */
  readonly seed?: number;
  /** Bootstrap resamples (default 10 000). */
  readonly resamples?: number;
}

export interface CompareReport {
  readonly comparison: Comparison;
  /** Paths written, report.md first. */
  readonly files: readonly string[];
}

/** Loads every run; the first run that cannot be read is the error. */
export const loadRuns = async (dirs: readonly string[]): Promise<E.Either<DecodeError, RunData[]>> => {
  const loaded = await Promise.all(dirs.map(loadRun));
  const runs: RunData[] = [];
  for (const run of loaded) {
    if (E.isLeft(run)) return run;
    runs.push(run.right);
  }
  return E.right(runs);
};

export const writeCompareReport = async (
  runDirs: readonly string[],
  outDir: string,
  options: CompareOptions = {},
): Promise<E.Either<DecodeError, CompareReport>> => {
  const runs = await loadRuns(runDirs);
  if (E.isLeft(runs)) return runs;
  const seed = options.seed ?? 0;
  const resamples = options.resamples ?? 10_000;
  const comparison = compareRuns(runs.right, { seed, resamples });
  const plots: ReportPlot[] = [];
  const files: string[] = [];
  const notes = [...comparison.notes];
  for (const plot of COMPARE_PLOTS) {
    const points = bandPoints(runs.right, plot.key);
    if (points.length === 0) {
      notes.push(`no run logs ${plot.key}; no ${plot.file}.svg`);
      continue;
    }
    const path = join(outDir, `${plot.file}.svg`);
    await writeFileAtomic(path, await renderSvg(curvePlotSpec(plot.title, plot.yTitle, points)));
    plots.push({ file: `${plot.file}.svg`, title: plot.title });
    files.push(path);
  }
  const reportPath = join(outDir, 'report.md');
  const withNotes = { ...comparison, notes };
  await writeFileAtomic(reportPath, renderReport(withNotes, plots, { seed, resamples }));
  return E.right({ comparison: withNotes, files: [reportPath, ...files] });
};
