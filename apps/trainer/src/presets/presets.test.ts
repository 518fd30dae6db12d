import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { PRESET_NAMES, TASK_STCR_BASE, parseConfigText, resolveConfig, type PresetName, type TrainConfig } from '../config/index.js';
import { PRESET_DIR, loadPresetSource } from './index.js';

const preset = (name: PresetName, sets: readonly string[] = []): TrainConfig => {
  const result = resolveConfig({ preset: name, sets });
  if (E.isLeft(result)) throw new Error(`${name}: ${result.left.message}`);
  return result.right;
};

/** STCR multiplier for a wrong answer Δ tokens longer than the mean right one (docs/algorithms.md §7). */
const stcrMultiplier = (base: number, delta: number): number => (delta > 0 ? 1 + (1 - base ** -delta) : 1);

describe('presets', () => {
  it('has one YAML file per preset name and nothing else', async () => {
    const files = (await readdir(PRESET_DIR)).filter((f) => f.endsWith('.yaml')).sort();
    expect(files).toEqual(PRESET_NAMES.map((name) => `${name}.yaml`).sort());
  });

  it('decodes every preset, records its name and keeps the demo sizes', () => {
    for (const name of PRESET_NAMES) {
      const config = preset(name);
      expect(config.preset).toBe(name);
      expect(config.algorithm.name).toBe(name);
      expect(config.rollout).toMatchObject({ promptsPerStep: 8, groupSize: 8, maxNewTokens: 32 });
    }
  });

  it('sets only keys that exist (every preset file decodes on its own, merged over the defaults)', () => {
    for (const name of PRESET_NAMES) {
      const source = loadPresetSource(name);
      expect(E.isRight(source) && E.isRight(parseConfigText(source.right))).toBe(true);
    }
  });

  it('follows the algorithms it names', () => {
    const grpo = preset('grpo');
    expect(grpo.kl).toEqual({ coef: 1e-3, estimator: 'k3', lossAgg: 'token-mean' });
    expect(grpo.algorithm).toMatchObject({ advantage: 'grpo', policyLoss: 'ppo', lossAgg: 'token-mean' });

    expect(preset('drgrpo').algorithm).toMatchObject({ advantage: 'drgrpo', lossAgg: 'seq-mean-token-sum-norm', normConstant: 'max-new-tokens' });

    const dapo = preset('dapo');
    expect(dapo.clip).toMatchObject({ mode: 'fixed', epsLow: 0.2, epsHigh: 0.28 });
    expect(dapo.curriculum).toMatchObject({ gate: true, tau: 0.5, nMax: null, kMin: 1, kMax: 1 });
    expect(dapo.reward.overlong).toEqual({ enabled: true, maxLen: 32, bufferLen: 6, penaltyFactor: 1 });
    expect(dapo.kl.coef).toBe(0);
    expect(dapo.algorithm.lossAgg).toBe('token-mean');

    expect(preset('ppo').clip).toMatchObject({ mode: 'fixed', epsLow: 0.2, epsHigh: 0.2 });

    const gspo = preset('gspo');
    expect(gspo.clip).toMatchObject({ epsLow: 3e-4, epsHigh: 4e-4 });
    expect(gspo.algorithm).toMatchObject({ policyLoss: 'gspo', lossAgg: 'seq-mean-token-mean' });

    expect(preset('cispo').clip).toMatchObject({ epsLow: 0, epsHigh: 4 });
    expect(preset('cispo').algorithm.policyLoss).toBe('cispo');

    const papo = preset('papo');
    expect(papo.papo).toEqual({ enabled: true, gamma: 0.01, eta: 0.03, maskProb: 0.6, lossAgg: 'token-mean' });
    expect({ ...papo, preset: 'dapo', algorithm: { ...papo.algorithm, name: 'dapo' }, papo: dapo.papo }).toEqual(dapo);

    const apo = preset('apo');
    expect(apo.apo).toEqual({ dads: true, stcr: true, stcrBase: TASK_STCR_BASE });
    expect(apo.kl).toEqual({ ...grpo.kl, lossAgg: 'seq-mean-token-mean' });

    const acpo = preset('acpo');
    expect(acpo.clip).toMatchObject({ mode: 'aaac', epsLow0: 0.2, epsHigh0: 0.28, deltaLow: 0.5, deltaHigh: 0.12, kappa: 1 });
    expect(acpo.curriculum).toMatchObject({ gate: true, tau: 0.5, nMax: null, schedule: 'linear', kMin: 1, kMax: 3 });
    expect(acpo.kl.coef).toBe(0);

    const both = preset('acpo-apo');
    expect(both.clip).toEqual(acpo.clip);
    expect(both.curriculum).toEqual(acpo.curriculum);
    expect(both.apo).toEqual(apo.apo);
    expect(both.kl).toEqual(apo.kl);
  });

  it('aggregates a DADS-weighted KL term seq-mean-token-mean, as the configuration says', () => {
    for (const name of PRESET_NAMES) {
      const config = preset(name);
      if (config.apo.dads) expect([name, config.kl.lossAgg]).toEqual([name, 'seq-mean-token-mean']);
    }
    expect(PRESET_NAMES.filter((name) => preset(name).apo.dads)).toEqual(['apo', 'acpo-apo']);
  });

  it('states the entropy bonus (off in every preset) and the sections that define the algorithm', () => {
    for (const name of PRESET_NAMES) {
      expect(preset(name).entropy).toEqual({ coef: 0, lossAgg: 'token-mean' });
      const source = loadPresetSource(name);
      if (E.isLeft(source)) throw source.left;
      const parsed = parseConfigText(source.right);
      if (E.isLeft(parsed)) throw parsed.left;
      expect(Object.keys(parsed.right)).toEqual(expect.arrayContaining(['algorithm', 'clip', 'kl', 'curriculum', 'apo', 'papo', 'entropy', 'reward']));
    }
  });

  it('uses an STCR base that gives a multiplier near 1.5 at 10 extra tokens', () => {
    expect(stcrMultiplier(TASK_STCR_BASE, 10)).toBeCloseTo(1.5, 3);
    expect(stcrMultiplier(1.00001, 10)).toBeLessThan(1.0002);
    expect(stcrMultiplier(TASK_STCR_BASE, 32)).toBeLessThan(2);
  });

  it('can be overridden', () => {
    expect(preset('dapo', ['clip.epsHigh=0.3', 'curriculum.gate=false'])).toMatchObject({ clip: { epsHigh: 0.3 }, curriculum: { gate: false } });
  });

  it('each has a section in docs/presets.md', async () => {
    const doc = await readFile(fileURLToPath(new URL('../../../../docs/presets.md', import.meta.url)), 'utf8');
    for (const name of PRESET_NAMES) expect(doc).toContain(`## \`${name}\``);
  });
});
