import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unwrap } from '@rlflow/core';
import { evaluateOnSuite } from '../evaluate/index.js';
import { createPolicy, createTfjsEngine, initBackend, tinyPolicyConfig, tokenizer } from '@rlflow/policy';
import { main } from '../main.js';
import { canonicalJson, defaultSftConfig, sftConfigHash, type SftConfig } from './config.js';
import { POLICY_FILE, readPolicyCheckpoint, WEIGHTS_FILE, writePolicyCheckpoint } from '@rlflow/policy';
import { sftBatches } from './data.js';
import { createSftProgress } from './progress.js';
import { formatSftReport } from './report.js';
import { ensureSftCheckpoint, sftCacheDir, type SftCheckpoint } from './store.js';

/** A tiny model (the suite's prompt and response budgets) and a few steps: fast, not meant to learn. */
const tiny = (steps = 3): SftConfig => {
  const base = defaultSftConfig({ steps, levels: [1] });
  return {
    ...base,
    policy: { ...tinyPolicyConfig, maxPromptTokens: 48, maxResponseTokens: 32 },
    batchSize: 4,
    families: ['counting', 'comparison'],
    eval: { split: 'validation', families: ['counting', 'comparison'], levels: [1, 2], problemsPerCell: 2, seed: 3, maxNewTokens: 32, batchSize: 8 },
  };
};

const ok = <A>(result: E.Either<Error, A>): A => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

let root: string;
beforeAll(async () => {
  await initBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'rlflow-sft-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

describe('sft config hash', () => {
  it('ignores key order and changes with any field', () => {
    const config = tiny();
    const reordered = JSON.parse(canonicalJson({ ...config, eval: { ...config.eval } })) as SftConfig;
    expect(sftConfigHash(reordered)).toBe(sftConfigHash(config));
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 4, e: 5 }] } })).toBe('{"a":{"c":[3,{"e":5,"f":4}],"d":2},"b":1}');
    const hashes = new Set([config, tiny(4), { ...config, seed: 1 }, { ...config, levels: [1, 2] }, { ...config, optimizer: { ...config.optimizer, learningRate: 1e-3 } }].map((c) => sftConfigHash(c as SftConfig)));
    expect(hashes.size).toBe(5);
    expect(sftConfigHash(config)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('trains on levels 1-3 of every family by default', () => {
    const config = defaultSftConfig();
    expect([config.levels, config.families.length, config.eval.levels]).toEqual([[1, 2, 3], 5, [1, 2, 3, 4, 5]]);
  });
});

describe('sft data', () => {
  it('teacher-forces the reference solution followed by end-of-sequence', () => {
    const batches = ok(sftBatches({ families: ['arithmetic'], levels: [1], seed: 0, batchSize: 2 }));
    const batch = batches.next().value as ReturnType<typeof batches.next>['value'];
    expect(batch).toHaveLength(2);
    const text = ok(tokenizer.decode(batch[0].responseTokens));
    expect(text).toMatch(/^<think>.*<\/think><answer>\d+<\/answer><eos>$/);
    expect(ok(tokenizer.decode(batch[0].promptTokens))).toBe('what is the result?');
  });
});

describe('policy checkpoint', () => {
  it('round-trips the weights exactly and rejects a truncated file', async () => {
    const dir = join(root, 'ckpt');
    const policy = createPolicy(tiny().policy, 5);
    await writePolicyCheckpoint(dir, policy);
    const loaded = ok(await readPolicyCheckpoint(dir));
    const a = policy.weights();
    for (const [name, values] of loaded.weights()) expect(Array.from(values)).toEqual(Array.from(a.get(name)!));
    expect(loaded.config).toEqual(policy.config);
    policy.dispose();
    loaded.dispose();
    await truncate(join(dir, WEIGHTS_FILE), 100);
    const bad = await readPolicyCheckpoint(dir);
    expect(E.isLeft(bad) && bad.left.message).toContain('expected');
  });
});

