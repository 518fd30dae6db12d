/**
 * The onnx engine: the built-in policy behind the engine contract (libs/engine contract.ts)
 * with its training passes on onnxruntime-node (CPU execution provider, MLAS):
 *
 *   forward           logp[b,t] (and H[b,t]) from the ONNX teacher-forced graph (policy-graph.ts),
 *                     under the policy's or the frozen reference's weights, full or masked image
 *   forwardBackward   G ← G + ∇θ Σ_terms [ Σ m·w·logp + Σ m·u·H ], the gradient an output of
 *                     the same graph differentiated in reverse mode (autodiff.ts)
 *   optimStep         global-norm clip and AdamW on G (libs/policy optimizer-state.ts, the
 *                     tfjs engine's optimizer: the same update, in the same order of operations)
 *   sample            KV-cached decoding on TensorFlow.js (libs/policy generate.ts) with the
 *                     same weights: the rollout and training engines apart, as verl runs vLLM
 *                     beside its trainer, sharing one copy of the weights instead of syncing two
 *   save / load       the tfjs engine's checkpoint format; each engine loads the other's
 *
 * It is the tfjs engine (TfjsEngine) with its teacher-forced passes replaced (ExternalPasses),
 * so validation, micro-batching, the optimizer, checkpoints and sampling are one implementation.
 */
import { availableParallelism } from 'node:os';
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from '@rlflow/core';
import type { Engine, EngineFactory } from '@rlflow/engine';
import { TfjsEngine } from '@rlflow/policy';
import { OrtTeacherForcedPasses } from './ort-passes.js';

export const ONNX_ENGINE = 'onnx';

export interface OnnxEngineOptions {
  /** onnxruntime's intra-op threads; default: `RLFLOW_ONNX_THREADS`, else the machine's core count. */
  readonly threads?: number;
  /** Responses of a group laid end to end in suffix rows (ort-passes.ts `packResponses`); default false. */
  readonly packResponses?: boolean;
  /** onnxruntime's CPU memory arena (faster, more memory); default: off when `RLFLOW_ONNX_MEMORY_ARENA=0`, else on. */
  readonly memoryArena?: boolean;
}

const defaultThreads = (): number => {
  const fromEnv = Number(process.env['RLFLOW_ONNX_THREADS']);
  return Number.isInteger(fromEnv) && fromEnv > 0 ? fromEnv : availableParallelism();
};

/** An onnx engine factory with `threads` intra-op threads. */
export const onnxEngineFactory =
  (engineOptions: OnnxEngineOptions = {}): EngineFactory =>
  async (options) => {
    const threads = engineOptions.threads ?? defaultThreads();
    if (!Number.isInteger(threads) || threads < 1) return E.left(new StageError('engine.onnx', 'threads', null, 'out-of-range', `is ${threads}, expected a positive integer`));
    const engine = await TfjsEngine.create(options, { engine: ONNX_ENGINE, passes: (config) => new OrtTeacherForcedPasses(config, { threads, packResponses: engineOptions.packResponses === true, memoryArena: engineOptions.memoryArena ?? process.env['RLFLOW_ONNX_MEMORY_ARENA'] !== '0' }) });
    return E.map((e: TfjsEngine): Engine => e)(engine);
  };

/** The engine registered as `onnx`. */
export const createOnnxEngine: EngineFactory = onnxEngineFactory();
