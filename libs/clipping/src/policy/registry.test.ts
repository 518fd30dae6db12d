/**
 * The plain policy-loss registry (docs/algorithms.md §5): names, lookup, default aggregations,
 * and the typed errors of every plain loss.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { unwrap, type Matrix } from '@rlflow/core';
import type { LossAggregation } from '../aggregation.js';
import { policyInputArb, prefixMask } from '../testing/arbitraries.js';
import { policyLossByName, policyLosses } from './registry.js';
import { POLICY_LOSS_NAMES, type PolicyLossInput, type PolicyLossName } from './types.js';

const boundsFor = (name: PolicyLossName) => (name === 'gspo' ? { epsLow: 0.1, epsHigh: 0.15 } : { epsLow: 0.2, epsHigh: 0.28 });

describe('policyLosses registry', () => {
  it('holds ppo, gspo and cispo, each under its own name', () => {
    expect(Object.keys(policyLosses).sort()).toEqual(['cispo', 'gspo', 'ppo']);
    for (const name of POLICY_LOSS_NAMES) expect(unwrap(policyLossByName(name)).name).toBe(name);
  });

  it('rejects an unknown name, listing the known ones', () => {
    const result = policyLossByName('grpo');
    expect(E.isLeft(result) && result.left.message).toMatch(/"ppo", "gspo", "cispo"/);
  });

  it('uses the default aggregation when none is given (ppo, cispo: token-mean; gspo: seq-mean-token-mean)', () => {
    const input = fc.sample(policyInputArb({ minLength: 1 }), { numRuns: 1, seed: 3 })[0]!;
    const defaults: Readonly<Record<PolicyLossName, LossAggregation>> = { ppo: 'token-mean', gspo: 'seq-mean-token-mean', cispo: 'token-mean' };
    for (const name of POLICY_LOSS_NAMES) {
      const loss = policyLosses[name];
      expect(unwrap(loss.plain(boundsFor(name))(input))).toEqual(unwrap(loss.plain({ ...boundsFor(name), lossAgg: defaults[name] })(input)));
    }
  });
});

describe('policy losses: bad input is a StageError naming the field and index', () => {
  const m = (rows: number[][]): Matrix => ({ rows: rows.length, cols: rows[0]!.length, data: Float64Array.from(rows.flat()) });
  const good: PolicyLossInput = {
    logp: m([[-1, -2], [-1, -1]]),
    oldLogp: m([[-1, -2], [-1.1, -1]]),
    advantages: m([[1, 1], [-1, -1]]),
    mask: prefixMask([2, 1], 2),
  };
  const bounds = { epsLow: 0.2, epsHigh: 0.2 };
  const errorOf = (name: PolicyLossName, input: PolicyLossInput, params: Record<string, unknown> = {}) => {
    const result = policyLosses[name].plain({ ...bounds, ...params })(input);
    return E.isLeft(result) ? { stage: result.left.stage, field: result.left.field, index: result.left.index, kind: result.left.kind } : undefined;
  };

  for (const name of POLICY_LOSS_NAMES) {
    const stage = `policy.${name}`;
    it(`${name}: shape mismatch, NaN/Inf, mask outside {0, 1}`, () => {
      expect(errorOf(name, { ...good, oldLogp: m([[-1, -2, -3], [-1, -1, -1]]) })).toEqual({ stage, field: 'oldLogp', index: null, kind: 'length-mismatch' });
      expect(errorOf(name, { ...good, mask: m([[1, 1]]) })).toEqual({ stage, field: 'mask', index: null, kind: 'length-mismatch' });
      expect(errorOf(name, { ...good, logp: m([[-1, -2], [Number.NaN, -1]]) })).toEqual({ stage, field: 'logp', index: [1, 0], kind: 'not-finite' });
      expect(errorOf(name, { ...good, advantages: m([[1, Number.POSITIVE_INFINITY], [1, 1]]) })).toEqual({ stage, field: 'advantages', index: [0, 1], kind: 'not-finite' });
      expect(errorOf(name, { ...good, mask: m([[1, 1], [0, 2]]) })).toEqual({ stage, field: 'mask', index: [1, 1], kind: 'not-binary' });
    });

    it(`${name}: bad parameters`, () => {
      expect(errorOf(name, good, { epsLow: -0.1 })).toEqual({ stage, field: 'epsLow', index: null, kind: 'out-of-range' });
      expect(errorOf(name, good, { epsHigh: Number.NaN })).toEqual({ stage, field: 'epsHigh', index: null, kind: 'out-of-range' });
      expect(errorOf(name, good, { epsHigh: m([[0.2, -1], [0.2, 0.2]]) })).toEqual({ stage, field: 'epsHigh', index: [0, 1], kind: 'out-of-range' });
      expect(errorOf(name, good, { epsLow: m([[0.2, 0.2]]) })).toEqual({ stage, field: 'epsLow', index: null, kind: 'length-mismatch' });
      expect(errorOf(name, good, { lossAgg: 'mean' })).toEqual({ stage, field: 'lossAgg', index: null, kind: 'invalid' });
      expect(errorOf(name, good, { lossAgg: 'seq-mean-token-sum-norm', normConstant: -1 })).toEqual({ stage, field: 'normConstant', index: null, kind: 'out-of-range' });
      if (name === 'ppo') expect(errorOf(name, good, { dualClipC: 0.5 })).toEqual({ stage, field: 'dualClipC', index: null, kind: 'out-of-range' });
      else expect(errorOf(name, good, { dualClipC: 3 })).toEqual({ stage, field: 'dualClipC', index: null, kind: 'invalid' });
    });
  }
});
