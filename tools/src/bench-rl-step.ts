/**
 * The RL-step benchmark (`rlflow bench --workload rl-step`), the workload of issue 10 and of
 * `tools/torch_rl_step.py`, through the engine contract so any registered engine runs it:
 *
 *   rollout      16 prompts × G = 8 (`sample` with samplesPerPrompt G), 16 image + 48 prompt
 *                tokens, exactly 32 new tokens per row (temperature 1, no early stop)
 *   train step   one PPO-clip update over the 128 sequences: w = ∂ppo/∂logp (token-mean,
 *                ε = 0.2 / 0.28) → `forwardBackward` → `optimStep` (AdamW, clip 1.0)
 *   RL step      rollout + train step, the quantity `rl_step_s` of the PyTorch script
 *
 * The update's current log-probs are the rollout's: `sample` returns log π at temperature 1 at
 * the parameters the update is taken at (the contract suite checks they equal teacher-forced
 * ones), so like the PyTorch step the update is one forward + backward. The old log-probs are
 * those minus 0.01 (as the PyTorch script, so ratio ≠ 1 and some tokens clip); advantages are one
 * standard normal per row, seeded. The trainer scores a rollout with an extra `forward`; its
 * seconds are reported apart (`scoreForwardSeconds`).
 *
 *   generationTokensPerSecond   rows × 32 / rollout seconds
 *   trainTokensPerSecond        rows × (16 + 48 + 32) / train-step seconds (tokens in the batch)
 *   tokens computed             what `forwardBackward` says it computed, vs rows × 96
 *   peak share                  model GFLOP/s (flops.ts, the full batch as if computed plainly,
 *                               fwd + bwd = 3× fwd) / the engine's own large-matmul GFLOP/s
 *
 * Each figure is the median of `repeats` timed RL steps after one untimed (min and max beside it).
 */
import * as tf from '@tensorflow/tfjs-core';
import { matrix, Rng, writeFileAtomic, type Matrix } from '@rlflow/core';
import { policyLosses } from '@rlflow/clipping';
import { FULL_VIEW, type Engine, type EngineFactory, type PromptInput, type SequenceInput } from '@rlflow/engine';
import { ACTIVE_DEVICE, defaultPolicyConfig, geometry, initBackend, trainingFlopsPerSequence, type BackendChoice, type PolicyConfig } from '@rlflow/policy';
import { matmulSamples } from './bench-model.js';
import { orThrow, spread, timed, type Spread } from './bench-timing.js';

export type { Spread } from './bench-timing.js';

export interface RlStepWorkload {
  readonly prompts: number;
  readonly groupSize: number;
  readonly promptTokens: number;
  readonly newTokens: number;
}

/** The workload of issue 10 at the default model size. */
export const RL_STEP_WORKLOAD: RlStepWorkload = { prompts: 16, groupSize: 8, promptTokens: 48, newTokens: 32 };

export interface RlStepBenchOptions {
  readonly engineName: string;
  readonly factory: EngineFactory;
  /** Engine-specific placement, passed to the factory. */
  readonly device?: string;
  readonly policyConfig?: PolicyConfig;
  readonly workload?: RlStepWorkload;
  /** Timed RL steps after the untimed first one (default 3). */
  readonly repeats?: number;
  /** The engine's own large-matmul GFLOP/s (its compute peak), measured by the caller on the same backend. */
  readonly matmulGflops: () => Promise<number>;
  /** Live resources outside any engine (e.g. tf.memory().numTensors), before and after the run. */
  readonly processResources?: () => number;
  readonly json?: string;
  readonly log?: (line: string) => void;
}

