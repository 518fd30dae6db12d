/**
 * A training run from its resolved config: the run directory, the engine (chosen by name from
 * the engine registry, its policy from the warm start, scratch, a checkpoint, or the run's own
 * latest checkpoint on resume), the loop, and what each step leaves behind — a metrics row, an
 * evaluation every `eval.every` steps and at the end, a checkpoint every `checkpoint.every`
 * steps, at the end and on SIGINT/SIGTERM, pruned to `checkpoint.keep`. Guard rail: a step whose
 * updates were skipped for a non-finite loss or gradient is logged; `guard.maxNonFiniteInARow`
 * such steps in a row stop the run. A run that fails closes its files, logs a `run-end` event
 * with the reason and the step, and keeps its last complete checkpoint.
 */
import { mkdir, readdir } from 'node:fs/promises';
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, unwrap } from '@rlflow/core';
import { initialCurriculumState, type CurriculumState } from '@rlflow/curriculum';
import type { Engine, EngineInit } from '@rlflow/engine';
import { BUILTIN_CODEC, type TextCodec } from '@rlflow/rollout';
import { writeResolvedConfig, type TrainConfig } from '../config/index.js';
import { chooseEngine, ENGINES } from '../engines.js';
import { evalCellKeys, formatSummaryTable, openMetricsWriter, readMetricsJsonl, summarizeMetrics, truncateMetrics, type MetricRow } from '../metrics/index.js';
import { cleanCheckpointTemps, createProgress, installStopHandler, openEventLog, pruneCheckpoints, runPaths, type ProgressStream } from '../run/index.js';
import { SFT_POLICY_CONFIG } from '../sft/index.js';
import { initialEngineInit, latestTrainingCheckpoint, restoreTrainingCheckpoint, writeTrainingCheckpoint } from './checkpoint.js';
import { curriculumConfig, promptPool } from './curriculum.js';
import { evaluateHeldOut, evaluatesAt, withEvaluation, type HeldOutEvaluation, type HeldOutResult } from './evaluate.js';
import { initialGuard, nextGuard } from './guard.js';
import { capabilityProblems } from './objective.js';
import { shapeBatch } from './shape-batch.js';
import { loadRunCodec, loadRunPrompts, type RunPrompts } from './prompts.js';
import { StepError } from './step.js';
import { runLoop } from './train.js';

export interface TrainingRunOptions {
  readonly config: TrainConfig;
  readonly dir: string;
  /** Continue from the run directory's latest complete checkpoint. */
  readonly resume: boolean;
  readonly log: (line: string) => void;
  readonly progressStream?: ProgressStream;
  /** Install SIGINT/SIGTERM handlers (default true). */
  readonly handleSignals?: boolean;
  /** Called with each finished step's metrics row, after it is written (e.g. a study's progress). */
  readonly onStep?: (row: MetricRow) => void;
}

export interface RunResult {
  /** Steps finished, counting those before a resume. */
  readonly stepsDone: number;
  readonly reason: 'completed' | 'signal' | 'non-finite';
  readonly exitCode: number;
  /** Where the engine computed (its `info.device`). */
  readonly backend: string;
  readonly seconds: number;
  /** The held-out evaluation of the last step that evaluated (the final step's when the run completed). */
  readonly finalEvaluation: HeldOutEvaluation<HeldOutResult> | undefined;
}

/** A run that failed: the step it failed in (1-based; 0 before the first) and why. */
export class RunFailure extends Error {
  readonly _tag = 'RunFailure' as const;

  constructor(
    readonly step: number,
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'RunFailure';
  }
}

interface Started {
  readonly engine: Engine;
  readonly state: CurriculumState;
  readonly stepsDone: number;
}

const isEmptyDir = async (dir: string): Promise<boolean> => (await readdir(dir).catch(() => [])).length === 0;

