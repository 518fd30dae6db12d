import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matrix, unwrap } from '@rlflow/core';
import {
  createPolicy,
  EOS_ID,
  initBackend,
  tinyPolicyConfig,
  tokenizer,
  type Generation,
  type Policy,
  type PolicyConfig,
  type PromptInput,
  type SamplingParams,
} from '@rlflow/policy';
import { encodePng, sampleProblems, upscaleNearest, type Problem } from '@rlflow/rollout';
import { evaluateCheckpointOnDataset, evaluateDatasetFile, evaluateOnDataset } from './dataset.js';
import type { LocalEvalPolicy } from './policy.js';
import { localStats } from './stats.js';
import { evaluateOnSuite, suiteProblems } from './suite.js';
import { formatSuiteTable } from './table.js';

/** The tiny test model with the suite's prompt budget. */
const config: PolicyConfig = { ...tinyPolicyConfig, maxPromptTokens: 48, maxResponseTokens: 10 };

let policy: Policy;
beforeAll(async () => {
  await initBackend('cpu');
  policy = createPolicy(config, 2);
});
afterAll(() => policy.dispose());

interface Call {
  readonly rows: number;
  readonly sampling: SamplingParams;
}

/** Answers every prompt with `<think></think><answer>A</answer>`, logging each call. */
const answersA = (calls: Call[]): LocalEvalPolicy => ({
  config,
  generate: (prompts: readonly PromptInput[], sampling: SamplingParams) => {
    calls.push({ rows: prompts.length, sampling });
    const row = [...unwrap(tokenizer.encode('<think></think><answer>A</answer>')), EOS_ID];
    const w = sampling.maxNewTokens;
    const mask = new Float64Array(prompts.length * w);
    prompts.forEach((_, b) => mask.fill(1, b * w, b * w + row.length));
    const generation: Generation = {
      tokens: prompts.map(() => row.slice()),
      lengths: prompts.map(() => row.length),
      finished: prompts.map(() => true),
      logprobs: matrix(prompts.length, w, new Float64Array(prompts.length * w)),
      samplerLogprobs: matrix(prompts.length, w, new Float64Array(prompts.length * w)),
      mask: matrix(prompts.length, w, mask),
      steps: row.length,
    };
    return E.right(generation);
  },
});

const suiteOptions = { families: ['comparison', 'counting'] as const, levels: [1, 2] as const, problemsPerCell: 3, seed: 5, maxNewTokens: 10, batchSize: 8 };

describe('localStats', () => {
  it('gives accuracy, format rate and mean length, and zeros for no items', () => {
    expect(
      localStats([
        { correct: true, formatOk: true, length: 4 },
        { correct: false, formatOk: true, length: 6 },
        { correct: false, formatOk: false, length: 8 },
        { correct: true, formatOk: false, length: 2 },
      ]),
    ).toEqual({ count: 4, correct: 2, accuracy: 0.5, formatRate: 0.5, meanLength: 5 });
    expect(localStats([])).toEqual({ count: 0, correct: 0, accuracy: 0, formatRate: 0, meanLength: 0 });
  });
});

describe('evaluateOnSuite', () => {
  it('answers held-out problems greedily in batches and verifies them', () => {
    const calls: Call[] = [];
    const result = unwrap(evaluateOnSuite({ ...suiteOptions, policy: answersA(calls) }));
    expect(calls.map((c) => c.rows)).toEqual([8, 4]);
    expect(calls.every((c) => c.sampling.temperature === 0 && c.sampling.maxNewTokens === 10)).toBe(true);
    const problems = unwrap(suiteProblems(suiteOptions));
    expect(problems.every((p) => p.split === 'test')).toBe(true);
    const expected = (ps: readonly Problem[]): number => ps.filter((p) => p.answer === 'A').length / ps.length;
    expect(result.overall).toEqual({ count: 12, correct: Math.round(12 * expected(problems)), accuracy: expected(problems), formatRate: 1, meanLength: 6 });
    expect(result.byFamily.map((f) => [f.family, f.accuracy])).toEqual([
      ['comparison', expected(problems.filter((p) => p.family === 'comparison'))],
      ['counting', 0],
    ]);
    expect(result.byLevel.map((l) => [l.level, l.count])).toEqual([
      [1, 6],
      [2, 6],
    ]);
    expect(result.cells.map((c) => [c.family, c.level, c.count])).toEqual([
      ['comparison', 1, 3],
      ['comparison', 2, 3],
      ['counting', 1, 3],
      ['counting', 2, 3],
    ]);
    expect(formatSuiteTable(result).split('\n')).toHaveLength(4);
    expect(formatSuiteTable(result, 'family')).toContain('comparison');
  });

  it('is deterministic per seed with a real tiny policy, and leaks no tensor', () => {
    const before = tf.memory().numTensors;
    const a = unwrap(evaluateOnSuite({ ...suiteOptions, policy }));
    const b = unwrap(evaluateOnSuite({ ...suiteOptions, policy }));
    expect(tf.memory().numTensors).toBe(before);
    expect(b).toEqual(a);
    expect(a.overall.count).toBe(12);
    expect(a.overall.meanLength).toBeGreaterThan(0);
    expect(a.overall.meanLength).toBeLessThanOrEqual(10);
    const other = unwrap(suiteProblems({ ...suiteOptions, seed: 6 }));
    expect(other.map((p) => p.id)).not.toEqual(a.items.map((i) => i.id));
  });

  it('answers each problem k times with sampling and reports avg@k over the answers', () => {
    const calls: Call[] = [];
    const decoding = { samples: 4, temperature: 1, topP: 0.9 };
    const result = unwrap(evaluateOnSuite({ ...suiteOptions, decoding, policy: answersA(calls) }));
    expect(calls.map((c) => c.rows)).toEqual([8, 8, 8, 8, 8, 8]);
    expect(calls.every((c) => c.sampling.temperature === 1 && c.sampling.topP === 0.9)).toBe(true);
    const problems = unwrap(suiteProblems(suiteOptions));
    const share = problems.filter((p) => p.answer === 'A').length / problems.length;
    expect(result.decoding).toEqual(decoding);
    expect(result.overall.count).toBe(48);
    expect(result.overall.accuracy).toBeCloseTo(share, 12);
    const ids = result.items.map((i) => i.id);
    expect(new Set(ids).size).toBe(12);
    ids.forEach((id, i) => expect(id).toBe(ids[i - (i % 4)]));
    expect(result.cells.map((c) => c.count)).toEqual([12, 12, 12, 12]);

    const before = tf.memory().numTensors;
    const a = unwrap(evaluateOnSuite({ ...suiteOptions, decoding, policy }));
    expect(unwrap(evaluateOnSuite({ ...suiteOptions, decoding, policy }))).toEqual(a);
    expect(tf.memory().numTensors).toBe(before);
    const texts = new Set(a.items.map((i) => i.text));
    expect(texts.size).toBeGreaterThan(12);
  });

  it('names a bad option', () => {
    const bad = evaluateOnSuite({ ...suiteOptions, problemsPerCell: 0, policy });
    expect(E.isLeft(bad) && bad.left.field).toBe('problemsPerCell');
    const greedyTwice = evaluateOnSuite({ ...suiteOptions, decoding: { samples: 2, temperature: 0, topP: 1 }, policy });
    expect(E.isLeft(greedyTwice) && greedyTwice.left.field).toBe('decoding.samples');
    const badTopP = evaluateOnSuite({ ...suiteOptions, decoding: { samples: 2, temperature: 1, topP: 0 }, policy });
    expect(E.isLeft(badTopP) && badTopP.left.field).toBe('decoding.topP');
    const tooLong = evaluateOnSuite({ ...suiteOptions, maxNewTokens: 11, policy });
    expect(E.isLeft(tooLong) && tooLong.left.field).toBe('sampling.maxNewTokens');
  });
});

