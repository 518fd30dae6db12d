/**
 * One rollout batch with the curriculum's refill (refill.ts) as a cold observable: nothing is
 * sampled until subscription; it emits one `RolloutBatch` and completes, or errors with the
 * `StageError` of a bad option, prompt or generation. A training loop pulls batch t with
 * `concatMap(t => rolloutBatch({ ..., seed: deriveSeed(seed, "step/t") }))`, so the next batch
 * is sampled only after the previous update.
 */
import { unwrap } from '@rlflow/core';
import { defer, type Observable } from 'rxjs';
import type { PromptItem } from '../suite/problem.js';
import { collectBatch, type BatchOptions, type RolloutBatch } from './refill.js';

export const rolloutBatch = <P extends PromptItem>(options: BatchOptions<P>): Observable<RolloutBatch<P>> => defer(async () => unwrap(await collectBatch(options)));