export interface RlStepBenchResult {
  readonly engine: string;
  readonly device: string;
  readonly workload: RlStepWorkload;
  readonly rows: number;
  readonly repeats: number;
  readonly rlStepSeconds: number;
  readonly rlStepSecondsRange: Spread;
  readonly generationSeconds: Spread;
  readonly trainSeconds: Spread;
  readonly scoreForwardSeconds: Spread;
  readonly generationTokensPerSecond: number;
  readonly trainTokensPerSecond: number;
  readonly trainGflops: number;
  readonly matmulGflops: number;
  /** trainGflops / matmulGflops. */
  readonly trainShareOfMatmulPeak: number;
  readonly tokensInBatch: number;
  readonly tokensComputed: number;
  readonly generatedTokens: number;
  readonly peakRssMb: number;
  /** The engine's `liveResources()` after the first and after the last RL step. */
  readonly engineResources: { readonly before: number; readonly after: number };
  /** `processResources()` before the engine is created and after it is disposed. */
  readonly tensors: { readonly before: number; readonly after: number };
}

const ok = orThrow('bench rl-step');

/** The workload's prompts (seeded): random images, prompt tokens drawn from the generatable ids. */
export const rlStepPrompts = (config: PolicyConfig, workload: RlStepWorkload, seed = 1): PromptInput[] => {
  const rng = Rng.fromSeed(seed);
  return Array.from({ length: workload.prompts }, () => ({
    image: Float32Array.from({ length: config.imageSize * config.imageSize * 3 }, () => rng.next()),
    promptTokens: Array.from({ length: workload.promptTokens }, () => 7 + rng.int(config.vocabSize - 7)),
  }));
};

interface StepTimes {
  readonly generation: number;
  readonly train: number;
  readonly scoreForward: number;
  readonly tokensComputed: number;
  readonly generatedTokens: number;
}

const rlStep = async (engine: Engine, prompts: readonly PromptInput[], workload: RlStepWorkload, seed: number): Promise<StepTimes> => {
  const width = workload.newTokens;
  const sampling = { temperature: 1, topP: 1, topK: 0, maxNewTokens: width, stopAtEos: false };
  const rollout = await timed(async () => ok(await engine.sample({ prompts, samplesPerPrompt: workload.groupSize, sampling, seed })));
  const samples = rollout.value;
  const sequences: SequenceInput[] = samples.tokens.map((responseTokens, row) => ({ ...prompts[Math.floor(row / workload.groupSize)]!, responseTokens }));
  const rows = sequences.length;
  const rng = Rng.fromSeed(seed + 1);
  const rowAdvantage = Array.from({ length: rows }, () => rng.normal());
  const advantages = matrix(rows, width, Float64Array.from({ length: rows * width }, (_, i) => rowAdvantage[Math.floor(i / width)]!));
  const oldLogp: Matrix = matrix(rows, width, samples.logprobs.data.map((x, i) => (samples.mask.data[i] === 1 ? x - 0.01 : 0)));
  const train = await timed(async () => {
    const loss = ok(policyLosses.ppo.plain({ epsLow: 0.2, epsHigh: 0.28 })({ logp: samples.logprobs, oldLogp, advantages, mask: samples.mask }));
    const fb = ok(await engine.forwardBackward({ sequences, responseWidth: width, terms: [{ view: FULL_VIEW, logpWeights: loss.gradLogp }] }));
    ok(
      await engine.optimStep({ learningRate: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 }),
    );
    return fb.tokens;
  });
  const score = await timed(async () => ok(await engine.forward({ sequences, responseWidth: width })));
  return {
    generation: rollout.seconds,
    train: train.seconds,
    scoreForward: score.seconds,
    tokensComputed: train.value,
    generatedTokens: samples.lengths.reduce((a, b) => a + b, 0),
  };
};

