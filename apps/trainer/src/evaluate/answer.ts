/**
 * Answers for evaluation, through the engine contract's `sample`: each item's prompt (its
 * question and options, encoded by the rollout's `encodePrompt`) with its image, `samples`
 * responses per item, in batches of `batchSize` rows (one `sample` request per batch, seeded
 * `deriveSeed(seed, "eval/batch/<b>")`, so the same seed gives the same answers). Greedy decoding
 * is temperature 0 (argmax, one answer per item, independent of the seed); avg@k is k samples at a
 * temperature. Each response is decoded and scored by the rollout's verifiers (accuracy, format).
 *
 * The pure halves — `planAnswers` (the requests) and `readAnswers` (a batch's samples → results) —
 * are the engine path's own.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, StageError, type Check, validate } from '@rlflow/core';
import type { PromptInput, SampleRequest, Samples, SamplingParams } from '@rlflow/engine';
import { BUILTIN_CODEC, DEFAULT_REWARD, encodePrompt, promptInput, scoreGroup, type PromptItem, type RewardConfig, type TextCodec } from '@rlflow/rollout';
import type { SamplingEngine } from './engine.js';

export const DEFAULT_EVAL_BATCH = 64;

const STAGE = 'eval.local';

/** How many answers per item, how long, in what batches, from what seed. */
export interface AnswerSettings {
  readonly maxNewTokens: number;
  /** Rows per `sample` request (default 64); a batch holds ⌊batchSize / samples⌋ items, at least one. */
  readonly batchSize?: number;
  readonly seed: number;
  readonly reward?: RewardConfig;
  /** How prompts are encoded and answers decoded; the built-in tokenizer when unset. */
  readonly codec?: TextCodec;
}

export interface AnswerOptions extends AnswerSettings {
  readonly engine: SamplingEngine;
}

export interface LocalItemResult {
  readonly id: string;
  readonly text: string;
  /** Response tokens, end-of-sequence included when emitted. */
  readonly length: number;
  readonly correct: boolean;
  readonly formatOk: boolean;
  readonly reward: number;
}

const positiveInteger =
  (stage: string, field: string, n: number): Check =>
  () =>
    Number.isSafeInteger(n) && n >= 1 ? undefined : new StageError(stage, field, null, 'out-of-range', `is ${n}, expected an integer ≥ 1`);

export const answerChecks = (stage: string, options: Pick<AnswerSettings, 'maxNewTokens' | 'batchSize'>): Check[] => [
  positiveInteger(stage, 'maxNewTokens', options.maxNewTokens),
  positiveInteger(stage, 'batchSize', options.batchSize ?? DEFAULT_EVAL_BATCH),
];

/**
 * How each item is answered: `samples` responses drawn at `temperature` with nucleus `topP`
 * (temperature 0: argmax decoding, and then one sample is all there is).
 */
export interface Decoding {
  readonly samples: number;
  readonly temperature: number;
  readonly topP: number;
}

export const GREEDY: Decoding = { samples: 1, temperature: 0, topP: 1 };

const decodingChecks = (stage: string, decoding: Decoding): Check[] => [
  positiveInteger(stage, 'decoding.samples', decoding.samples),
  () =>
    Number.isFinite(decoding.temperature) && decoding.temperature >= 0
      ? undefined
      : new StageError(stage, 'decoding.temperature', null, 'out-of-range', `is ${decoding.temperature}, expected a finite number ≥ 0`),
  () =>
    decoding.topP > 0 && decoding.topP <= 1 ? undefined : new StageError(stage, 'decoding.topP', null, 'out-of-range', `is ${decoding.topP}, expected a number in (0, 1]`),
  () =>
    decoding.temperature === 0 && decoding.samples !== 1
      ? new StageError(stage, 'decoding.samples', null, 'out-of-range', `is ${decoding.samples}; argmax decoding (temperature 0) gives one answer per item`)
      : undefined,
];

/** One `sample` request and the items it answers. */
export interface AnswerBatch<P extends PromptItem = PromptItem> {
  readonly items: readonly P[];
  readonly request: SampleRequest;
}

