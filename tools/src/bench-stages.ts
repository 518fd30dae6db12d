/**
 * The stages benchmark (`rlflow bench stages`): throughput of the algorithm stages
 * grpo → aaac → ppo loss over one large rollout batch (default 8192 sequences × 128 tokens
 * = 1,048,576 token positions, groups of 8), in tokens per second, for
 *
 * - the plain-number form (float64): grpo advantages, broadcast to [B, T], AAAC bounds per token,
 *   the ppo value and metrics with its analytic ∂loss/∂logp;
 * - the tensor form (float32) on the tfjs wasm backend (cpu when wasm does not initialise):
 *   grpo (plain, one value per sequence) → [B, 1] advantages → `aaacTensor` → `ppoTensor`,
 *   timed forward only (value and metrics read back), and forward + backward
 *   (`tf.valueAndGrad`, ∂loss/∂logp read back).
 *
 * Token rate = B·T padded positions / median seconds of the timed runs. `logp`, `oldLogp` and
 * `mask` are tensors before timing starts, as they are when the policy produced them; the
 * tensor form's input checks (a read of each input) are inside the timing.
 *
 * Reference: docs/algorithms.md §1 (grpo), §4 (aaac), §5 (ppo); docs/architecture.md "Compute backends".
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { grpo } from '@rlflow/advantage';
import { aaac, ppo } from '@rlflow/clipping';
import { Rng, broadcastRows, unwrap, writeFileAtomic, type Matrix } from '@rlflow/core';
import { aaacTensor, lossAndGradient, ppoTensor, toTensor2D } from '@rlflow/policy/tensor';

export interface StagesBenchOptions {
  /** Write the figures to this JSON file as well. */
  readonly json?: string;
  /** B, default 8192. */
  readonly sequences?: number;
  /** T, the padded response length, default 128. */
  readonly tokens?: number;
  /** G, sequences per group, default 8. */
  readonly groupSize?: number;
  /** Timed runs per form (after one warm-up run), default 5; the median is reported. */
  readonly repeats?: number;
  readonly seed?: number;
  /** Tensor backend to try first, default wasm (falls back to cpu). */
  readonly backend?: 'wasm' | 'cpu';
  /** Where the table goes, default console.log. */
  readonly log?: (line: string) => void;
}

export interface StageFigure {
  readonly form: 'plain' | 'tensor';
  readonly backend: string;
  /** What one run computes. */
  readonly computes: string;
  readonly medianSeconds: number;
  readonly bestSeconds: number;
  readonly tokensPerSecond: number;
  /** The ppo loss the run produced (the forms agree to float32 precision). */
  readonly loss: number;
}

export interface StagesBenchResult {
  readonly stages: string;
  readonly sequences: number;
  readonly tokens: number;
  readonly groupSize: number;
  /** B·T, the padded token positions per run. */
  readonly tokenPositions: number;
  /** Σ mask, the valid response tokens per run. */
  readonly validTokens: number;
  readonly repeats: number;
  /** The tfjs backend the tensor form ran on. */
  readonly backend: string;
  readonly plain: StageFigure;
  readonly tensorForward: StageFigure;
  readonly tensorGradient: StageFigure;
}

interface SyntheticBatch {
  readonly rewards: Float64Array;
  readonly groupIds: Int32Array;
  readonly logp: Matrix;
  readonly oldLogp: Matrix;
  readonly mask: Matrix;
}

/** A rollout batch shaped like the real thing: 0/1 rewards per group, ragged lengths, nearby policies. */
export const syntheticBatch = (sequences: number, tokens: number, groupSize: number, seed: number): SyntheticBatch => {
  const rng = Rng.fromSeed(seed);
  const rewards = new Float64Array(sequences);
  const groupIds = new Int32Array(sequences);
  const n = sequences * tokens;
  const logp = new Float64Array(n);
  const oldLogp = new Float64Array(n);
  const mask = new Float64Array(n);
  let passRate = rng.next();
  for (let i = 0; i < sequences; i++) {
    if (i % groupSize === 0) passRate = rng.next();
    groupIds[i] = Math.floor(i / groupSize);
    rewards[i] = rng.bernoulli(passRate) ? 1 : 0;
    const length = rng.intBetween(Math.max(1, Math.floor(tokens / 4)), tokens);
    for (let t = 0; t < tokens; t++) {
      const k = i * tokens + t;
      oldLogp[k] = -Math.abs(rng.normal()) * 1.5;
      logp[k] = oldLogp[k]! + rng.normal() * 0.1;
      mask[k] = t < length ? 1 : 0;
    }
  }
  const m = (data: Float64Array): Matrix => ({ rows: sequences, cols: tokens, data });
  return { rewards, groupIds, logp: m(logp), oldLogp: m(oldLogp), mask: m(mask) };
};

/** Sets the tfjs backend: `preferred`, else cpu. Returns the one in use. */
export const selectBackend = async (preferred: 'wasm' | 'cpu'): Promise<string> => {
  const ok = await tf.setBackend(preferred).catch(() => false);
  if (!ok) await tf.setBackend('cpu');
  await tf.ready();
  return tf.getBackend();
};

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

/** Runs `once` 1 + repeats times and times the last `repeats`. */
const time = (repeats: number, once: () => number): { readonly seconds: number[]; readonly loss: number } => {
  let loss = once();
  const seconds: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const start = performance.now();
    loss = once();
    seconds.push((performance.now() - start) / 1000);
  }
  return { seconds, loss };
};

