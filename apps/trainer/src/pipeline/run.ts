/**
 * A training run from its resolved config: the run directory, the policy (warm start, scratch,
 * a checkpoint, or the run's own latest checkpoint on resume), the loop, and what each step
 * leaves behind — a metrics row, an evaluation every `eval.every` steps and at the end, a
 * checkpoint every `checkpoint.every` steps, at the end and on SIGINT/SIGTERM, pruned to
 * `checkpoint.keep`. Guard rail: a step whose updates were skipped for a non-finite loss or
 * gradient is logged; `guard.maxNonFiniteInARow` such steps in a row stop the run.
 */
import { mkdir, readdir } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs-core';
import { unwrap } from '@rlflow/core';
import { initialCurriculumState, type CurriculumState } from '@rlflow/curriculum';
import { createTrainer, initBackend, type Policy, type Trainer } from '@rlflow/policy';
import { writeResolvedConfig, type TrainConfig } from '../config/index.js';
import { evalCellKeys, formatSummaryTable, openMetricsWriter, readMetricsJsonl, summarizeMetrics, truncateMetrics, type MetricRow } from '../metrics/index.js';
import { cleanCheckpointTemps, createProgress, installStopHandler, openEventLog, pruneCheckpoints, runPaths, type ProgressStream } from '../run/index.js';
import { initialPolicy, latestTrainingCheckpoint, optimizerConfig, readTrainingCheckpoint, writeTrainingCheckpoint } from './checkpoint.js';
import { curriculumConfig } from './curriculum.js';
import { evaluateHeldOut, evaluatesAt, withEvaluation, type HeldOutEvaluation } from './evaluate.js';
import { initialGuard, nextGuard } from './guard.js';
import { shapeBatch } from './shape-batch.js';
import { runLoop } from './train.js';

export interface RunOptions {
  readonly config: TrainConfig;
  readonly dir: string;
  /** Continue from the run directory's latest complete checkpoint. */
  readonly resume: boolean;
  readonly log: (line: string) => void;
  readonly progressStream?: ProgressStream;
  /** Install SIGINT/SIGTERM handlers (default true). */
  readonly handleSignals?: boolean;
}

export interface RunResult {
  /** Steps finished, counting those before a resume. */
  readonly stepsDone: number;
  readonly reason: 'completed' | 'signal' | 'non-finite';
  readonly exitCode: number;
  readonly backend: string;
  readonly seconds: number;
  /** The held-out evaluation of the last step that evaluated (the final step's when the run completed). */
  readonly finalEvaluation: HeldOutEvaluation | undefined;
}

interface Started {
  readonly policy: Policy;
  readonly trainer: Trainer;
  readonly state: CurriculumState;
  readonly stepsDone: number;
}

const unwrapMetrics = <A>(result: E.Either<Error, A>): A => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

const isEmptyDir = async (dir: string): Promise<boolean> => (await readdir(dir).catch(() => [])).length === 0;

const start = async (config: TrainConfig, dir: string, resume: boolean, log: (line: string) => void): Promise<Started> => {
  const curriculum = curriculumConfig(config);
  if (resume) {
    await cleanCheckpointTemps(dir);
    const latest = await latestTrainingCheckpoint(dir);
    if (latest !== null) {
      const restored = await readTrainingCheckpoint(latest.path, config);
      const truncated = await truncateMetrics(dir, latest.step);
      if (E.isLeft(truncated)) throw truncated.left;
      log(`resuming ${dir} from step ${latest.step} (${latest.path})`);
      return { ...restored, stepsDone: latest.step };
    }
    log(`no complete checkpoint in ${dir}: starting from step 0`);
    const truncated = await truncateMetrics(dir, 0);
    if (E.isLeft(truncated)) throw truncated.left;
  }
  const policy = await initialPolicy(config, log);
  const trainer = unwrap(createTrainer(policy, { optimizer: optimizerConfig(config), microBatchTokens: config.optimizer.microBatchTokens, klCoef: config.kl.coef }));
  return { policy, trainer, state: unwrap(initialCurriculumState(curriculum)), stepsDone: 0 };
};

