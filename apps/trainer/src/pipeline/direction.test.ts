/**
 * The update moves the policy the right way: after one optimizer step on a shaped batch, the
 * log-likelihood of every positive-advantage response rises and that of every negative one falls
 * (a sign error anywhere between rewards and the gradient fails this).
 */
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { matrix, unwrap, type Batch } from '@rlflow/core';
import { planUpdates, runUpdates, type SequenceInput } from '@rlflow/engine';
import { resolveConfig } from '../config/index.js';
import { loadEngineFactory } from '../engines.js';
import { optimizerSettings, updateSettings } from './objective.js';
import { shapeBatch } from './shape-batch.js';
import { testPolicyConfig } from './testing/tiny-run.js';

const sumLogp = (logp: { data: Float64Array; cols: number }, mask: Float64Array, row: number): number => {
  let s = 0;
  for (let c = 0; c < logp.cols; c++) s += logp.data[row * logp.cols + c]! * mask[row * logp.cols + c]!;
  return s;
};

describe('an update', () => {
  it.each(['grpo', 'acpo', 'gspo', 'cispo', 'apo'])('of %s raises positive responses and lowers negative ones', async (preset) => {
    const resolved = resolveConfig({ preset, sets: ['kl.coef=0', 'optimizer.lr=0.003', 'optimizer.warmupSteps=0', 'apo.dads=false'] });
    if (E.isLeft(resolved)) throw new Error(resolved.left.problems.join('; '));
    const config = resolved.right;
    const factory = await loadEngineFactory('tfjs');
    const engine = unwrap(await factory({ init: { kind: 'seed', seed: 3 }, model: testPolicyConfig, reference: false, tokenBudget: 0, device: 'cpu' }));
    const image = new Float32Array(32 * 32 * 3).fill(0.5);
    const responses = [[5, 6, 7], [8, 9], [5, 9, 6, 7], [10, 11, 12]];
    const sequences: SequenceInput[] = responses.map((responseTokens) => ({ image, promptTokens: [3, 4, 5], responseTokens }));
    const width = 4;
    const mask = matrix(4, width, Float64Array.from({ length: 4 * width }, (_, i) => (i % width < responses[Math.floor(i / width)]!.length ? 1 : 0)));
    const before = unwrap(await engine.forward({ sequences, responseWidth: width }));
    const batch: Batch = {
      groupIds: Int32Array.from([0, 0, 0, 0]),
      promptKeys: ['p', 'p', 'p', 'p'],
      rewards: Float64Array.from([1.5, 0.5, 1.5, 0]),
      correct: Uint8Array.from([1, 0, 1, 0]),
      lengths: Int32Array.from(responses, (r) => r.length),
      mask,
      oldLogp: matrix(4, width, before.logp.data.map((x, i) => x * mask.data[i]!)),
    };
    const shaped = unwrap(unwrap(shapeBatch(config))(batch));
    const settings = { ...unwrap(updateSettings(config, 0)), optimizer: { ...optimizerSettings(config), maxGradNorm: 0 } };
    const outcome = unwrap(await runUpdates(engine, settings, { sequences, batch: shaped }, planUpdates(4, 1, 1, 0)));
    expect(outcome.updates).toBe(1);
    const after = unwrap(await engine.forward({ sequences, responseWidth: width }));
    const change = [0, 1, 2, 3].map((r) => sumLogp(after.logp, mask.data, r) - sumLogp(before.logp, mask.data, r));
    shaped.advantages!.forEach((a, r) => expect(Math.sign(change[r]!), `row ${r}: advantage ${a}, Δlog-likelihood ${change[r]}`).toBe(Math.sign(a)));
    await engine.dispose();
  });
});