const figure = (form: StageFigure['form'], backend: string, computes: string, positions: number, run: { seconds: number[]; loss: number }): StageFigure => {
  const medianSeconds = median(run.seconds);
  return { form, backend, computes, medianSeconds, bestSeconds: Math.min(...run.seconds), tokensPerSecond: positions / medianSeconds, loss: run.loss };
};

const formatRate = (perSecond: number): string =>
  perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)} M` : perSecond >= 1e3 ? `${(perSecond / 1e3).toFixed(1)} k` : perSecond.toFixed(0);

const table = (result: StagesBenchResult): string[] => {
  const rows = [result.plain, result.tensorForward, result.tensorGradient];
  const header = ['form', 'backend', 'computes', 'median s', 'best s', 'tokens/s'];
  const cells = rows.map((f) => [f.form, f.backend, f.computes, f.medianSeconds.toFixed(4), f.bestSeconds.toFixed(4), formatRate(f.tokensPerSecond)]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c]!.length)));
  const line = (row: readonly string[]) => row.map((cell, c) => (c >= 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ');
  return [
    `stages bench: ${result.stages}`,
    `batch: ${result.sequences} sequences × ${result.tokens} tokens = ${result.tokenPositions} token positions (${result.validTokens} valid), groups of ${result.groupSize}; median of ${result.repeats} runs after 1 warm-up`,
    line(header),
    ...cells.map(line),
    `ppo loss: plain ${result.plain.loss.toPrecision(8)}, tensor ${result.tensorForward.loss.toPrecision(8)} (float32)`,
  ];
};

export const runStagesBench = async (options: StagesBenchOptions = {}): Promise<StagesBenchResult> => {
  const { sequences = 8192, tokens = 128, groupSize = 8, repeats = 5, seed = 1, backend: preferred = 'wasm', log = console.log } = options;
  for (const [name, value] of [['sequences', sequences], ['tokens', tokens], ['groupSize', groupSize], ['repeats', repeats]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`runStagesBench: ${name} must be a positive integer, got ${value}`);
  }
  const batch = syntheticBatch(sequences, tokens, groupSize, seed);
  const positions = sequences * tokens;
  const validTokens = batch.mask.data.reduce((s, m) => s + m, 0);
  const advantageOf = grpo({ eps: 1e-6 });
  const bounds = aaac();

  const plainRun = time(repeats, () => {
    const advantages = broadcastRows(unwrap(advantageOf({ rewards: batch.rewards, groupIds: batch.groupIds })), tokens);
    const clip = unwrap(bounds(advantages));
    return unwrap(ppo({ epsLow: clip.epsLow, epsHigh: clip.epsHigh })({ logp: batch.logp, oldLogp: batch.oldLogp, advantages, mask: batch.mask })).loss;
  });

  const backend = await selectBackend(preferred);
  const logp = toTensor2D(batch.logp);
  const oldLogp = toTensor2D(batch.oldLogp);
  const mask = toTensor2D(batch.mask);
  const tensorInputs = (): { advantages: tf.Tensor2D; epsLow: tf.Tensor; epsHigh: tf.Tensor } => {
    const perSequence = unwrap(advantageOf({ rewards: batch.rewards, groupIds: batch.groupIds }));
    const advantages = tf.tensor2d(Float32Array.from(perSequence), [sequences, 1]);
    const clip = unwrap(aaacTensor()(advantages));
    return { advantages, epsLow: clip.epsLow, epsHigh: clip.epsHigh };
  };
  try {
    const forwardRun = time(repeats, () => {
      const { advantages, epsLow, epsHigh } = tensorInputs();
      const out = unwrap(ppoTensor({ epsLow, epsHigh })({ logp, oldLogp, advantages, mask }));
      const loss = out.loss.dataSync()[0]!;
      out.clipFrac.dataSync();
      out.approxKl.dataSync();
      tf.dispose([advantages, epsLow, epsHigh, out.loss, out.clipFrac, out.approxKl, out.clipFracLower]);
      return loss;
    });
    const gradientRun = time(repeats, () => {
      const { advantages, epsLow, epsHigh } = tensorInputs();
      const evaluated = unwrap(lossAndGradient((lp) => ppoTensor({ epsLow, epsHigh })({ logp: lp, oldLogp, advantages, mask }))(logp));
      tf.dispose([advantages, epsLow, epsHigh]);
      return evaluated.values.loss;
    });
    const result: StagesBenchResult = {
      stages: 'grpo → aaac → ppo (token-mean)',
      sequences,
      tokens,
      groupSize,
      tokenPositions: positions,
      validTokens,
      repeats,
      backend,
      plain: figure('plain', 'js', 'value + metrics + analytic ∂loss/∂logp, float64', positions, plainRun),
      tensorForward: figure('tensor', backend, 'forward: value + metrics, float32', positions, forwardRun),
      tensorGradient: figure('tensor', backend, 'forward + backward: value + metrics + autodiff ∂loss/∂logp, float32', positions, gradientRun),
    };
    for (const line of table(result)) log(line);
    if (options.json !== undefined) await writeFileAtomic(options.json, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  } finally {
    tf.dispose([logp, oldLogp, mask]);
  }
};
