/**
 * The objective against TensorFlow.js autodiff (docs/algorithms.md §11): the same total loss built
 * from the tensor forms of @rlflow/policy/tensor (policy loss, `klLossTensor`, `papoTensor`, and
 * −coef·`aggregateTensorUnchecked` for the entropy bonus), differentiated by `tf.valueAndGrads`
 * with respect to logp (and maskedLogp, H when their terms are on), on the cpu backend. Inputs are
 * float32-exact, so both sides see the same numbers; the tensor side computes in float32, hence
 * the tolerance: each gradient entry within 1e-5 of the gradient's largest entry (relative to
 * its max-norm, floor 1e-7), the loss within 1e-5 relative (floor 1e-6). Every random config
 * and the objective of each rlflow preset are checked; the tensor count is unchanged.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { broadcastRows, unwrap } from '@rlflow/core';
import { aaac } from '@rlflow/clipping';
import { buildObjective, type ObjectiveConfig, type ObjectiveInput } from '@rlflow/engine';
import { awayFromKinks, objectiveCaseArb, objectiveInputArb } from '@rlflow/engine/testing';
import { objectiveTensor, toTensor2D } from './index.js';

beforeAll(async () => {
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
  await tf.ready();
});

interface TensorResult {
  readonly loss: number;
  readonly gradLogp: Float32Array;
  readonly gradMaskedLogp: Float32Array | null;
  readonly gradEntropy: Float32Array | null;
}

/** The total loss from the tensor forms and its autodiff gradients; every tensor made here is disposed. */
const tensorObjective = (config: ObjectiveConfig, input: ObjectiveInput): TensorResult => {
  const owned: tf.Tensor[] = [];
  const own = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return t;
  };
  const logp = own(toTensor2D(input.logp));
  const masked = config.papo === null ? null : own(toTensor2D(input.maskedLogp!));
  const entropy = config.entropy.coef === 0 ? null : own(toTensor2D(input.entropy!));
  const differentiated = [logp, ...(masked === null ? [] : [masked]), ...(entropy === null ? [] : [entropy])];
  try {
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
      const [x, ...rest] = xs as tf.Tensor2D[];
      const xMasked = masked === null ? null : rest.shift()!;
      const xEntropy = entropy === null ? null : rest.shift()!;
      return objectiveTensor(config, input)({ logp: x!, maskedLogp: xMasked, entropy: xEntropy });
    })(differentiated);
    const read = grads.map((g) => Float32Array.from(g.dataSync()));
    const loss = value.dataSync()[0]!;
    tf.dispose([value, ...grads]);
    return {
      loss,
      gradLogp: read[0]!,
      gradMaskedLogp: masked === null ? null : read[1]!,
      gradEntropy: entropy === null ? null : read[masked === null ? 1 : 2]!,
    };
  } finally {
    tf.dispose(owned);
  }
};

const assertGradientClose = (actual: ArrayLike<number>, expected: ArrayLike<number>, label: string): void => {
  let scale = 1e-7;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i]! - expected[i]!) <= 1e-5 * scale)) throw new Error(`${label}[${i}]: autodiff ${actual[i]} vs objective ${expected[i]} (scale ${scale})`);
  }
};

/** The objective and the tensor forms agree; the tensor side leaves no tensor behind. */
const compare = (config: ObjectiveConfig, input: ObjectiveInput): void => {
  const out = unwrap(unwrap(buildObjective(config))(input));
  const before = tf.memory().numTensors;
  const t = tensorObjective(config, input);
  expect(tf.memory().numTensors).toBe(before);
  if (!(Math.abs(t.loss - out.loss) <= Math.max(1e-6, 1e-5 * Math.abs(out.loss)))) throw new Error(`loss: autodiff ${t.loss} vs objective ${out.loss}`);
  assertGradientClose(t.gradLogp, out.gradLogp.data, 'gradLogp');
  if (out.gradMaskedLogp !== null) assertGradientClose(t.gradMaskedLogp!, out.gradMaskedLogp.data, 'gradMaskedLogp');
  if (out.gradEntropy !== null) assertGradientClose(t.gradEntropy!, out.gradEntropy.data, 'gradEntropy');
  expect(out.gradMaskedLogp === null).toBe(t.gradMaskedLogp === null);
  expect(out.gradEntropy === null).toBe(t.gradEntropy === null);
};