const createEngine = async (config: TrainConfig, codec: TextCodec, log: (line: string) => void): Promise<Engine> => {
  const chosen = await chooseEngine(config.engine);
  log(`engine: ${chosen.reason}`);
  const { factory } = chosen;
  const entry = ENGINES[chosen.name];
  const init: EngineInit = entry.localInit ? await initialEngineInit(config, log) : { kind: 'seed', seed: deriveSeed(config.seed, 'init') };
  if (!entry.localInit) log(`the initial policy is the base model of ${config.remote.url ?? 'the server'} (init ${config.init} is the server's: rlflow serve --init)`);
  const created = await factory({
    init,
    model: await entry.modelOption(config.remote, init, SFT_POLICY_CONFIG, codec),
    reference: config.kl.coef > 0,
    tokenBudget: config.optimizer.microBatchTokens,
    device: config.backend,
  });
  if (E.isLeft(created)) throw created.left;
  const engine = created.right;
  const problems = capabilityProblems(config, engine.capabilities, chosen.name);
  if (problems.length > 0) {
    await engine.dispose();
    throw new Error(`the configuration needs what the engine cannot do:\n  ${problems.map((p) => p.message).join('\n  ')}`);
  }
  log(`engine: ${engine.info.engine} (${engine.info.model}, ${engine.info.parameterCount.toLocaleString('en-US')} parameters) on ${engine.info.device}`);
  return engine;
};

const start = async (config: TrainConfig, codec: TextCodec, dir: string, resume: boolean, log: (line: string) => void): Promise<Started> => {
  if (resume) {
    await cleanCheckpointTemps(dir);
    const latest = await latestTrainingCheckpoint(dir);
    const truncated = await truncateMetrics(dir, latest?.step ?? 0);
    if (E.isLeft(truncated)) throw truncated.left;
    if (latest !== null) {
      const engine = await createEngine(config, codec, log);
      try {
        const state = await restoreTrainingCheckpoint(latest, engine);
        log(`resuming ${dir} from step ${latest.step} (${latest.path})`);
        return { engine, state, stepsDone: latest.step };
      } catch (error) {
        await engine.dispose();
        throw error;
      }
    }
    log(`no complete checkpoint in ${dir}: starting from step 0`);
  }
  const engine = await createEngine(config, codec, log);
  return { engine, state: unwrap(initialCurriculumState(curriculumConfig(config))), stepsDone: 0 };
};

