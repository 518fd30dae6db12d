/**
 * Golden-case checkers for the curriculum stages (docs/algorithms.md §8, "Golden cases"): the gate's
 * keep flags and the reuse schedule's K per step, each compared exactly (booleans) or to 1e-9.
 */
import { unwrap } from '@rlflow/core';
import { PLAIN, assertClose, field, type GoldenRegistry } from '@rlflow/core/testing';
import { gate } from './gate.js';
import { isReuseScheduleName, reuseSchedule } from './reuse.js';

export const golden: GoldenRegistry = {
  'curriculum.gate': ({ name, params, input, expected }) => {
    const keep = unwrap(
      gate({ tau: field.number(params, 'tau'), nMax: field.number(params, 'nMax') })(field.matrix(input, 'rewardsByGroup')),
    );
    assertClose(keep, field.booleans(expected, 'keep'), PLAIN, name);
  },
  'curriculum.reuse': ({ name, params, input, expected }) => {
    const schedule = field.string(params, 'schedule');
    if (!isReuseScheduleName(schedule)) throw new Error(`${name}: unknown reuse schedule "${schedule}"`);
    const reuseAt = reuseSchedule({
      schedule,
      kMin: field.number(params, 'kMin'),
      kMax: field.number(params, 'kMax'),
      totalSteps: field.number(params, 'totalSteps'),
      warmupFrac: field.number(params, 'warmupFrac'),
    });
    assertClose(field.vector(input, 'steps').map((t) => unwrap(reuseAt(t))), field.vector(expected, 'reuse'), PLAIN, name);
  },
};
