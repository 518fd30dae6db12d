/**
 * The curriculum's configuration (docs/algorithms.md §8): the reuse schedule (a clock schedule
 * K(t) or the drift-driven adaptive one), the per-prompt pass-rate window, and the phase rule.
 *
 * Phase rule: the run explores for its first `exploreSteps` steps; after that it exploits,
 * except on a step whose gate kept fewer than `minKeepRate` of the groups it saw (the prompt
 * pool has run out of informative prompts, so sampling should widen again). A step that gated
 * no group leaves the phase as it was.
 */
import { inRange, type Check } from '@rlflow/core';
import type { AdaptiveReuseParams } from './adaptive-reuse.js';
import { integerIn } from './checks.js';
import { reuseScheduleNames, type ReuseScheduleParams } from './reuse.js';

export type ReuseConfig = ReuseScheduleParams | AdaptiveReuseParams;

/** Every `reuse.schedule` a configuration may name: the clock schedules K(t), then the adaptive one. */
export const reuseScheduleKinds = [...reuseScheduleNames, 'adaptive'] as const satisfies readonly ReuseConfig['schedule'][];
export type ReuseScheduleKind = (typeof reuseScheduleKinds)[number];

export interface CurriculumConfig {
  readonly reuse: ReuseConfig;
  /** How many of its latest pass rates each prompt keeps, at least 1. */
  readonly historyWindow: number;
  /** Steps spent in 'explore' before 'exploit' is allowed. */
  readonly exploreSteps: number;
  /** Below this fraction of groups kept by the gate, a step sends the run back to 'explore'. */
  readonly minKeepRate: number;
}

export const defaultCurriculumConfig: CurriculumConfig = {
  reuse: { schedule: 'constant', kMin: 1, kMax: 1, totalSteps: 1, warmupFrac: 0 },
  historyWindow: 8,
  exploreSteps: 0,
  minKeepRate: 0,
};

/** Checks on the fields the reducer reads directly (the reuse schedules check their own). */
export const curriculumConfigChecks = (stage: string, config: CurriculumConfig): Check[] => [
  integerIn(stage, 'historyWindow', config.historyWindow, { min: 1 }),
  integerIn(stage, 'exploreSteps', config.exploreSteps, { min: 0 }),
  inRange(stage, 'minKeepRate', config.minKeepRate, { min: 0, max: 1 }),
];
