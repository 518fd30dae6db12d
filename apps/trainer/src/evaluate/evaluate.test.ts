import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StageError, unwrap } from '@rlflow/core';
import type { Engine, EngineResult, Samples } from '@rlflow/engine';
import { createTfjsEngine, tinyPolicyConfig, type PolicyConfig } from '@rlflow/policy';
import { encodePng, sampleProblems, upscaleNearest, type Problem } from '@rlflow/rollout';
import { evaluateCheckpointOnDataset, evaluateDatasetFile, evaluateOnDataset } from './dataset.js';
import { localStats } from './stats.js';
import { evaluateOnSuite, suiteProblems } from './suite.js';
import { formatSuiteTable } from './table.js';
import { scriptedEngine, type ScriptedEngine } from './testing/scripted-engine.js';

/** The tiny test model with the suite's prompt budget. */
const config: PolicyConfig = { ...tinyPolicyConfig, maxPromptTokens: 48, maxResponseTokens: 10 };

let tiny: Engine;
beforeAll(async () => {
  tiny = unwrap(await createTfjsEngine({ init: { kind: 'seed', seed: 2 }, model: config, reference: false, tokenBudget: 0, device: 'cpu' }));
});
afterAll(() => tiny.dispose());

/** Answers every prompt with `<think></think><answer>A</answer>`. */
const answersA = (): ScriptedEngine => scriptedEngine(() => '<think></think><answer>A</answer>');

const suiteOptions = { split: 'test' as const, families: ['comparison', 'counting'] as const, levels: [1, 2] as const, problemsPerCell: 3, seed: 5, maxNewTokens: 10, batchSize: 8 };

const share = (ps: readonly Problem[], letter: string): number => ps.filter((p) => p.answer === letter).length / ps.length;

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

