/**
 * Golden-case checkers for the advantage-side stages (docs/algorithms.md, "Golden cases"): each runs
 * one case of `vectors/<stage>.json` through the plain-number kernel and throws on any value
 * outside the PLAIN tolerance (1e-9) or on a StageError.
 */
import { unwrap } from '@rlflow/core';
import { PLAIN, assertClose, field, type GoldenRegistry, type VectorCase } from '@rlflow/core/testing';
import { dads } from './dads.js';
import { drgrpo } from './drgrpo.js';
import { grpo } from './grpo.js';
import type { AdvantageKernel } from './kernel.js';
import { overlong } from './overlong.js';
import { reinforceppBaseline } from './reinforcepp-baseline.js';
import { rloo } from './rloo.js';
import { stcr } from './stcr.js';

const checkAdvantages =
  (kernelFor: (params: VectorCase['params']) => AdvantageKernel) =>
  ({ name, params, input, expected }: VectorCase): void => {
    const lengths = field.vectorOrNull(input, 'lengths');
    const advantages = unwrap(
      kernelFor(params)({
        rewards: field.vector(input, 'rewards'),
        groupIds: field.vector(input, 'groupIds'),
        ...(lengths === null ? {} : { lengths }),
      }),
    );
    assertClose(advantages, field.vector(expected, 'advantages'), PLAIN, name);
  };

export const golden: GoldenRegistry = {
  'advantage.grpo': checkAdvantages((params) => grpo({ eps: field.number(params, 'eps') })),
  'advantage.drgrpo': checkAdvantages(() => drgrpo()),
  'advantage.rloo': checkAdvantages(() => rloo()),
  'advantage.reinforcepp_baseline': checkAdvantages((params) => reinforceppBaseline({ eps: field.number(params, 'eps') })),
  'apo.dads': ({ name, input, expected }) => {
    const weights = unwrap(
      dads()({
        correct: field.vector(input, 'correct'),
        groupIds: field.vector(input, 'groupIds'),
        advantages: field.vector(input, 'advantages'),
      }),
    );
    assertClose(weights, field.vector(expected, 'weights'), PLAIN, name);
  },
  'apo.stcr': ({ name, params, input, expected }) => {
    const multipliers = unwrap(
      stcr({ base: field.number(params, 'base') })({
        correct: field.vector(input, 'correct'),
        lengths: field.vector(input, 'lengths'),
        groupIds: field.vector(input, 'groupIds'),
      }),
    );
    assertClose(multipliers, field.vector(expected, 'multipliers'), PLAIN, name);
  },
  'dapo.overlong': ({ name, params, input, expected }) => {
    const penalties = unwrap(
      overlong({
        maxLen: field.number(params, 'maxLen'),
        bufferLen: field.number(params, 'bufferLen'),
        penaltyFactor: field.number(params, 'penaltyFactor'),
      })({ lengths: field.vector(input, 'lengths') }),
    );
    assertClose(penalties, field.vector(expected, 'penalties'), PLAIN, name);
  },
};