describe('ensureSftCheckpoint', () => {
  let first: SftCheckpoint;
  const cacheRoot = (): string => join(root, 'cache');

  it('trains on a cache miss, writes the checkpoint and sft.json, and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const lines: string[] = [];
    first = ok(await ensureSftCheckpoint({ config: tiny(), cacheRoot: cacheRoot(), progress: { write: (s: string) => lines.push(s) } }));
    expect(tf.memory().numTensors).toBe(before);
    expect(first.trained).toBe(true);
    expect(first.dir).toBe(sftCacheDir(sftConfigHash(tiny()), cacheRoot()));
    expect(first.record.hash).toBe(sftConfigHash(tiny()));
    expect(first.record.losses).toHaveLength(3);
    expect(Object.keys(first.record.accuracy.byLevel)).toEqual(['1', '2']);
    expect(first.record.evaluation.overall.count).toBe(8);
    expect(lines.join('')).toContain('sft step 3/3 (100%)');
    const json = JSON.parse(await readFile(join(first.dir, 'sft.json'), 'utf8')) as { hash: string; config: SftConfig };
    expect([json.hash, json.config.steps]).toEqual([first.hash, 3]);
    expect(formatSftReport(first)).toContain('level 2');
  });

  it('trains on the onnx engine when asked, cached apart from the tfjs one, with the same losses to float32 rounding', async () => {
    expect(sftConfigHash(tiny(), 'tfjs')).toBe(sftConfigHash(tiny()));
    const onnx = ok(await ensureSftCheckpoint({ config: tiny(), cacheRoot: cacheRoot(), engine: 'onnx' }));
    expect(onnx.trained).toBe(true);
    expect(onnx.hash).not.toBe(first.hash);
    expect(onnx.dir).toBe(sftCacheDir(sftConfigHash(tiny(), 'onnx'), cacheRoot()));
    expect(onnx.record.backend).toMatch(/onnxruntime/);
    onnx.record.losses.forEach((loss, i) => expect(Math.abs(loss - first.record.losses[i]!)).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(loss))));
    expect(ok(await ensureSftCheckpoint({ config: tiny(), cacheRoot: cacheRoot(), engine: 'onnx' })).trained).toBe(false);
    expect(E.isLeft(await ensureSftCheckpoint({ config: tiny(), cacheRoot: cacheRoot(), engine: 'tinker' }))).toBe(true);
  });

  it('reuses the stored warm start when the configuration matches', async () => {
    const again = ok(await ensureSftCheckpoint({ config: tiny(), cacheRoot: cacheRoot() }));
    expect(again.trained).toBe(false);
    expect(again.record).toEqual(first.record);
  });

  it('loads a checkpoint that scores as recorded', async () => {
    const engine = unwrap(await createTfjsEngine({ init: { kind: 'weights', dir: first.checkpointDir }, model: undefined, reference: false, tokenBudget: 0, device: 'cpu' }));
    const evaluation = unwrap(await evaluateOnSuite({ engine, ...tiny().eval }));
    expect(evaluation.overall).toEqual(first.record.evaluation.overall);
    await engine.dispose();
  });

  it('carries the sha256 of its weights, and refuses a tampered weights.bin (load refused, the cache retrains)', async () => {
    const out = join(root, 'tampered');
    const stored = ok(await ensureSftCheckpoint({ config: tiny(1), out }));
    const weights = await readFile(join(stored.checkpointDir, WEIGHTS_FILE));
    const digest = createHash('sha256').update(weights).digest('hex');
    const manifest = JSON.parse(await readFile(join(stored.checkpointDir, POLICY_FILE), 'utf8')) as { weightsSha256: string };
    expect([stored.record.weightsSha256, manifest.weightsSha256]).toEqual([digest, digest]);
    weights[weights.length >> 1] = weights[weights.length >> 1]! ^ 0x01;
    await writeFile(join(stored.checkpointDir, WEIGHTS_FILE), weights);
    const refused = await readPolicyCheckpoint(stored.checkpointDir);
    expect(E.isLeft(refused) && refused.left.message).toMatch(new RegExp(`${WEIGHTS_FILE}: sha256 [0-9a-f]{64}, ${POLICY_FILE} says ${digest}`));
    const logs: string[] = [];
    const retrained = ok(await ensureSftCheckpoint({ config: tiny(1), out, log: (line) => logs.push(line) }));
    expect(retrained.trained).toBe(true);
    expect(logs.join('\n')).toContain(WEIGHTS_FILE);
    const reloaded = ok(await readPolicyCheckpoint(retrained.checkpointDir));
    reloaded.dispose();
  });

  it('trains a new one when the configuration changes, and again when forced', async () => {
    const changed = ok(await ensureSftCheckpoint({ config: tiny(2), cacheRoot: cacheRoot() }));
    expect([changed.trained, changed.record.losses.length]).toEqual([true, 2]);
    expect(changed.dir).not.toBe(first.dir);
    const forced = ok(await ensureSftCheckpoint({ config: tiny(2), cacheRoot: cacheRoot(), force: true }));
    expect(forced.trained).toBe(true);
    expect(forced.record.createdAt >= changed.record.createdAt).toBe(true);
  });

  it('rebuilds an explicit output directory that holds another configuration or a broken record', async () => {
    const out = join(root, 'out');
    const logs: string[] = [];
    const a = ok(await ensureSftCheckpoint({ config: tiny(2), out }));
    const b = ok(await ensureSftCheckpoint({ config: tiny(1), out, log: (l) => logs.push(l) }));
    expect([a.trained, b.trained, b.record.hash]).toEqual([true, true, sftConfigHash(tiny(1))]);
    expect(logs.join('\n')).toContain(`holds the warm start of configuration ${a.hash}`);
    await writeFile(join(out, 'sft.json'), '{ not json');
    const c = ok(await ensureSftCheckpoint({ config: tiny(1), out }));
    expect(c.trained).toBe(true);
    expect(ok(await ensureSftCheckpoint({ config: tiny(1), out })).trained).toBe(false);
  });

  it('refuses to replace a directory that is not a warm start, and an invalid configuration', async () => {
    const foreign = join(root, 'foreign');
    await mkdir(foreign, { recursive: true });
    await writeFile(join(foreign, 'notes.txt'), 'mine');
    const refused = await ensureSftCheckpoint({ config: tiny(1), out: foreign });
    expect(E.isLeft(refused) && refused.left.message).toContain('refusing');
    const invalid = await ensureSftCheckpoint({ config: { ...tiny(), steps: 0 }, out: join(root, 'never') });
    expect(E.isLeft(invalid) && invalid.left.message).toContain('steps');
  });
});