describe('evaluateOnSuite through the engine contract', () => {
  it('answers held-out problems greedily (temperature 0, one sample) in batches and verifies them', async () => {
    const engine = answersA();
    const result = unwrap(await evaluateOnSuite({ ...suiteOptions, engine }));
    expect(engine.requests.map((r) => [r.prompts.length, r.samplesPerPrompt])).toEqual([
      [8, 1],
      [4, 1],
    ]);
    expect(engine.requests.every((r) => r.sampling.temperature === 0 && r.sampling.maxNewTokens === 10)).toBe(true);
    expect(new Set(engine.requests.map((r) => r.seed)).size).toBe(2);
    const problems = unwrap(suiteProblems(suiteOptions));
    expect(problems.every((p) => p.split === 'test')).toBe(true);
    const validation = unwrap(suiteProblems({ ...suiteOptions, split: 'validation' }));
    expect(validation.every((p) => p.split === 'validation')).toBe(true);
    expect(validation.some((v) => problems.some((p) => p.id === v.id))).toBe(false);
    expect(engine.requests.flatMap((r) => r.prompts.map((p) => p.image))).toEqual(problems.map((p) => p.image.data));
    const expected = share(problems, 'A');
    expect(result.overall).toEqual({ count: 12, correct: Math.round(12 * expected), accuracy: expected, formatRate: 1, meanLength: 6 });
    expect(result.byFamily.map((f) => [f.family, f.accuracy])).toEqual([
      ['comparison', share(problems.filter((p) => p.family === 'comparison'), 'A')],
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

  it('answers each problem k times at a temperature and reports avg@k over the answers', async () => {
    // Even samples answer A, odd ones B: avg@4 = (share of A + share of B) / 2 exactly.
    const engine = scriptedEngine(({ sample }) => `<think></think><answer>${sample % 2 === 0 ? 'A' : 'B'}</answer>`);
    const decoding = { samples: 4, temperature: 1, topP: 0.9 };
    const result = unwrap(await evaluateOnSuite({ ...suiteOptions, decoding, engine }));
    expect(engine.requests.map((r) => [r.prompts.length, r.samplesPerPrompt])).toEqual(Array.from({ length: 6 }, () => [2, 4]));
    expect(engine.requests.every((r) => r.sampling.temperature === 1 && r.sampling.topP === 0.9)).toBe(true);
    const problems = unwrap(suiteProblems(suiteOptions));
    expect(result.decoding).toEqual(decoding);
    expect(result.overall.count).toBe(48);
    expect(result.overall.accuracy).toBeCloseTo((share(problems, 'A') + share(problems, 'B')) / 2, 12);
    const ids = result.items.map((i) => i.id);
    expect(new Set(ids).size).toBe(12);
    ids.forEach((id, i) => expect(id).toBe(ids[i - (i % 4)]));
    expect(result.items.map((i) => i.text.includes('>A<'))).toEqual(result.items.map((_, i) => i % 2 === 0));
    expect(result.cells.map((c) => c.count)).toEqual([12, 12, 12, 12]);
  });

  it('names a bad option, and passes an engine failure or a malformed answer on', async () => {
    const engine = answersA();
    const field = async (options: Parameters<typeof evaluateOnSuite>[0]): Promise<string | false> => {
      const result = await evaluateOnSuite(options);
      return E.isLeft(result) && result.left.field;
    };
    expect(await field({ ...suiteOptions, problemsPerCell: 0, engine })).toBe('problemsPerCell');
    expect(await field({ ...suiteOptions, split: 'train' as 'test', engine })).toBe('split');
    expect(await field({ ...suiteOptions, decoding: { samples: 2, temperature: 0, topP: 1 }, engine })).toBe('decoding.samples');
    expect(await field({ ...suiteOptions, decoding: { samples: 2, temperature: 1, topP: 0 }, engine })).toBe('decoding.topP');
    expect(await field({ ...suiteOptions, maxNewTokens: 11, engine })).toBe('maxNewTokens');
    expect(engine.requests).toHaveLength(0);

    const failing = { ...answersA(), sample: (): EngineResult<Samples> => Promise.resolve(E.left(new StageError('remote', 'http', null, 'invalid', 'connection refused'))) };
    const failed = await evaluateOnSuite({ ...suiteOptions, engine: failing });
    expect(E.isLeft(failed) && [failed.left.stage, failed.left.detail]).toEqual(['remote', 'connection refused']);

    const scripted = answersA();
    const short = { ...scripted, sample: async (r: Parameters<ScriptedEngine['sample']>[0]) => E.map((s: Samples) => ({ ...s, tokens: s.tokens.slice(1), lengths: s.lengths.slice(1) }))(await scripted.sample(r)) };
    expect(await field({ ...suiteOptions, engine: short })).toBe('samples.tokens');
  });

  it('with the TensorFlow.js engine and a tiny model: deterministic per seed, no tensor leaked', async () => {
    const engine = tiny;
    const before = tf.memory().numTensors;
    const a = unwrap(await evaluateOnSuite({ ...suiteOptions, engine }));
    const b = unwrap(await evaluateOnSuite({ ...suiteOptions, engine }));
    const decoding = { samples: 4, temperature: 1, topP: 0.9 };
    const sampled = unwrap(await evaluateOnSuite({ ...suiteOptions, decoding, engine }));
    expect(unwrap(await evaluateOnSuite({ ...suiteOptions, decoding, engine }))).toEqual(sampled);
    expect(tf.memory().numTensors).toBe(before);
    expect(b).toEqual(a);
    expect(a.overall.count).toBe(12);
    expect(a.overall.meanLength).toBeGreaterThan(0);
    expect(a.overall.meanLength).toBeLessThanOrEqual(10);
    expect(new Set(sampled.items.map((i) => i.text)).size).toBeGreaterThan(12);
    const other = unwrap(suiteProblems({ ...suiteOptions, seed: 6 }));
    expect(other.map((p) => p.id)).not.toEqual(a.items.map((i) => i.id));
  });
});

describe('evaluateOnDataset through the engine contract', () => {
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

  it("loads a JSONL dataset at the engine's input size, verifies answers and sets aside what the model cannot read", async () => {
    const engine = answersA();
    const loaded = await evaluateDatasetFile({ engine, path: join(dir, 'data.jsonl'), maxNewTokens: 10, seed: 0 });
    if (E.isLeft(loaded)) throw loaded.left;
    const result = loaded.right;
    expect(result.skipped).toEqual([{ id: 'unreadable', reason: expect.stringContaining('not in the alphabet') as unknown as string }]);
    expect(result.overall.count).toBe(6);
    expect(result.overall.accuracy).toBe(share(problems, 'A'));
    expect(engine.requests).toHaveLength(1);
    expect(engine.requests[0]!.prompts.every((p) => p.image.length === 32 * 32 * 3)).toBe(true);
  });

  it('evaluates the engine a checkpoint loader creates from a directory, then releases it', async () => {
    const loadedFrom: string[] = [];
    let disposed = 0;
    const result = await evaluateCheckpointOnDataset({
      checkpointDir: join(dir, 'ckpt'),
      load: async (from) => {
        loadedFrom.push(from);
        return E.right({ ...answersA(), dispose: async () => void disposed++ });
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

  it('runs the TensorFlow.js engine on dataset items greedily, the same answers whatever the seed and batch size', async () => {
    const engine = tiny;
    const items = problems.map((p) => ({ ...p, id: p.id }));
    const a = unwrap(await evaluateOnDataset({ engine, items, maxNewTokens: 10, seed: 0, batchSize: 4 }));
    const b = unwrap(await evaluateOnDataset({ engine, items, maxNewTokens: 10, seed: 1, batchSize: 6 }));
    expect(a.items.map((i) => i.text)).toEqual(b.items.map((i) => i.text));
    expect(a.skipped).toEqual([]);
    const small = { ...items[0]!, image: { width: 16, height: 16, data: new Float32Array(16 * 16 * 3) } };
    expect(unwrap(await evaluateOnDataset({ engine, items: [small], maxNewTokens: 10, seed: 0 })).skipped[0]!.reason).toContain('16×16');
  });
});
