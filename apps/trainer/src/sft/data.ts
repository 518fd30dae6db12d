/**
 * SFT training data: problems of the train split (families and levels of the config), drawn
 * from `problemSource` with the config's seed, `batchSize` per step, each as a teacher-forced
 * sequence — image, prompt tokens, and the reference solution's tokens
 * `<think>…</think><answer>…</answer>` followed by end-of-sequence.
 */
import * as E from 'fp-ts/lib/Either.js';
import { deriveSeed, type StageError } from '@rlflow/core';
import type { SequenceInput } from '@rlflow/engine';
import { EOS_ID, tokenizer } from '@rlflow/policy';
import { encodePrompt, problemSource, type Problem } from '@rlflow/rollout';
import type { SftConfig } from './config.js';

/** The teacher-forced sequence of a problem's reference solution. */
export const solutionSequence = (problem: Problem, index: number): E.Either<StageError, SequenceInput> =>
  E.flatMap((promptTokens: number[]) =>
    E.map((solution: number[]) => ({ image: problem.image.data, promptTokens, responseTokens: [...solution, EOS_ID] }))(tokenizer.encode(problem.solution)),
  )(encodePrompt('sft.data')(problem, index));

/** An endless iterator of training batches: `batchSize` sequences each. */
export const sftBatches = (config: Pick<SftConfig, 'families' | 'levels' | 'seed' | 'batchSize'>): E.Either<StageError, Iterator<SequenceInput[]>> =>
  E.map((source: IterableIterator<Problem>) => {
    let index = 0;
    const next = (): IteratorResult<SequenceInput[]> => {
      const batch: SequenceInput[] = [];
      while (batch.length < config.batchSize) {
        const sequence = solutionSequence(source.next().value as Problem, index++);
        if (E.isLeft(sequence)) throw sequence.left;
        batch.push(sequence.right);
      }
      return { done: false, value: batch };
    };
    return { next };
  })(problemSource({ families: config.families, levels: config.levels, split: 'train', seed: deriveSeed(config.seed, 'sft/data') }));