export const runTraining = async (options: RunOptions): Promise<RunResult> => {
  const { config, dir, log } = options;
  const began = performance.now();
  const backend = await initBackend(config.backend);
  log(`backend: ${backend.name} (${backend.reason})`);
  await mkdir(dir, { recursive: true });
  if (!options.resume) {
    if (!(await isEmptyDir(dir))) throw new Error(`${dir} is not empty: choose another --out, or continue it with rlflow resume ${dir}`);
    await writeResolvedConfig(dir, config);
  }
  const started = await start(config, dir, options.resume, log);
  const { policy, trainer } = started;
  const shape = unwrap(shapeBatch(config));
  const metrics = await openMetricsWriter(dir, { columns: ['eval/format_rate', ...evalCellKeys(config.eval.families, config.eval.levels)] });
  const events = await openEventLog(dir);
  await events.append({ type: 'run-start', step: started.stepsDone, resumed: options.resume, preset: config.preset });
  const stop = installStopHandler({
    ...(options.handleSignals === false ? { source: { on: () => undefined, off: () => undefined } } : {}),
    onSignal: (signal) => log(`${signal}: finishing this step, writing a checkpoint, then exiting (send it again to exit now)`),
  });
  const progress = createProgress({ totalSteps: config.steps, startStep: started.stepsDone, ...(options.progressStream === undefined ? {} : { stream: options.progressStream }) });
  let guard = initialGuard;
  let finalEvaluation: HeldOutEvaluation | undefined;

  const afterStep = async (outcome: { row: MetricRow; skipped: readonly { message: string }[] }, next: CurriculumState): Promise<void> => {
    const done = next.step;
    let row: MetricRow = { ...outcome.row, 'memory/num_tensors': tf.memory().numTensors, 'memory/rss_mb': process.memoryUsage().rss / 2 ** 20 };
    guard = nextGuard(config.guard.maxNonFiniteInARow)(guard, outcome.skipped.length);
    if (outcome.skipped.length > 0) {
      await events.append({ type: 'non-finite-skip', step: done, inARow: guard.inARow, detail: outcome.skipped.map((e) => e.message).join('; ') });
      log(`step ${done}: ${outcome.skipped.length} update(s) skipped for a non-finite loss or gradient (${guard.inARow} step(s) in a row)`);
    }
    if (evaluatesAt(config, done)) {
      const evaluation = unwrap(evaluateHeldOut(config, policy));
      finalEvaluation = evaluation;
      row = withEvaluation(row, evaluation);
      const { greedy, sampled } = evaluation;
      await events.append({
        type: 'eval',
        step: done,
        accuracy: greedy.overall.accuracy,
        ...(sampled === undefined ? {} : { sampledAccuracy: sampled.overall.accuracy }),
        cells: Object.fromEntries(greedy.cells.map((c) => [`${c.family}/${c.level}`, c.accuracy])),
      });
    }
    await metrics.append(row);
    progress.update(row);
    const stopping = stop.requested() || guard.stop;
    if (done === config.steps || stopping || (config.checkpoint.every > 0 && done % config.checkpoint.every === 0)) {
      const path = await writeTrainingCheckpoint(dir, done, { policy, trainer, state: next, config });
      const pruned = await pruneCheckpoints(dir, config.checkpoint.keep);
      await events.append({ type: 'checkpoint', step: done, path, pruned });
    }
    const signal = stop.signal();
    if (signal !== null) await events.append({ type: 'signal', step: done, signal });
  };

  let stepsRun = 0;
  try {
    stepsRun = await runLoop({
      context: { config, policy, trainer, shape },
      curriculum: curriculumConfig(config),
      initial: started.state,
      totalSteps: config.steps,
      hooks: { afterStep, shouldStop: () => stop.requested() || guard.stop },
    });
  } finally {
    progress.stop();
    stop.dispose();
  }
  const stepsDone = started.stepsDone + stepsRun;
  const reason = stop.requested() ? 'signal' : guard.stop ? 'non-finite' : 'completed';
  await events.append({ type: 'run-end', step: stepsDone, reason, detail: `${stepsRun} step(s) this session` });
  await Promise.all([metrics.close(), events.close()]);
  const rows = unwrapMetrics(await readMetricsJsonl(runPaths(dir).metricsJsonl));
  const seconds = (performance.now() - began) / 1000;
  log(formatSummaryTable(summarizeMetrics(rows.items), seconds));
  trainer.dispose();
  policy.dispose();
  return { stepsDone, reason, exitCode: stop.exitCode() ?? (reason === 'non-finite' ? 1 : 0), backend: backend.name, seconds, finalEvaluation };
};