/** The requests answering `items`, `decoding.samples` rows per item, or the first bad setting or prompt. */
export const planAnswers = <P extends PromptItem>(
  settings: AnswerSettings,
  engine: Pick<SamplingEngine, 'info'>,
  items: readonly P[],
  decoding: Decoding = GREEDY,
): E.Either<StageError, AnswerBatch<P>[]> => {
  const checked = validate(
    ...answerChecks(STAGE, settings),
    ...decodingChecks(STAGE, decoding),
    () =>
      settings.maxNewTokens <= engine.info.maxResponseTokens
        ? undefined
        : new StageError(STAGE, 'maxNewTokens', null, 'out-of-range', `is ${settings.maxNewTokens}, the engine answers at most ${engine.info.maxResponseTokens} tokens`),
  );
  if (E.isLeft(checked)) return checked;
  const perBatch = Math.max(1, Math.floor((settings.batchSize ?? DEFAULT_EVAL_BATCH) / decoding.samples));
  const sampling: SamplingParams = { temperature: decoding.temperature, topP: decoding.topP, topK: 0, maxNewTokens: settings.maxNewTokens };
  const batches: AnswerBatch<P>[] = [];
  for (let start = 0, batch = 0; start < items.length; start += perBatch, batch++) {
    const slice = items.slice(start, start + perBatch);
    const prompts: PromptInput[] = [];
    for (const [i, item] of slice.entries()) {
      const encoded = encodePrompt(STAGE, settings.codec)(item, start + i);
      if (E.isLeft(encoded)) return encoded;
      prompts.push(promptInput(item, encoded.right));
    }
    batches.push({ items: slice, request: { prompts, samplesPerPrompt: decoding.samples, sampling, seed: deriveSeed(settings.seed, `eval/batch/${batch}`) } });
  }
  return E.right(batches);
};

/** The results of one batch from its samples (rows prompt-major, as the contract returns them). */
export const readAnswers = (batch: AnswerBatch, samples: Samples, reward: RewardConfig = DEFAULT_REWARD, codec: TextCodec = BUILTIN_CODEC): E.Either<StageError, LocalItemResult[]> => {
  const g = batch.request.samplesPerPrompt;
  const rows = batch.items.length * g;
  if (samples.tokens.length !== rows || samples.lengths.length !== rows) {
    return E.left(new StageError(STAGE, 'samples.tokens', null, 'length-mismatch', `has ${samples.tokens.length} rows (lengths ${samples.lengths.length}), expected ${batch.items.length} prompts × ${g}`));
  }
  const results: LocalItemResult[] = [];
  for (const [p, item] of batch.items.entries()) {
    const texts: string[] = [];
    for (let j = 0; j < g; j++) {
      const text = codec.decodeResponse(samples.tokens[p * g + j]!);
      if (E.isLeft(text)) return E.left(new StageError(STAGE, `samples.tokens[${p * g + j}]`, text.left.index, text.left.kind, `item ${JSON.stringify(item.id)}: ${text.left.detail}`));
      texts.push(text.right);
    }
    const lengths = samples.lengths.slice(p * g, p * g + g);
    const scores = scoreGroup(reward)(item)(texts.map((text, j) => ({ text, tokens: lengths[j]! })));
    if (E.isLeft(scores)) return scores;
    scores.right.forEach((score, j) =>
      results.push({ id: item.id, text: texts[j]!, length: lengths[j]!, correct: score.correct, formatOk: score.formatOk, reward: score.reward }),
    );
  }
  return E.right(results);
};

/**
 * `decoding.samples` answers per item, item-major (the answers of item i are at
 * i·samples … i·samples + samples − 1).
 */
export const answerItems = async (options: AnswerOptions, items: readonly PromptItem[], decoding: Decoding = GREEDY): Promise<E.Either<StageError, LocalItemResult[]>> => {
  const batches = planAnswers(options, options.engine, items, decoding);
  if (E.isLeft(batches)) return batches;
  const results: LocalItemResult[] = [];
  for (const batch of batches.right) {
    const samples = await options.engine.sample(batch.request);
    if (E.isLeft(samples)) return samples;
    const answers = readAnswers(batch, samples.right, options.reward, options.codec);
    if (E.isLeft(answers)) return answers;
    results.push(...answers.right);
  }
  return E.right(results);
};

/** One greedy answer per item, in item order. */
export const answerGreedily = (options: AnswerOptions, items: readonly PromptItem[]): Promise<E.Either<StageError, LocalItemResult[]>> => answerItems(options, items, GREEDY);
