/**
 * The parameters of the policy model: names, shapes and a deterministic initialisation from a
 * seed through the core `Rng` (no tfjs global random state). Weight matrices and embeddings are
 * N(0, σ²) with σ = `initStd`; the patch embedding uses σ = 1/√patchDim so pixel inputs in
 * [0, 1] give unit-scale features; the projections that write into the residual stream
 * (attention output, MLP down) use σ/√(2·layers) (GPT-2, Radford et al. 2019 §2.3); biases are 0
 * and norm gains 1. Weight decay applies to matrices (rank ≥ 2) only.
 */
import { Rng } from '@rlflow/core';
import { geometry, type PolicyConfig } from './config.js';

export type ParamInit = { readonly kind: 'normal'; readonly std: number } | { readonly kind: 'zeros' } | { readonly kind: 'ones' };

export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: ParamInit;
}

export const decays = (spec: ParamSpec): boolean => spec.shape.length >= 2;

export const paramSize = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

const blockSpecs = (prefix: string, config: PolicyConfig, layers: number): ParamSpec[] => {
  const d = config.dModel;
  const m = geometry(config).mlpDim;
  const residualStd = config.initStd / Math.sqrt(2 * Math.max(layers, 1));
  const normal = (std: number): ParamInit => ({ kind: 'normal', std });
  return Array.from({ length: layers }, (_, i) => {
    const p = `${prefix}.${i}`;
    return [
      { name: `${p}.norm1`, shape: [d], init: { kind: 'ones' } },
      { name: `${p}.attn.qkv.w`, shape: [d, 3 * d], init: normal(config.initStd) },
      { name: `${p}.attn.qkv.b`, shape: [3 * d], init: { kind: 'zeros' } },
      { name: `${p}.attn.out.w`, shape: [d, d], init: normal(residualStd) },
      { name: `${p}.attn.out.b`, shape: [d], init: { kind: 'zeros' } },
      { name: `${p}.norm2`, shape: [d], init: { kind: 'ones' } },
      { name: `${p}.mlp.up.w`, shape: [d, m], init: normal(config.initStd) },
      { name: `${p}.mlp.up.b`, shape: [m], init: { kind: 'zeros' } },
      { name: `${p}.mlp.down.w`, shape: [m, d], init: normal(residualStd) },
      { name: `${p}.mlp.down.b`, shape: [d], init: { kind: 'zeros' } },
    ] satisfies ParamSpec[];
  }).flat();
};

/** Every parameter, in a fixed order (the order of initialisation, checkpoints and hashes). */
export const paramSpecs = (config: PolicyConfig): ParamSpec[] => {
  const g = geometry(config);
  const d = config.dModel;
  const std = config.initStd;
  return [
    { name: 'embed.tokens', shape: [config.vocabSize, d], init: { kind: 'normal', std } },
    { name: 'embed.positions', shape: [g.maxPositions, d], init: { kind: 'normal', std } },
    { name: 'image.patch.w', shape: [g.patchDim, d], init: { kind: 'normal', std: 1 / Math.sqrt(g.patchDim) } },
    { name: 'image.patch.b', shape: [d], init: { kind: 'zeros' } },
    { name: 'image.positions', shape: [g.imageTokens, d], init: { kind: 'normal', std } },
    ...blockSpecs('encoder', config, config.encoderLayers),
    { name: 'encoder.norm', shape: [d], init: { kind: 'ones' } },
    { name: 'image.proj.w', shape: [d, d], init: { kind: 'normal', std } },
    { name: 'image.proj.b', shape: [d], init: { kind: 'zeros' } },
    ...blockSpecs('decoder', config, config.decoderLayers),
    { name: 'decoder.norm', shape: [d], init: { kind: 'ones' } },
    { name: 'head.w', shape: [d, config.vocabSize], init: { kind: 'normal', std } },
  ];
};

export const parameterCount = (config: PolicyConfig): number => paramSpecs(config).reduce((n, spec) => n + paramSize(spec.shape), 0);

/** Initial values of every parameter, drawn in spec order from one `Rng` seeded with `seed`. */
export const initialWeights = (config: PolicyConfig, seed: number): Map<string, Float32Array> => {
  const rng = Rng.fromSeed(seed);
  const weights = new Map<string, Float32Array>();
  for (const spec of paramSpecs(config)) {
    const values = new Float32Array(paramSize(spec.shape));
    if (spec.init.kind === 'ones') values.fill(1);
    else if (spec.init.kind === 'normal') for (let i = 0; i < values.length; i++) values[i] = rng.normal() * spec.init.std;
    weights.set(spec.name, values);
  }
  return weights;
};
