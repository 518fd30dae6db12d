/**
 * The updates of a rollout batch as an RxJS operator: a thin wrapper over `runUpdates` (run.ts)
 * that errors the stream with its StageError.
 */
import { unwrap } from '@rlflow/core';
import { concatMap, type OperatorFunction } from 'rxjs';
import type { Engine } from '../contract.js';
import type { UpdatePlan } from './plan.js';
import { runUpdates, type UpdateInput, type UpdateOutcome, type UpdateSettings } from './run.js';

export interface PlannedUpdate {
  readonly input: UpdateInput;
  readonly plan: UpdatePlan;
  readonly settings: UpdateSettings;
}

export const optimizeBatch = (engine: Engine): OperatorFunction<PlannedUpdate, UpdateOutcome> =>
  concatMap(async ({ input, plan, settings }: PlannedUpdate) => unwrap(await runUpdates(engine, settings, input, plan)));
