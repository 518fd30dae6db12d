/**
 * Which presets a server's built-in loss trains exactly (docs/remote.md, "Built-in losses"), for
 * every preset of the registry: the decision of @rlflow/engine's `builtinLossPlan` on each
 * preset's resolved config.
 */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { unwrap } from '@rlflow/core';
import { builtinLossPlan, describeBuiltinLossRefusal, type BuiltinLossName, type BuiltinLossRefusal } from '@rlflow/engine';
import { tinyPolicyConfig } from '@rlflow/policy';
import { PRESET_NAMES, resolveConfig, type PresetName, type TrainConfig } from '../config/index.js';
import { loadEngineFactory } from '../engines.js';
import { builtinLossConfig, updateSettings } from './objective.js';

/** A built-in loss, or the first reason none reproduces the preset's objective. */
const EXPECTED: Readonly<Record<PresetName, BuiltinLossName | BuiltinLossRefusal['reason']>> = {
  grpo: 'kl-term',
  drgrpo: 'kl-term',
  dapo: 'ppo',
  ppo: 'ppo',
  gspo: 'policy-loss',
  cispo: 'cispo',
  papo: 'masked-view',
  apo: 'kl-term',
  acpo: 'per-token-bounds',
  'acpo-apo': 'per-token-bounds',
};

const preset = (name: PresetName, sets: readonly string[] = []): TrainConfig => {
  const result = resolveConfig({ preset: name, sets });
  if (E.isLeft(result)) throw new Error(`${name}: ${result.left.message}`);
  return result.right;
};

describe('built-in losses for the registered presets', () => {
  it.each(PRESET_NAMES)('%s', (name) => {
    const config = preset(name);
    const plan = builtinLossPlan(builtinLossConfig(config));
    expect(E.isRight(plan) ? plan.right.loss : plan.left.reason, E.isLeft(plan) ? describeBuiltinLossRefusal(plan.left) : '').toBe(EXPECTED[name]);
    if (E.isRight(plan)) {
      expect(plan.right.thresholds).toEqual({ clipLow: 1 - config.clip.epsLow, clipHigh: 1 + config.clip.epsHigh });
      expect(plan.right.lossAgg).toBe(config.algorithm.lossAgg);
    }
    // The update settings carry the decision (the update path uses it only with an engine that declares the loss).
    const settings = updateSettings(config, 1);
    expect(E.isRight(settings) && settings.right.builtinLoss).toEqual(plan);
  });

  it('a preset that can take one still takes the gradient path with a KL term or AAAC bounds set', () => {
    const withKl = preset('dapo', ['kl.coef=0.01']);
    expect(builtinLossPlan(builtinLossConfig(withKl))).toEqual(E.left({ reason: 'kl-term', coef: 0.01 }));
    const withAaac = preset('dapo', ['clip.mode=aaac']);
    expect(builtinLossPlan(builtinLossConfig(withAaac))).toEqual(E.left({ reason: 'per-token-bounds', mode: 'aaac' }));
  });

  it('the TensorFlow.js engine declares no built-in loss (local numerics take the gradient path)', async () => {
    const engine = unwrap(await (await loadEngineFactory('tfjs'))({ init: { kind: 'seed', seed: 1 }, model: tinyPolicyConfig, reference: false, tokenBudget: 0, device: 'cpu' }));
    try {
      expect(engine.capabilities.builtinLosses ?? []).toEqual([]);
      expect(engine.forwardBackwardBuiltin).toBeUndefined();
    } finally {
      await engine.dispose();
    }
  });
});