export const runRlStepBench = async (options: RlStepBenchOptions): Promise<RlStepBenchResult> => {
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const config = options.policyConfig ?? defaultPolicyConfig;
  const workload = options.workload ?? RL_STEP_WORKLOAD;
  const repeats = options.repeats ?? 3;
  const resources = options.processResources ?? (() => 0);
  const tensorsBefore = resources();
  const prompts = rlStepPrompts(config, workload);
  const engine = ok(await options.factory({ init: { kind: 'seed', seed: 0 }, model: config, reference: false, tokenBudget: 0, ...(options.device === undefined ? {} : { device: options.device }) }));
  const steps: StepTimes[] = [];
  let engineResources: { before: number; after: number };
  let device: string;
  try {
    device = engine.info.device;
    await rlStep(engine, prompts, workload, 100);
    const afterFirst = engine.liveResources();
    for (let i = 0; i < repeats; i++) steps.push(await rlStep(engine, prompts, workload, 101 + i));
    engineResources = { before: afterFirst, after: engine.liveResources() };
  } finally {
    await engine.dispose();
  }
  const matmulGflops = await options.matmulGflops();
  const rows = workload.prompts * workload.groupSize;
  const columns = geometry(config).imageTokens + workload.promptTokens + workload.newTokens;
  const generation = spread(steps.map((s) => s.generation));
  const train = spread(steps.map((s) => s.train));
  const rl = spread(steps.map((s) => s.generation + s.train));
  const shape = { promptWidth: workload.promptTokens, responseWidth: workload.newTokens };
  const trainGflops = (rows * trainingFlopsPerSequence(config, shape)) / train.median / 1e9;
  const result: RlStepBenchResult = {
    engine: options.engineName,
    device,
    workload,
    rows,
    repeats,
    rlStepSeconds: rl.median,
    rlStepSecondsRange: rl,
    generationSeconds: generation,
    trainSeconds: train,
    scoreForwardSeconds: spread(steps.map((s) => s.scoreForward)),
    generationTokensPerSecond: (rows * workload.newTokens) / generation.median,
    trainTokensPerSecond: (rows * columns) / train.median,
    trainGflops,
    matmulGflops,
    trainShareOfMatmulPeak: trainGflops / matmulGflops,
    tokensInBatch: rows * columns,
    tokensComputed: steps[0]!.tokensComputed,
    generatedTokens: steps[0]!.generatedTokens,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    engineResources,
    tensors: { before: tensorsBefore, after: resources() },
  };
  const fmt = (s: Spread, digits = 2): string => `${s.median.toFixed(digits)} s (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
  log(`rl-step on ${result.engine} (${result.device}), ${rows} rows = ${workload.prompts} prompts × G ${workload.groupSize}, ${columns} columns, ${repeats} timed steps:`);
  log(`  RL step ${fmt(rl)}; generation ${fmt(generation)} = ${result.generationTokensPerSecond.toFixed(0)} tokens/s; train step ${fmt(train)} = ${result.trainTokensPerSecond.toFixed(0)} tokens/s`);
  log(
    `  train ${trainGflops.toFixed(1)} GFLOP/s of model work = ${(100 * result.trainShareOfMatmulPeak).toFixed(1)}% of the engine's ${matmulGflops.toFixed(1)} GFLOP/s matmul; ` +
      `tokens computed ${result.tokensComputed} of ${result.tokensInBatch} in the batch; score forward ${fmt(result.scoreForwardSeconds)}`,
  );
  log(`  peak RSS ${result.peakRssMb.toFixed(0)} MB; engine resources ${engineResources.before} → ${engineResources.after}; tensors ${result.tensors.before} → ${result.tensors.after}`);
  if (options.json !== undefined) await writeFileAtomic(options.json, `${JSON.stringify(result, null, 2)}\n`);
  return result;
};

/**
 * The TensorFlow.js side of the bench: activates `backend` (the engine then keeps it, device
 * `active`), its peak (the median of 5 timed 1024³ float32 products on it) and
 * tf.memory().numTensors as the resource count.
 */
export const tfjsMeasures = async (
  backend: BackendChoice,
  log: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
): Promise<Pick<RlStepBenchOptions, 'device' | 'matmulGflops' | 'processResources'>> => {
  const info = await initBackend(backend);
  log(`backend: ${info.reason}`);
  return {
    device: ACTIVE_DEVICE,
    matmulGflops: async () => spread(await matmulSamples(1024)).median,
    processResources: () => tf.memory().numTensors,
  };
};

/** The onnx engine's compute peak: onnxruntime's 1024³ matmul on the CPU execution provider (loaded only for that engine). */
export const onnxMatmulGflops = async (): Promise<number> => spread(await (await import('@rlflow/onnx')).onnxMatmulSamples(1024)).median;
