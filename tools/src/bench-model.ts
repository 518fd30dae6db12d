/**
 * The engine benchmark (`rlflow bench`): for the default model on the chosen backend, in one run,
 *
 *   generation tokens/s   with and without the KV cache, B = 16 prompts × G = 8 = 128 rows,
 *                         32 new tokens (the same seed, so both decode the same tokens)
 *   training tokens/s     one training step over the same 128 rows (prompt 40 + response 32 + 16
 *                         image columns each), median of the timed steps: rows × columns / seconds
 *   achieved GFLOP/s      of that step: 128 × (forwardFlopsPerSequence + trainingFlopsPerSequence)
 *                         / seconds (flops.ts counts the matrix products; forward + backward =
 *                         3 × forward)
 *
 * The training step is the engine contract's, as the trainer's update takes it
 * (libs/engine/src/update/run.ts): `forward` for the current log-probs, w = ∂L/∂logp of the ppo
 * loss (against the log-probs of the first, untimed step, advantages ±1 per row), then
 * `forwardBackward` with w and an AdamW `optimStep`. That is one forward pass more than the
 * in-process step this bench timed before (forward-backward + AdamW), so a step's seconds are
 * larger and its tokens/s lower than those older figures; GFLOP/s counts the extra forward and
 * stays comparable.
 *   backend GFLOP/s       of a 1024 × 1024 × 1024 matmul, 2n³ / seconds: 5 timed products before
 *                         the model work and 5 after, the median of the 10 (so a slower or
 *                         faster spell of the machine weighs on both sides of the ratio)
 *   ratio                 achieved / backend
 *   peak RSS and the tensor count before and after.
 */
import * as tf from '@tensorflow/tfjs-core';
import { matrix, Rng, unwrap, writeFileAtomic, type Matrix } from '@rlflow/core';
import { orThrow, spread, timed } from './bench-timing.js';
import { policyLosses } from '@rlflow/clipping';
import { FULL_VIEW, learningRateAt, type AdamWParams, type Engine, type SequenceInput } from '@rlflow/engine';
import {
  ACTIVE_DEVICE,
  createPolicy,
  createTfjsEngine,
  defaultOptimizerConfig,
  defaultPolicyConfig,
  forwardFlopsPerSequence,
  geometry,
  initBackend,
  trainingFlopsPerSequence,
  type BackendChoice,
  type PolicyConfig,
  type PromptInput,
} from '@rlflow/policy';

export interface ModelBenchOptions {
  readonly backend?: BackendChoice;
  readonly json?: string;
  readonly prompts?: number;
  readonly groupSize?: number;
  readonly newTokens?: number;
  readonly trainSteps?: number;
  /** The model measured (default: the default model of docs/architecture.md). */
  readonly policyConfig?: PolicyConfig;
  /** Side of the square matmul (default 1024). */
  readonly matmulSize?: number;
  readonly log?: (line: string) => void;
}

export interface ModelBenchResult {
  readonly backend: string;
  readonly backendReason: string;
  readonly threads: number;
  readonly rows: number;
  readonly newTokens: number;
  readonly generation: { readonly cachedTokensPerSecond: number; readonly uncachedTokensPerSecond: number; readonly speedup: number; readonly sameTokens: boolean };
  readonly training: { readonly tokensPerSecond: number; readonly stepSeconds: number; readonly gflops: number };
  readonly matmulGflops: number;
  /** The matmul's median GFLOP/s before and after the model work. */
  readonly matmulGflopsBeforeAfter: readonly [number, number];
  readonly trainingToMatmul: number;
  readonly peakRssMb: number;
  readonly tensors: { readonly before: number; readonly after: number };
}

const ok = orThrow('bench');

/** The default optimizer's AdamW parameters for the engine's next step. */
const adamW = (engine: Engine): AdamWParams => ({
  learningRate: learningRateAt(defaultOptimizerConfig, engine.steps()),
  beta1: defaultOptimizerConfig.beta1,
  beta2: defaultOptimizerConfig.beta2,
  eps: defaultOptimizerConfig.epsilon,
  weightDecay: defaultOptimizerConfig.weightDecay,
  maxGradNorm: defaultOptimizerConfig.maxGradNorm,
});

/**
 * One training step through the engine contract: forward, w = ∂ppo/∂logp against `oldLogp`
 * (the current log-probs when absent: the on-policy first update), forward-backward, AdamW.
 * Returns the log-probs the step's forward saw.
 */
const trainingStep = async (engine: Engine, sequences: readonly SequenceInput[], width: number, advantages: Matrix, oldLogp?: Matrix): Promise<Matrix> => {
  const { logp, mask } = ok(await engine.forward({ sequences, responseWidth: width }));
  const loss = ok(policyLosses.ppo.plain({ epsLow: 0.2, epsHigh: 0.28 })({ logp, oldLogp: oldLogp ?? logp, advantages, mask }));
  ok(await engine.forwardBackward({ sequences, responseWidth: width, terms: [{ view: FULL_VIEW, logpWeights: loss.gradLogp }] }));
  ok(await engine.optimStep(adamW(engine)));
  return logp;
};

