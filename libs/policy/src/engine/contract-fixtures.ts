/** Test support: the tiny model's fixtures the TensorFlow.js engine's contract suites run on (every backend). */
import { Rng, unwrap } from '@rlflow/core';
import type { AdamWParams, SequenceInput } from '@rlflow/engine';
import type { EngineContractFixtures } from '@rlflow/engine/testing';
import { tinyPolicyConfig } from '../config.js';
import { EOS_ID, tokenizer } from '../tokenizer.js';

export const CONTRACT_WIDTH = 8;

const image = (seed: number): Float32Array => {
  const rng = Rng.fromSeed(seed);
  return Float32Array.from({ length: tinyPolicyConfig.imageSize * tinyPolicyConfig.imageSize * 3 }, () => rng.next());
};

export const contractPrompts = ['how many?', 'A:3 B:4', '2+5=', 'bigger?'].map((text, i) => ({ image: image(i + 1), promptTokens: unwrap(tokenizer.encode(text)) }));
export const contractResponses = [[20, 21, 22], [23, 24, 25, 26, EOS_ID], [27, 28, 29, 30, 31, 32, 33, EOS_ID], [34, EOS_ID]];
export const contractSequences: SequenceInput[] = contractPrompts.map((p, i) => ({ ...p, responseTokens: contractResponses[i]! }));
export const contractOptimizer: AdamWParams = { learningRate: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, maxGradNorm: 1 };

/** The contract suite's fixtures on the tiny model, computing on `device`. */
export const contractFixtures = (device: string): EngineContractFixtures => ({
  model: tinyPolicyConfig,
  device,
  prompts: contractPrompts,
  responses: contractResponses,
  responseWidth: CONTRACT_WIDTH,
  smallTokenBudget: 70,
  sampling: { temperature: 1, topP: 1, topK: 0, maxNewTokens: CONTRACT_WIDTH },
  optimizer: contractOptimizer,
});
