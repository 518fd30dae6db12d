/**
 * The group rollout stream, pull-based: each demand value n asks for one round over the next n
 * prompts (× G responses, one `sample` call); its groups are emitted, and the next round is
 * generated only when the next demand arrives and the previous round's groups are out. Nothing
 * is generated ahead of demand. The stream completes when the prompt source runs out.
 */
import { unwrap } from '@rlflow/core';
import { concatMap, defer, takeWhile, type OperatorFunction } from 'rxjs';
import type { PromptItem } from '../../suite/problem.js';
import type { RolloutGroup } from '../group.js';
import { pullRound, type PullOptions } from '../pull.js';

export const pullGroups = <P extends PromptItem>(options: PullOptions<P>): OperatorFunction<number, RolloutGroup<P>> => (demand$) =>
  demand$.pipe(
    concatMap((count, round) => defer(async () => unwrap(await pullRound(options)(count, round)))),
    takeWhile((groups) => groups.length > 0),
    concatMap((groups) => groups),
  );