/** GFLOP/s of each of `repeats` timed n × n × n float32 products (after one untimed), each read back asynchronously. */
export const matmulSamples = async (n: number, repeats = 5): Promise<number[]> => {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  const once = async (): Promise<void> => {
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push((await timed(once)).seconds);
  a.dispose();
  b.dispose();
  return times.map((t) => (2 * n ** 3) / t / 1e9);
};

export const runModelBench = async (options: ModelBenchOptions = {}): Promise<ModelBenchResult> => {
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const backend = await initBackend(options.backend ?? 'auto');
  log(`backend: ${backend.reason}`);
  const tensorsBefore = tf.memory().numTensors;
  const matmulSize = options.matmulSize ?? 1024;
  const matmulBefore = await matmulSamples(matmulSize);
  const config = options.policyConfig ?? defaultPolicyConfig;
  const rows = (options.prompts ?? 16) * (options.groupSize ?? 8);
  const newTokens = Math.min(options.newTokens ?? 32, config.maxResponseTokens);
  const promptWidth = Math.min(40, config.maxPromptTokens);
  const rng = Rng.fromSeed(1);
  const prompts: PromptInput[] = Array.from({ length: options.prompts ?? 16 }, () => ({
    image: Float32Array.from({ length: config.imageSize * config.imageSize * 3 }, () => rng.next()),
    promptTokens: Array.from({ length: promptWidth }, () => 7 + rng.int(config.vocabSize - 7)),
  })).flatMap((p) => Array.from({ length: options.groupSize ?? 8 }, () => p));
  const policy = createPolicy(config, 1);
  // Both runs use the same seed, so they decode the same tokens; tokens/s counts the tokens generated.
  const sampling = { temperature: 1, topP: 1, topK: 0, maxNewTokens: newTokens };

  // Logits are read back asynchronously, the only way the webgpu backend can.
  unwrap(await policy.generateAsync(prompts.slice(0, 8), { ...sampling, maxNewTokens: 2 }, 0));
  let cached = unwrap(await policy.generateAsync(prompts, sampling, 3));
  const cachedSeconds = (await timed(async () => void (cached = unwrap(await policy.generateAsync(prompts, sampling, 3))))).seconds;
  let uncached = cached;
  const uncachedSeconds = (await timed(async () => void (uncached = unwrap(await policy.generateAsync(prompts, sampling, 3, { useCache: false }))))).seconds;
  const generatedTokens = cached.lengths.reduce((a, b) => a + b, 0);
  const sameTokens = JSON.stringify(uncached.tokens) === JSON.stringify(cached.tokens);
  log(`generation (${rows} rows × ≤${newTokens} tokens): ${(generatedTokens / cachedSeconds).toFixed(0)} tokens/s with the KV cache, ${(generatedTokens / uncachedSeconds).toFixed(0)} without`);
  policy.dispose();

  const engine = ok(await createTfjsEngine({ init: { kind: 'seed', seed: 1 }, model: config, reference: false, tokenBudget: 0, device: ACTIVE_DEVICE }));
  let stepSeconds: number;
  let trainGflops: number;
  const columns = geometry(config).imageTokens + promptWidth + newTokens;
  try {
    const sequences: SequenceInput[] = prompts.map((p, i) => ({
      ...p,
      responseTokens: cached.tokens[i]!.length === newTokens ? cached.tokens[i]! : [...cached.tokens[i]!, ...new Array<number>(newTokens - cached.tokens[i]!.length).fill(8)],
    }));
    const advantages = matrix(rows, newTokens, Float64Array.from({ length: rows * newTokens }, (_, i) => (Math.floor(i / newTokens) % 2 === 0 ? 1 : -1)));
    const oldLogp = await trainingStep(engine, sequences, newTokens, advantages);
    const stepTimes: number[] = [];
    for (let i = 0; i < (options.trainSteps ?? 3); i++) stepTimes.push((await timed(() => trainingStep(engine, sequences, newTokens, advantages, oldLogp))).seconds);
    stepSeconds = spread(stepTimes).median;
    const shape = { promptWidth, responseWidth: newTokens };
    trainGflops = (rows * (forwardFlopsPerSequence(config, shape) + trainingFlopsPerSequence(config, shape))) / stepSeconds / 1e9;
    log(
      `training step: forward + forward-backward + AdamW (${rows} rows × ${columns} columns): ${stepSeconds.toFixed(2)} s, ` +
        `${((rows * columns) / stepSeconds).toFixed(0)} tokens/s, ${trainGflops.toFixed(2)} GFLOP/s achieved`,
    );
  } finally {
    await engine.dispose();
  }

  const matmulAfter = await matmulSamples(matmulSize);
  const matmul = spread([...matmulBefore, ...matmulAfter]).median;
  const beforeAfter = [spread(matmulBefore).median, spread(matmulAfter).median] as const;
  log(
    `backend ${backend.device}${backend.threads > 0 ? ` (${backend.threads} thread(s))` : ''}: ${matmulSize}³ matmul ${matmul.toFixed(2)} GFLOP/s ` +
      `(${beforeAfter[0].toFixed(1)} before, ${beforeAfter[1].toFixed(1)} after the model work); training reaches ${((100 * trainGflops) / matmul).toFixed(1)}% of it`,
  );
  const result: ModelBenchResult = {
    backend: backend.name,
    backendReason: backend.reason,
    threads: backend.threads,
    rows,
    newTokens,
    generation: {
      cachedTokensPerSecond: generatedTokens / cachedSeconds,
      uncachedTokensPerSecond: generatedTokens / uncachedSeconds,
      speedup: uncachedSeconds / cachedSeconds,
      sameTokens,
    },
    training: { tokensPerSecond: (rows * columns) / stepSeconds, stepSeconds, gflops: trainGflops },
    matmulGflops: matmul,
    matmulGflopsBeforeAfter: beforeAfter,
    trainingToMatmul: trainGflops / matmul,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    tensors: { before: tensorsBefore, after: tf.memory().numTensors },
  };
  log(`KV-cache speed-up ${result.generation.speedup.toFixed(1)}× (same tokens: ${sameTokens}); peak RSS ${result.peakRssMb.toFixed(0)} MB; tensors ${result.tensors.before} → ${result.tensors.after}`);
  if (options.json !== undefined) await writeFileAtomic(options.json, `${JSON.stringify(result, null, 2)}\n`);
  return result;
};
