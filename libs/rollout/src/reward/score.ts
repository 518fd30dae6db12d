/**
 * The reward of one response (APO: accuracy plus a weighted format term; DAPO §3.4 for the
 * optional overlong term):
 *   reward = accuracy + λ·format + overlong
 * accuracy = 1 when the extracted answer (extract.ts) verifies against the target (verify.ts),
 * else 0; format = 1 when the response has the exact `<think>…</think><answer>…</answer>`
 * shape (format.ts); λ = `formatWeight` (0.5 by default, as in APO); overlong = DAPO's soft
 * overlong punishment of the response length in tokens, min(−(L − (maxLen − bufferLen)) / bufferLen
 * · penaltyFactor, 0) (docs/algorithms.md §9, @rlflow/advantage's `overlong`), when `overlong` is
 * configured, which then needs each response's length in tokens; else 0.
 */
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import { overlong, type OverlongParams } from '@rlflow/advantage';
import { StageError, guarded, inRange, type Check } from '@rlflow/core';
import type { AnswerTarget } from '../suite/problem.js';
import { extractAnswer, type ExtractedAnswer } from './extract.js';
import { formatOk } from './format.js';
import { isCorrect } from './verify.js';

export interface RewardConfig {
  /** λ, the weight of the format term. */
  readonly formatWeight: number;
  readonly overlong?: OverlongParams;
}

export const DEFAULT_REWARD: RewardConfig = { formatWeight: 0.5 };

export interface ModelResponse {
  readonly text: string;
  /** Length in tokens; needed when the overlong term is on. */
  readonly tokens?: number;
}

export interface ResponseScore {
  readonly reward: number;
  readonly correct: boolean;
  readonly formatOk: boolean;
  readonly extracted: ExtractedAnswer | null;
  /** The overlong term added to the reward (0 when off). */
  readonly overlongPenalty: number;
}

const STAGE = 'reward.score';

const configChecks = (config: RewardConfig): Check[] => [inRange(STAGE, 'formatWeight', config.formatWeight, { min: 0 })];

const lengthCheck =
  (config: RewardConfig, tokens: number | undefined, index: number | null): Check =>
  () => {
    if (config.overlong === undefined) return undefined;
    if (tokens === undefined) return new StageError(STAGE, 'tokens', index, 'invalid', 'is missing; the overlong term needs each response length');
    if (!Number.isInteger(tokens) || tokens < 0) return new StageError(STAGE, 'tokens', index, 'not-integer', `is ${tokens}, expected a non-negative integer`);
    return undefined;
  };

/**
 * The overlong term of each response (all 0 when off), from @rlflow/advantage's `overlong`,
 * which checks its parameters; the lengths are known to be present (see `lengthCheck`).
 */
const overlongPenalties = (config: RewardConfig, responses: readonly ModelResponse[]): E.Either<StageError, ArrayLike<number>> =>
  config.overlong === undefined || responses.length === 0
    ? E.right(new Float64Array(responses.length))
    : overlong(config.overlong)({ lengths: responses.map((r) => r.tokens!) });

/** Scores a response known to be valid for `config`, given its overlong term. */
const score = (config: RewardConfig, target: AnswerTarget, response: ModelResponse, overlongTerm: number): ResponseScore => {
  const extracted = extractAnswer(response.text, target.answerType, target.choices?.length);
  const correct = isCorrect(target)(extracted === null ? null : extracted.text);
  const ok = formatOk(response.text);
  // `+ 0` turns the −0 at L = maxLen − bufferLen into 0.
  const penalty = overlongTerm + 0;
  return { reward: (correct ? 1 : 0) + config.formatWeight * (ok ? 1 : 0) + penalty, correct, formatOk: ok, extracted, overlongPenalty: penalty };
};

/** Scores the G responses of one prompt; a bad length is reported with its index. */
export const scoreGroup =
  (config: RewardConfig = DEFAULT_REWARD) =>
  (target: AnswerTarget) =>
  (responses: readonly ModelResponse[]): E.Either<StageError, ResponseScore[]> =>
    pipe(
      guarded([...configChecks(config), ...responses.map((r, i) => lengthCheck(config, r.tokens, i))], () => undefined),
      E.chain(() => overlongPenalties(config, responses)),
      E.map((penalties) => responses.map((r, i) => score(config, target, r, penalties[i]!))),
    );

export const scoreResponse =
  (config: RewardConfig = DEFAULT_REWARD) =>
  (target: AnswerTarget) =>
  (response: ModelResponse): E.Either<StageError, ResponseScore> =>
    pipe(
      guarded([...configChecks(config), lengthCheck(config, response.tokens, null)], () => undefined),
      E.chain(() => overlongPenalties(config, [response])),
      E.map((penalties) => score(config, target, response, penalties[0]!)),
    );
