/**
 * The demo at a tiny size (a tiny model, a 2-step warm start, 3 RL steps of 2 prompts): it runs
 * end to end, its report.json decodes with DemoReportCodec and holds the figures report.md shows
 * (held-out changes per slice, an evaluation per evaluated step, the mechanisms per step, the
 * final policy), and the plots label what they show. The codec rejects what the schema does not
 * allow, naming the path. The demo at its own size is run by `npm start`.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@rlflow/policy';
import type { SuiteEvaluation, SuiteItemResult } from '../evaluate/index.js';
import { defaultSftConfig, type SftConfig } from '../sft/index.js';
import { testPolicyConfig } from '../pipeline/testing/tiny-run.js';
import { DEMO_STEPS, TRAILING_WINDOW, demoConfig, runDemo, trailingMean, type DemoResult } from './demo.js';
import { decodeDemoReport, pairedChange, problemScores, type DemoReport } from './report.js';

const tinySft = (): SftConfig => {
  const base = defaultSftConfig({ steps: 2, levels: [1] });
  return {
    ...base,
    policy: testPolicyConfig,
    batchSize: 4,
    families: ['counting', 'chart'],
    eval: { split: 'validation', families: ['counting', 'chart'], levels: [1], problemsPerCell: 1, seed: 3, maxNewTokens: 8, batchSize: 8 },
  };
};

const TINY_RUN = [
  'rollout.promptsPerStep=2',
  'rollout.groupSize=4',
  'rollout.maxNewTokens=8',
  'rollout.maxAttempts=2',
  'curriculum.miniBatches=2',
  'eval.every=1',
  'eval.problemsPerCell=2',
  'eval.samples=2',
  'eval.families=[counting, chart]',
  'checkpoint.keep=1',
  'optimizer.lr=0.001',
];

let root: string;
let result: DemoResult;
let report: DemoReport;
beforeAll(async () => {
  await initBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'rlflow-demo-'));
  result = await runDemo({ out: join(root, 'demo'), steps: 3, seed: 1, backend: 'cpu', log: () => undefined, sft: tinySft(), cacheRoot: join(root, 'cache'), sets: TINY_RUN });
  const decoded = decodeDemoReport(JSON.parse(await readFile(join(root, 'demo', 'report.json'), 'utf8')));
  if (E.isLeft(decoded)) throw new Error(decoded.left.join('\n'));
  report = decoded.right;
}, 120_000);
afterAll(async () => {
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

const item = (family: SuiteItemResult['family'], level: SuiteItemResult['level'], correct: boolean): SuiteItemResult => ({
  id: `${family}/${level}`,
  text: '',
  length: 1,
  correct,
  formatOk: true,
  reward: correct ? 1.5 : 0.5,
  family,
  level,
});

const evaluation = (samples: number, items: SuiteItemResult[]): SuiteEvaluation => {
  const stats = { count: items.length, correct: 0, accuracy: 0, formatRate: 1, meanLength: 1 };
  return { decoding: { samples, temperature: samples === 1 ? 0 : 1, topP: 1 }, overall: stats, byFamily: [], byLevel: [], cells: [], items };
};

describe('demo', () => {
  it('trains acpo from the warm start on level 1 with several mini-batches and K(t) 1 → 3, evaluating the test split during the run', () => {
    const resolved = demoConfig({ steps: DEMO_STEPS, seed: 1, backend: 'wasm', init: '/warm' });
    if (E.isLeft(resolved)) throw resolved.left;
    const config = resolved.right;
    expect(config).toMatchObject({ preset: 'acpo', steps: DEMO_STEPS, seed: 1, init: '/warm', backend: 'wasm' });
    expect(config.rollout.levels).toEqual([1]);
    expect(config.curriculum.miniBatches).toBeGreaterThan(1);
    expect([config.curriculum.kMin, config.curriculum.kMax]).toEqual([1, 3]);
    expect(config.eval.split).toBe('test');
    expect(config.eval.samples).toBeGreaterThan(1);
    // At least 4 evaluations during training, besides the warm start's.
    expect(Math.floor(DEMO_STEPS / config.eval.every)).toBeGreaterThanOrEqual(4);
    expect(DEMO_STEPS).toBeGreaterThanOrEqual(20);
  });

  it('writes report.json, which the codec decodes, with every figure of the run', async () => {
    expect(report.steps).toBe(3);
    expect(report.seconds).toBeGreaterThan(0);
    expect(report.evaluations.map((e) => e.step)).toEqual([0, 1, 2, 3]);
    expect(report.evaluations[0]).toEqual({ step: 0, greedy: result.before.greedy.overall.accuracy, sampled: result.before.sampled!.overall.accuracy });
    expect(report.evaluations[3]).toEqual({ step: 3, greedy: result.after.greedy.overall.accuracy, sampled: result.after.sampled!.overall.accuracy });
    expect(Object.keys(report.heldOut)).toEqual(['all', 'counting', 'chart']);
    expect(report.heldOut['all']!.greedy).toEqual(pairedChange(result.before.greedy, result.after.greedy, () => true));
    expect(report.heldOut['all']!.sampled.before).toBe(result.before.sampled!.overall.accuracy);
    const { reuse, clipFrac, epsHighMean, rejectedGroups } = report.mechanisms;
    expect(reuse).toEqual([1, 2, 3]);
    for (const series of [clipFrac, epsHighMean, rejectedGroups]) expect(series).toHaveLength(3);
    expect((await stat(join(report.checkpoint, 'weights.bin'))).isFile()).toBe(true);
    const markdown = await readFile(result.reportPath, 'utf8');
    expect(markdown).toContain('| step | greedy | avg@2 |');
    expect(markdown).toContain('K(t)');
  });

  it('labels its plots: the held-out plot over every evaluation with a legend of greedy and avg@k', async () => {
    const svg = await readFile(join(root, 'demo', 'held-out.svg'), 'utf8');
    expect(svg).toContain('>decoding</text>');
    expect(svg).toContain('>greedy</text>');
    expect(svg).toContain('>avg@2 (temperature 1)</text>');
    expect(svg).not.toContain('>algorithm</text>');
    expect(svg.match(/aria-roledescription="point"/g)?.length).toBe(2 * 4);
    for (const file of ['reward.svg', 'accuracy.svg', 'reuse.svg', 'clipping.svg', 'eps-high.svg', 'rejected.svg']) {
      expect((await readFile(join(root, 'demo', file), 'utf8')).startsWith('<svg'), file).toBe(true);
    }
  });

  it('shows the rollout curves per step and as a trailing mean', async () => {
    const svg = await readFile(join(root, 'demo', 'reward.svg'), 'utf8');
    expect(svg).toContain('>per step</text>');
    expect(svg).toContain(`>${TRAILING_WINDOW}-step trailing mean</text>`);
    const series = { label: 'x', points: [1, 2, 3, 4].map((value, i) => ({ step: i + 1, value })) };
    expect(trailingMean(series, 2).points.map((p) => p.value)).toEqual([1, 1.5, 2.5, 3.5]);
  });

  it('rejects a report outside the schema, naming the path', () => {
    const bad = { ...report, extra: 1, evaluations: [{ step: 0, greedy: 1.5, sampled: 0.1 }], heldOut: { all: { ...report.heldOut['all']!, greedy: { ...report.heldOut['all']!.greedy, ci95: [0.2, 0.1] } } } };
    const decoded = decodeDemoReport(bad);
    expect(E.isLeft(decoded)).toBe(true);
    const problems = E.isLeft(decoded) ? decoded.left.join('\n') : '';
    expect(problems).toContain('extra: unknown key');
    expect(problems).toContain('evaluations[0].greedy');
    expect(problems).toContain('heldOut.all.greedy.ci95');
  });

  it('scores each problem from its k answers and keeps the selected slice', () => {
    const sampled = evaluation(2, [item('counting', 1, true), item('counting', 1, false), item('chart', 2, true), item('chart', 2, true)]);
    expect(problemScores(sampled, () => true)).toEqual([0.5, 1]);
    expect(problemScores(sampled, (i) => i.family === 'chart')).toEqual([1]);
    const greedy = evaluation(1, [item('counting', 1, false), item('chart', 2, true)]);
    expect(problemScores(greedy, (i) => i.level === 1)).toEqual([0]);
  });
});