describe('objective vs TensorFlow.js autodiff through the tensor forms (float32, cpu backend)', () => {
  it('agrees on random configs (every policy loss, aggregation, KL estimator, sequence weights, PAPO, entropy bonus)', () => {
    fc.assert(
      fc.property(objectiveCaseArb(), (c) => {
        fc.pre(awayFromKinks(c, 1e-3));
        compare(c.config, c.input);
      }),
      { numRuns: 150, seed: 2024 },
    );
  });

  it('agrees on a batch with no valid token (loss 0, zero gradients)', () => {
    fc.assert(
      fc.property(objectiveCaseArb({}, { emptyMask: true }), ({ config, input }) => compare(config, input)),
      { numRuns: 20, seed: 2025 },
    );
  });
});

/**
 * The objective each rlflow preset configures (apps/trainer/presets/*.yaml at the time of writing;
 * padded-length C is T, max-new-tokens C is 32), with its clip bounds: fixed numbers, or AAAC's
 * per-token bounds from the per-sequence advantages (acpo, acpo-apo). apo and acpo-apo weight the
 * KL term by DADS with §6's seq-mean-token-mean.
 */
const PRESETS: ReadonlyArray<{
  readonly name: string;
  readonly config: (cols: number) => ObjectiveConfig;
  readonly bounds: { readonly epsLow: number; readonly epsHigh: number } | 'aaac';
}> = (() => {
  const noKl = { coef: 0, estimator: 'k3', lossAgg: 'token-mean', sequenceWeights: false } as const;
  const grpoKl = { coef: 1e-3, estimator: 'k3', lossAgg: 'token-mean', sequenceWeights: false } as const;
  const dadsKl = { coef: 1e-3, estimator: 'k3', lossAgg: 'seq-mean-token-mean', sequenceWeights: true } as const;
  const noBonus = { coef: 0, lossAgg: 'token-mean' } as const;
  const ppo = (cols: number, kl: ObjectiveConfig['kl']): ObjectiveConfig => ({
    policyLoss: 'ppo',
    lossAgg: 'token-mean',
    normConstant: cols,
    dualClipC: null,
    kl,
    papo: null,
    entropy: noBonus,
  });
  return [
    { name: 'grpo', config: (cols) => ppo(cols, grpoKl), bounds: { epsLow: 0.2, epsHigh: 0.2 } },
    { name: 'drgrpo', config: (cols) => ({ ...ppo(cols, grpoKl), lossAgg: 'seq-mean-token-sum-norm', normConstant: 32 }), bounds: { epsLow: 0.2, epsHigh: 0.2 } },
    { name: 'dapo', config: (cols) => ppo(cols, noKl), bounds: { epsLow: 0.2, epsHigh: 0.28 } },
    { name: 'ppo', config: (cols) => ppo(cols, noKl), bounds: { epsLow: 0.2, epsHigh: 0.2 } },
    { name: 'gspo', config: (cols) => ({ ...ppo(cols, noKl), policyLoss: 'gspo', lossAgg: 'seq-mean-token-mean' }), bounds: { epsLow: 3e-4, epsHigh: 4e-4 } },
    { name: 'cispo', config: (cols) => ({ ...ppo(cols, noKl), policyLoss: 'cispo' }), bounds: { epsLow: 0, epsHigh: 4 } },
    { name: 'papo', config: (cols) => ({ ...ppo(cols, noKl), papo: { gamma: 0.01, eta: 0.03, lossAgg: 'token-mean' } }), bounds: { epsLow: 0.2, epsHigh: 0.28 } },
    { name: 'apo', config: (cols) => ppo(cols, dadsKl), bounds: { epsLow: 0.2, epsHigh: 0.2 } },
    { name: 'acpo', config: (cols) => ppo(cols, noKl), bounds: 'aaac' },
    { name: 'acpo-apo', config: (cols) => ppo(cols, dadsKl), bounds: 'aaac' },
  ];
})();

describe('objective vs TensorFlow.js autodiff, the objective of every preset', () => {
  for (const preset of PRESETS) {
    it(`${preset.name}`, () => {
      fc.assert(
        fc.property(objectiveInputArb({ bounds: ['scalar'] }), (drawn) => {
          const config = preset.config(drawn.mask.cols);
          const bounds =
            preset.bounds === 'aaac' ? unwrap(aaac()(broadcastRows(drawn.advantages, drawn.mask.cols))) : { epsLow: preset.bounds.epsLow, epsHigh: preset.bounds.epsHigh };
          const input: ObjectiveInput = { ...drawn, ...bounds };
          fc.pre(awayFromKinks({ config, input }, 1e-3));
          compare(config, input);
        }),
        { numRuns: 25, seed: 2100 + PRESETS.indexOf(preset) },
      );
    });
  }
});
