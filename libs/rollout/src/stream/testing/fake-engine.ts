/**
 * Test doubles for the rollout stream: prompt items with blank images, and a fake engine whose
 * `sample` answers from a script instead of sampling. The script gets the decoded prompt text,
 * the sample's index among the rows of that prompt in the call, and the call's seed; every
 * response token gets the log-prob −(1 + seed mod 7)/10, so tests can tell seeds apart.
 */
import * as E from 'fp-ts/lib/Either.js';
import { matrix } from '@rlflow/core';
import type { SampleRequest, Samples, SamplingParams } from '@rlflow/engine';
import { EOS_ID, tokenizer } from '@rlflow/policy';
import type { PromptItem } from '../../suite/problem.js';
import type { RolloutEngine } from '../engine.js';

export const blankImage = (): PromptItem['image'] => ({ width: 32, height: 32, data: new Float32Array(32 * 32 * 3) });

/** Item `p<i>`: question `q<i>`, integer answer 1. */
export const item = (i: number): PromptItem => ({ id: `p${i}`, image: blankImage(), question: `q${i}`, answer: '1', answerType: 'integer' });

export const RIGHT = '<think>1</think><answer>1</answer>';
export const WRONG = '<think>0</think><answer>0</answer>';

export type Script = (prompt: string, sample: number, seed: number) => string;

/** Answers right for the first `passes(prompt)` samples of each prompt, wrong for the rest. */
export const passesScript =
  (passes: (prompt: string) => number): Script =>
  (prompt, sample) =>
    sample < passes(prompt) ? RIGHT : WRONG;

export interface SampleCall {
  /** The decoded prompt of every row: each prompt repeated G times, prompt-major. */
  readonly prompts: readonly string[];
  readonly seed: number;
  readonly sampling: SamplingParams;
}

export interface FakeEngine extends RolloutEngine {
  readonly calls: SampleCall[];
  /** Response rows generated so far, over all calls. */
  readonly rows: () => number;
}

const encode = (text: string): number[] => {
  const ids = tokenizer.encode(text);
  if (E.isLeft(ids)) throw ids.left;
  return ids.right;
};

export const fakeEngine = (script: Script, onSample?: (call: SampleCall) => void): FakeEngine => {
  const calls: SampleCall[] = [];
  let rows = 0;
  return {
    calls,
    rows: () => rows,
    sample: async ({ prompts: distinct, samplesPerPrompt, sampling, seed }: SampleRequest) => {
      const prompts = distinct.flatMap((p) => Array.from({ length: samplesPerPrompt }, () => p));
      const texts = prompts.map((p) => {
        const text = tokenizer.decode(p.promptTokens);
        if (E.isLeft(text)) throw text.left;
        return text.right;
      });
      const width = sampling.maxNewTokens;
      const seen = new Map<string, number>();
      const tokens = texts.map((prompt) => {
        const sample = seen.get(prompt) ?? 0;
        seen.set(prompt, sample + 1);
        return [...encode(script(prompt, sample, seed)), EOS_ID].slice(0, width);
      });
      const logp = -(1 + (seed % 7)) / 10;
      const mask = new Float64Array(prompts.length * width);
      const logprobs = new Float64Array(prompts.length * width);
      tokens.forEach((row, b) => {
        mask.fill(1, b * width, b * width + row.length);
        logprobs.fill(logp, b * width, b * width + row.length);
      });
      const generation: Samples = {
        tokens,
        lengths: tokens.map((row) => row.length),
        finished: tokens.map((row) => row[row.length - 1] === EOS_ID),
        logprobs: matrix(prompts.length, width, logprobs),
        samplerLogprobs: matrix(prompts.length, width, logprobs.slice()),
        mask: matrix(prompts.length, width, mask),
      };
      rows += prompts.length;
      const call = { prompts: texts, seed, sampling };
      calls.push(call);
      onSample?.(call);
      return E.right(generation);
    },
  };
};

/** An endless source of items p0, p1, …; `count` items when given. */
export function* items(count = Infinity): Generator<PromptItem, void, undefined> {
  for (let i = 0; i < count; i++) yield item(i);
}
