/**
 * The demo's pieces that run without its budget: its configuration resolves to the documented
 * settings, and per-problem scores group the k answers of each problem (0/1 greedy, the fraction
 * correct when sampled) and select slices. The demo itself is run by `npm start`.
 */
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import type { SuiteEvaluation, SuiteItemResult } from '../evaluate/index.js';
import { demoConfig, problemScores } from './demo.js';

const item = (family: SuiteItemResult['family'], level: SuiteItemResult['level'], correct: boolean): SuiteItemResult => ({
  id: `${family}/${level}`,
  text: '',
  length: 1,
  correct,
  formatOk: true,
  reward: correct ? 1.5 : 0.5,
  family,
  level,
});

const evaluation = (samples: number, items: SuiteItemResult[]): SuiteEvaluation => {
  const stats = { count: items.length, correct: 0, accuracy: 0, formatRate: 1, meanLength: 1 };
  return { decoding: { samples, temperature: samples === 1 ? 0 : 1, topP: 1 }, overall: stats, byFamily: [], byLevel: [], cells: [], items };
};

describe('demo', () => {
  it('trains acpo from the SFT warm start on level 1 and evaluates greedy and avg@8 on held-out level-1 problems', () => {
    const resolved = demoConfig({ steps: 6, seed: 1, backend: 'wasm' });
    if (E.isLeft(resolved)) throw resolved.left;
    const config = resolved.right;
    expect(config).toMatchObject({ preset: 'acpo', steps: 6, seed: 1, init: 'sft', backend: 'wasm' });
    expect(config.rollout).toMatchObject({ promptsPerStep: 96, groupSize: 8, levels: [1] });
    expect(config.eval).toMatchObject({ every: 0, problemsPerCell: 200, samples: 8, levels: [1] });
    expect(config.optimizer.lr).toBe(1e-4);
  });

  it('scores each problem from its k answers and keeps the selected slice', () => {
    const sampled = evaluation(2, [item('counting', 1, true), item('counting', 1, false), item('chart', 2, true), item('chart', 2, true)]);
    expect(problemScores(sampled, () => true)).toEqual([0.5, 1]);
    expect(problemScores(sampled, (i) => i.family === 'chart')).toEqual([1]);
    const greedy = evaluation(1, [item('counting', 1, false), item('chart', 2, true)]);
    expect(problemScores(greedy, (i) => i.level === 1)).toEqual([0]);
  });
});