export const runTraining = async (options: TrainingRunOptions): Promise<RunResult> => {
  const { config, dir, log } = options;
  const began = performance.now();
  await mkdir(dir, { recursive: true });
  if (!options.resume) {
    if (!(await isEmptyDir(dir))) throw new Error(`${dir} is not empty: choose another --out, or continue it with rlflow resume ${dir}`);
    await writeResolvedConfig(dir, config);
  }
  const codec = await loadRunCodec(config);
  const started = await start(config, codec, dir, options.resume, log);
  const { engine } = started;
  let prompts: RunPrompts;
  try {
    prompts = await loadRunPrompts(config, codec, engine.info.imageSize);
  } catch (error) {
    await engine.dispose();
    throw error;
  }
  if (codec !== BUILTIN_CODEC || prompts.train !== null || prompts.heldOut !== null) {
    log(`prompts: ${prompts.train === null ? 'the synthetic suite' : `${prompts.train.length} items of ${config.rollout.dataset}`}, held out: ${prompts.heldOut === null ? "the suite's test split" : `${prompts.heldOut.length} items of ${config.eval.dataset}`}, tokenizer: ${codec.source}`);
  }
  const metrics = await openMetricsWriter(dir, { columns: ['eval/format_rate', ...evalCellKeys(config.eval.families, config.eval.levels)] });
  const events = await openEventLog(dir);
  await events.append({ type: 'run-start', step: started.stepsDone, resumed: options.resume, preset: config.preset });
  const stop = installStopHandler({
    ...(options.handleSignals === false ? { source: { on: () => undefined, off: () => undefined } } : {}),
    onSignal: (signal) => log(`${signal}: finishing this step, writing a checkpoint, then exiting (send it again to exit now)`),
  });
  const progress = createProgress({ totalSteps: config.steps, startStep: started.stepsDone, ...(options.progressStream === undefined ? {} : { stream: options.progressStream }) });
  let guard = initialGuard;
  let finalEvaluation: HeldOutEvaluation<HeldOutResult> | undefined;

  const afterStep = async (outcome: { row: MetricRow; skipped: readonly { message: string }[] }, next: CurriculumState): Promise<void> => {
    const done = next.step;
    let row: MetricRow = { ...outcome.row, 'memory/num_tensors': engine.liveResources(), 'memory/rss_mb': process.memoryUsage().rss / 2 ** 20 };
    guard = nextGuard(config.guard.maxNonFiniteInARow)(guard, outcome.skipped.length);
    if (outcome.skipped.length > 0) {
      await events.append({ type: 'non-finite-skip', step: done, inARow: guard.inARow, detail: outcome.skipped.map((e) => e.message).join('; ') });
      log(`step ${done}: ${outcome.skipped.length} update(s) skipped for a non-finite loss or gradient (${guard.inARow} step(s) in a row)`);
    }
    if (evaluatesAt(config, done)) {
      const evaluation = unwrap(await evaluateHeldOut(config, engine, prompts));
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
    options.onStep?.(row);
    const stopping = stop.requested() || guard.stop;
    if (done === config.steps || stopping || (config.checkpoint.every > 0 && done % config.checkpoint.every === 0)) {
      const path = await writeTrainingCheckpoint(dir, done, engine, next);
      const pruned = await pruneCheckpoints(dir, config.checkpoint.keep);
      await events.append({ type: 'checkpoint', step: done, path, pruned });
    }
    const signal = stop.signal();
    if (signal !== null) await events.append({ type: 'signal', step: done, signal });
  };

  let stepsRun = 0;
  let failure: RunFailure | undefined;
  try {
    await runLoop(
      {
        context: { config, engine, shape: unwrap(shapeBatch(config)), prompts, pool: unwrap(promptPool(config)) },
        curriculum: curriculumConfig(config),
        initial: started.state,
        totalSteps: config.steps,
        hooks: { afterStep, shouldStop: () => stop.requested() || guard.stop },
      },
      (steps) => (stepsRun = steps),
    );
  } catch (error) {
    failure = new RunFailure(error instanceof StepError ? error.step : started.stepsDone + stepsRun + 1, error);
  } finally {
    progress.stop();
    stop.dispose();
  }
  const stepsDone = started.stepsDone + stepsRun;
  if (failure !== undefined) {
    await events.append({ type: 'run-end', step: failure.step, reason: 'error', detail: `failed in step ${failure.step}: ${failure.message}` }).catch(() => undefined);
    await Promise.allSettled([metrics.close(), events.close()]);
    await engine.dispose();
    log(`the run failed in step ${failure.step}; its last complete checkpoint is kept (steps done: ${stepsDone})`);
    throw failure;
  }
  const reason = stop.requested() ? 'signal' : guard.stop ? 'non-finite' : 'completed';
  await events.append({ type: 'run-end', step: stepsDone, reason, detail: `${stepsRun} step(s) this session` });
  await Promise.all([metrics.close(), events.close()]);
  const rows = await readMetricsJsonl(runPaths(dir).metricsJsonl);
  if (E.isLeft(rows)) throw rows.left;
  const seconds = (performance.now() - began) / 1000;
  log(formatSummaryTable(summarizeMetrics(rows.right.items), seconds));
  const device = engine.info.device;
  await engine.dispose();
  return { stepsDone, reason, exitCode: stop.exitCode() ?? (reason === 'non-finite' ? 1 : 0), backend: device, seconds, finalEvaluation };
};