describe('evaluateOnDataset', () => {
  let dir: string;
  let problems: Problem[];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rlflow-eval-local-'));
    problems = unwrap(sampleProblems({ families: ['comparison', 'chart'], levels: [1], split: 'test', seed: 1, count: 6 }));
    const lines = await Promise.all(
      problems.map(async (p, i) => {
        // Stored at 64×64 as a benchmark image would be larger than the model input; the loader resizes it.
        await writeFile(join(dir, `${i}.png`), encodePng(upscaleNearest(2)(p.image)));
        return JSON.stringify({ id: p.id, question: p.question, choices: p.choices, answer: p.answer, image: `${i}.png` });
      }),
    );
    lines.push(JSON.stringify({ id: 'unreadable', question: 'which café?', answer: 'yes', image: '0.png' }));
    await writeFile(join(dir, 'data.jsonl'), `${lines.join('\n')}\n`);
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('loads a JSONL dataset at the model input size, verifies answers and sets aside what the model cannot read', async () => {
    const calls: Call[] = [];
    const loaded = await evaluateDatasetFile({ policy: answersA(calls), path: join(dir, 'data.jsonl'), maxNewTokens: 10, seed: 0 });
    if (E.isLeft(loaded)) throw loaded.left;
    const result = loaded.right;
    expect(result.skipped).toEqual([{ id: 'unreadable', reason: expect.stringContaining('not in the alphabet') as unknown as string }]);
    expect(result.overall.count).toBe(6);
    expect(result.overall.accuracy).toBe(problems.filter((p) => p.answer === 'A').length / 6);
    expect(calls).toHaveLength(1);
  });

  it('evaluates the policy a checkpoint loader reads from a directory, then releases it', async () => {
    const loadedFrom: string[] = [];
    let disposed = 0;
    const result = await evaluateCheckpointOnDataset({
      checkpointDir: join(dir, 'ckpt'),
      load: async (from) => {
        loadedFrom.push(from);
        return E.right({ ...answersA([]), dispose: () => void disposed++ });
      },
      path: join(dir, 'data.jsonl'),
      maxNewTokens: 10,
      seed: 0,
    });
    if (E.isLeft(result)) throw result.left;
    expect([loadedFrom, disposed, result.right.overall.count, result.right.skipped.length]).toEqual([[join(dir, 'ckpt')], 1, 6, 1]);
    const missing = await evaluateCheckpointOnDataset({ checkpointDir: 'nowhere', load: async () => E.left(new Error('no checkpoint')), path: join(dir, 'data.jsonl'), maxNewTokens: 10, seed: 0 });
    expect(E.isLeft(missing) && missing.left.message).toBe('no checkpoint');
  });

  it('runs a real tiny policy on dataset items, deterministically', () => {
    const items = problems.map((p) => ({ ...p, id: p.id }));
    const a = unwrap(evaluateOnDataset({ policy, items, maxNewTokens: 10, seed: 0, batchSize: 4 }));
    const b = unwrap(evaluateOnDataset({ policy, items, maxNewTokens: 10, seed: 1, batchSize: 6 }));
    expect(a.items.map((i) => i.text)).toEqual(b.items.map((i) => i.text));
    expect(a.skipped).toEqual([]);
    const small = { ...items[0]!, image: { width: 16, height: 16, data: new Float32Array(16 * 16 * 3) } };
    expect(unwrap(evaluateOnDataset({ policy, items: [small], maxNewTokens: 10, seed: 0 })).skipped[0]!.reason).toContain('16×16');
  });
});