describe('sft progress', () => {
  it('prints plain lines every few steps and at the end when not on a terminal', () => {
    const lines: string[] = [];
    const progress = createSftProgress({ totalSteps: 5, stream: { write: (s: string) => lines.push(s) }, plainEvery: 2 });
    for (let step = 1; step <= 5; step++) progress.update({ step, loss: 1 / step, seconds: 0.5 });
    progress.stop();
    expect(lines.map((l) => l.split(' | ')[0])).toEqual(['sft step 2/5 (40%)', 'sft step 4/5 (80%)', 'sft step 5/5 (100%)']);
    expect(lines[0]).toContain('loss 0.500');
  });
});

describe('rlflow sft', () => {
  it('rejects bad usage with exit code 2', async () => {
    const stderr = process.stderr.write.bind(process.stderr);
    const errors: string[] = [];
    process.stderr.write = ((s: string) => errors.push(s) > 0) as typeof process.stderr.write;
    try {
      expect(await main(['sft', '--steps', '0'])).toBe(2);
      expect(await main(['sft', '--levels', '1,6'])).toBe(2);
      expect(await main(['sft', '--backend', 'gpu'])).toBe(2);
      expect(await main(['sft', '--engine', 'tinker'])).toBe(2);
      expect(await main(['sft', '--recipe', 'nope'])).toBe(2);
      expect(await main(['sft', '--recipe', 'demo', '--steps', '3'])).toBe(2);
    } finally {
      process.stderr.write = stderr;
    }
    expect(errors.join('')).toContain('--steps');
  });
});
