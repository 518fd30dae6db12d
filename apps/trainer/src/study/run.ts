/**
 * Runs a study: every cell of the grid (plan.ts) in order, through the training run's own
 * machinery (`runTraining`): a cell whose latest complete checkpoint is at its last step is
 * finished and skipped; a cell with a run directory is resumed from its latest checkpoint
 * (exactly, as `rlflow resume`); any other is started. So a study killed at any point and run
 * again with the same arguments continues where it stopped and ends with the same study.json.
 * One progress display covers the whole grid. A run stopped by SIGINT/SIGTERM (it checkpoints
 * first) stops the study with the run's exit code; the report is written once every run is done.
 */
import { stat } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import { loadRun, type RunData } from '@rlflow/eval';
import { readResolvedConfig } from '../config/index.js';
import type { MetricRow } from '../metrics/index.js';
import { formatMetricValue } from '../metrics/summary.js';
import { latestTrainingCheckpoint } from '../pipeline/checkpoint.js';
import { runTraining } from '../pipeline/run.js';
import { createProgressReporter, type ProgressSpec, type ProgressStream } from '../progress/index.js';
import { runPaths } from '../run/index.js';
import { type StudyCell, type StudyPlan } from './plan.js';
import { writeStudyReport } from './report.js';
import { summarizeStudy, type StudyRunData, type StudySummary } from './summary.js';

export interface StudyOptions {
  readonly plan: StudyPlan;
  readonly log: (line: string) => void;
  /** Where the study's progress is drawn (default process.stderr). */
  readonly progressStream?: ProgressStream;
  /** Install SIGINT/SIGTERM handlers in each run (default true). */
  readonly handleSignals?: boolean;
  /** The command line, quoted in study.md. */
  readonly command?: string;
}

export interface StudyResult {
  readonly exitCode: number;
  /** Cells skipped because they had finished before. */
  readonly skipped: readonly string[];
  /** Null when the study stopped before its last run finished. */
  readonly summary: StudySummary | null;
  readonly files: readonly string[];
}

type CellState = { readonly kind: 'new' } | { readonly kind: 'partial'; readonly step: number } | { readonly kind: 'finished' };

const exists = async (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/** Whether a cell is finished, partly run or not started; a run directory made with another configuration is an error. */
export const cellState = async (cell: StudyCell): Promise<CellState> => {
  if (!(await exists(runPaths(cell.dir).config))) return { kind: 'new' };
  const stored = await readResolvedConfig(cell.dir);
  if (E.isLeft(stored)) throw new Error(`${cell.dir}: ${stored.left.problems.join('; ')}`);
  if (JSON.stringify(stored.right) !== JSON.stringify(cell.config)) {
    throw new Error(`${cell.dir} holds a run with another configuration than this study's ${cell.preset} seed ${cell.seed}: use another --out, or the same --presets/--seeds/--steps/--set`);
  }
  const latest = await latestTrainingCheckpoint(cell.dir);
  return latest !== null && latest.step >= cell.config.steps ? { kind: 'finished' } : { kind: 'partial', step: latest?.step ?? 0 };
};

interface StudyTick {
  readonly done: number;
  readonly cell: StudyCell;
  readonly index: number;
  readonly row: MetricRow;
}

const value = (row: MetricRow | undefined, key: string): string => {
  const v = row?.[key];
  return typeof v === 'number' ? formatMetricValue(v) : '–';
};

const studySpec = (cells: number): ProgressSpec<StudyTick> => ({
  step: (tick) => tick.done,
  barFormat: '{bar} {value}/{total} steps | ETA {eta_formatted} | run {run} ({index}/{runs}) step {step} | reward {reward} | acc {acc}',
  barFields: (tick) => ({
    run: tick === null ? '–' : `${tick.cell.preset}-seed${tick.cell.seed}`,
    index: tick === null ? '0' : String(tick.index + 1),
    runs: String(cells),
    step: tick === null ? '–' : `${tick.row.step}/${tick.cell.config.steps}`,
    reward: value(tick?.row, 'reward/mean'),
    acc: value(tick?.row, 'reward/accuracy'),
  }),
  plainLine: (tick, { totalSteps }) =>
    `study ${tick.done}/${totalSteps} steps | run ${tick.cell.preset}-seed${tick.cell.seed} (${tick.index + 1}/${cells}) step ${tick.row.step}/${tick.cell.config.steps} | reward ${value(tick.row, 'reward/mean')} | acc ${value(tick.row, 'reward/accuracy')}`,
});

const loadCell = async (plan: StudyPlan, cell: StudyCell): Promise<StudyRunData & { readonly run: RunData }> => {
  const loaded = await loadRun(cell.dir);
  if (E.isLeft(loaded)) throw loaded.left;
  // Notes name paths relative to the study, so study.json does not depend on where it lies.
  const relative = (text: string) => text.replaceAll(`${plan.out}/`, '');
  const data: RunData = { ...loaded.right, algorithm: cell.preset, dir: cell.name, notes: loaded.right.notes.map(relative) };
  return { preset: cell.preset, seed: cell.seed, dir: cell.name, data, run: data };
};

export const runStudy = async (options: StudyOptions): Promise<StudyResult> => {
  const { plan, log } = options;
  const states = await Promise.all(plan.cells.map(cellState));
  const doneBefore = plan.cells.reduce((n, cell, i) => {
    const s = states[i]!;
    return n + (s.kind === 'finished' ? cell.config.steps : s.kind === 'partial' ? s.step : 0);
  }, 0);
  const skipped = plan.cells.filter((_, i) => states[i]!.kind === 'finished').map((c) => c.name);
  for (const name of skipped) log(`${name}: finished before; skipped`);
  const progress = createProgressReporter(studySpec(plan.cells.length), {
    totalSteps: plan.totalSteps,
    startStep: doneBefore,
    stream: options.progressStream ?? process.stderr,
  });
  const silent: ProgressStream = { write: () => true, isTTY: false };
  let done = doneBefore;
  try {
    for (let index = 0; index < plan.cells.length; index++) {
      const cell = plan.cells[index]!;
      const state = states[index]!;
      if (state.kind === 'finished') continue;
      const result = await runTraining({
        config: cell.config,
        dir: cell.dir,
        resume: state.kind === 'partial',
        log: (line) => log(`[${cell.preset}-seed${cell.seed}] ${line}`),
        progressStream: silent,
        ...(options.handleSignals === undefined ? {} : { handleSignals: options.handleSignals }),
        onStep: (row) => {
          done++;
          progress.update({ done, cell, index, row });
        },
      });
      if (result.reason !== 'completed') {
        log(`${cell.name} stopped (${result.reason}) at step ${result.stepsDone}; run the same command again to continue`);
        return { exitCode: result.exitCode, skipped, summary: null, files: [] };
      }
    }
  } finally {
    progress.stop();
  }
  const loaded = await Promise.all(plan.cells.map((cell) => loadCell(plan, cell)));
  const steps = Math.max(...plan.cells.map((c) => c.config.steps));
  const summary = summarizeStudy({ presets: plan.presets, seeds: plan.seeds, steps }, loaded);
  const files = await writeStudyReport(
    plan.out,
    summary,
    loaded.map((l) => l.run),
    options.command ?? null,
  );
  return { exitCode: 0, skipped, summary, files };
};
