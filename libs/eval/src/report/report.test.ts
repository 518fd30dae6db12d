import { mkdtemp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { finalValue, normalizedAuc } from '../stats/curve.js';
import { compareRuns, summarizeRun } from './compare.js';
import { formatNumber } from './markdown.js';
import { bandPoints, curvePlotSpec, renderSvg } from './plots.js';
import { decodeMetricsJsonl, loadRun, metricCurve, type RunData } from './run.js';
import { formatScoreText, perItemJsonLines, scoreSummary } from './score-text.js';
import { writeCompareReport } from './write.js';

const right = <A>(result: E.Either<Error, A>): A => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

/** A run whose reward rises as 0.8·(1 − e^(−rate·step)) plus a deterministic wiggle. */
const syntheticRows = (rate: number, seed: number, steps = 60): Array<Record<string, number | string>> =>
  Array.from({ length: steps }, (_, i) => {
    const step = i + 1;
    const reward = 0.8 * (1 - Math.exp(-rate * step)) + 0.02 * Math.sin(step * 1.7 + seed);
    return {
      step,
      'reward/mean': reward,
      'reward/accuracy': reward * 0.9,
      'actor/pg_clipfrac': 0.1 * Math.exp(-step / 30),
      'response_length/mean': 80 + step + seed,
      'actor/entropy': 1.2 - step / 100,
      ...(step % 10 === 0 ? { 'eval/accuracy': reward * 0.85 } : {}),
    };
  });

const writeRun = async (root: string, name: string, config: unknown, lines: string): Promise<string> => {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  await writeFile(join(dir, 'metrics.jsonl'), lines);
  return dir;
};

const jsonl = (rows: readonly unknown[]): string => rows.map((row) => `${JSON.stringify(row)}\n`).join('');

const run = (algorithm: string, seed: number, rows: Array<Record<string, number | string>>): RunData => ({
  dir: `${algorithm}-${seed}`,
  algorithm,
  seed,
  preset: algorithm,
  rows: rows as unknown as RunData['rows'],
  notes: [],
});

describe('decodeMetricsJsonl', () => {
  it('drops and notes a torn last line, keeps the last row of a repeated step, sorts by step', () => {
    const text = '{"step":2,"reward/mean":0.2}\n{"step":1,"reward/mean":0.1}\n{"step":2,"reward/mean":0.25}\n{"step":3,"rew';
    const decoded = right(decodeMetricsJsonl('m.jsonl')(text));
    expect(decoded.rows).toEqual([
      { step: 1, 'reward/mean': 0.1 },
      { step: 2, 'reward/mean': 0.25 },
    ]);
    expect(decoded.notes).toEqual(['m.jsonl: line 4 is torn or malformed and was ignored', 'm.jsonl: 1 repeated step(s); the last row of each step was kept']);
  });

  it('is an error for a malformed line before the last, naming it', () => {
    const bad = decodeMetricsJsonl('m.jsonl')('{"step":1}\n{"reward/mean":0.1}\n{"step":3}\n');
    expect(E.isLeft(bad) && bad.left.message).toMatch(/^m\.jsonl: line 2: step: expected number/);
    expect(E.isLeft(decodeMetricsJsonl('m.jsonl')('{"step":1}\nnot json\n{"step":3}\n'))).toBe(true);
  });

  it('reads non-finite cells as absent from a curve, and counts them', () => {
    const rows = right(decodeMetricsJsonl('m')('{"step":1,"x":1}\n{"step":2,"x":"NaN"}\n{"step":3}\n{"step":4,"x":2}\n')).rows;
    expect(metricCurve(rows, 'x')).toEqual({ steps: [1, 4], values: [1, 2], nonFinite: 1 });
  });
});

describe('loadRun', () => {
  it('groups by algorithm.name, else the preset, and notes what is missing', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rlflow-runs-'));
    const named = right(await loadRun(await writeRun(root, 'a', { algorithm: { name: 'acpo', advantage: 'grpo' }, seed: 3, extra: [1] }, jsonl(syntheticRows(0.05, 3, 5)))));
    expect([named.algorithm, named.seed, named.rows.length, named.notes]).toEqual(['acpo', 3, 5, []]);
    const preset = right(await loadRun(await writeRun(root, 'b', { preset: 'grpo' }, jsonl(syntheticRows(0.05, 1, 3)))));
    expect([preset.algorithm, preset.seed]).toEqual(['grpo', null]);
    expect(preset.notes).toEqual([`${join(root, 'b', 'config.json')}: no algorithm.name; grouped as "grpo"`, `${join(root, 'b', 'config.json')}: no seed`]);
    const missing = await loadRun(join(root, 'nowhere'));
    expect(E.isLeft(missing) && missing.left.message).toMatch(/nowhere\/config\.json: cannot read the file/);
    const badConfig = await loadRun(await writeRun(root, 'c', { seed: 'three' }, ''));
    expect(E.isLeft(badConfig) && badConfig.left.problems).toEqual(['seed: expected number, found "three"']);
  });
});

describe('compareRuns', () => {
  const runs = [run('grpo', 1, syntheticRows(0.03, 1)), run('acpo', 1, syntheticRows(0.08, 1)), run('grpo', 2, syntheticRows(0.03, 2)), run('acpo', 2, syntheticRows(0.08, 2))];

  it('computes each run’s figures with the stats functions', () => {
    const { summary } = summarizeRun(runs[0]!);
    const reward = metricCurve(runs[0]!.rows, 'reward/mean');
    expect(summary.finalReward).toBe(right(finalValue()(reward)));
    expect(summary.auc).toBe(right(normalizedAuc(reward)));
    expect(summary.accuracyKey).toBe('eval/accuracy');
    expect(summary.finalAccuracy).toBe(right(finalValue()(metricCurve(runs[0]!.rows, 'eval/accuracy'))));
    expect(summary.points).toBe(60);
  });

  it('groups by algorithm in order of appearance and aggregates across seeds', () => {
    const comparison = compareRuns(runs, { seed: 0, resamples: 200 });
    expect(comparison.algorithms.map((a) => [a.algorithm, a.runs.length])).toEqual([
      ['grpo', 2],
      ['acpo', 2],
    ]);
    const [grpo, acpo] = comparison.algorithms;
    const finals = grpo!.runs.map((r) => r.finalReward!);
    expect(grpo!.finalReward!.mean).toBeCloseTo((finals[0]! + finals[1]!) / 2, 12);
    expect(grpo!.finalReward!.std).toBeCloseTo(Math.abs(finals[0]! - finals[1]!) / Math.SQRT2, 12);
    expect(grpo!.finalReward!.ci.lower).toBeGreaterThanOrEqual(Math.min(...finals));
    expect(acpo!.stepsTo90!.mean).toBeLessThan(grpo!.stepsTo90!.mean);
    expect(acpo!.auc!.mean).toBeGreaterThan(grpo!.auc!.mean);
    expect(comparison.notes).toEqual([]);
  });

  it('tolerates missing metrics and repeated seeds, and says so', () => {
    const bare = run('ppo', 5, [{ step: 1, 'reward/mean': 0.1 }, { step: 2, 'reward/mean': 0.3 }]);
    const twin = { ...bare, dir: 'ppo-5-again' };
    const noReward = run('ppo', 6, [{ step: 1, 'actor/entropy': 1 }]);
    const comparison = compareRuns([bare, twin, noReward], { seed: 0, resamples: 50 });
    const ppo = comparison.algorithms[0]!;
    expect(ppo.finalReward!.n).toBe(2);
    expect(ppo.finalAccuracy).toBeNull();
    expect(comparison.notes).toEqual([
      'ppo-5: neither eval/accuracy nor reward/accuracy',
      'ppo-5-again: neither eval/accuracy nor reward/accuracy',
      'ppo-6: no reward/mean values',
      'ppo-6: neither eval/accuracy nor reward/accuracy',
      'ppo: seed(s) 5 appear in more than one run',
    ]);
  });
});

describe('plots', () => {
  it('bands are the mean ± sample std across the seeds that logged a step', () => {
    const points = bandPoints([run('a', 1, [{ step: 1, m: 1 }, { step: 2, m: 2 }]), run('a', 2, [{ step: 1, m: 3 }])], 'm');
    expect(points).toEqual([
      { algorithm: 'a', step: 1, mean: 2, lower: 2 - Math.SQRT2, upper: 2 + Math.SQRT2, seeds: 2 },
      { algorithm: 'a', step: 2, mean: 2, lower: 2, upper: 2, seeds: 1 },
    ]);
  });

  it('renders a Vega-Lite spec to SVG text headlessly: title, axis titles, legend, one area and one line per algorithm', async () => {
    const points = bandPoints([run('grpo', 1, syntheticRows(0.03, 1, 20)), run('acpo', 1, syntheticRows(0.08, 1, 20))], 'reward/mean');
    const svg = await renderSvg(curvePlotSpec('Reward', 'reward/mean', points));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('>Reward</text>');
    expect(svg).toContain('>step</text>');
    expect(svg).toContain('>reward/mean</text>');
    expect(svg).toContain('>acpo</text>');
    expect(svg).toContain('>grpo</text>');
    expect(svg.match(/class="mark-area role-mark/g)).toHaveLength(2);
    expect(svg.match(/class="mark-line role-mark/g)).toHaveLength(2);
    expect(svg.match(/aria-roledescription="area mark"/g)).toHaveLength(2);
    expect(svg.match(/aria-roledescription="line mark"/g)).toHaveLength(2);
    expect(svg).toContain('>algorithm</text>');
  });

  it('titles the legend with what the series are, and marks the measured points when asked', async () => {
    const points = [0, 6, 12].flatMap((step) => ['greedy', 'avg@4'].map((series) => ({ algorithm: series, step, mean: 0.3, lower: 0.3, upper: 0.3, seeds: 1 })));
    const svg = await renderSvg(curvePlotSpec('Held-out', 'accuracy', points, { legend: 'decoding', markPoints: true }));
    expect(svg).toContain('>decoding</text>');
    expect(svg).not.toContain('>algorithm</text>');
    expect(svg).toContain('>greedy</text>');
    expect(svg).toContain('>avg@4</text>');
    expect(svg.match(/aria-roledescription="point"/g)?.length).toBe(6);
  });
});

describe('writeCompareReport', () => {
  it('writes report.md and one SVG per logged metric, atomically, from run directories', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rlflow-compare-'));
    const dirs = await Promise.all(
      [
        ['grpo', 1, 0.03],
        ['grpo', 2, 0.03],
        ['acpo', 1, 0.08],
        ['acpo', 2, 0.08],
      ].map(([name, seed, rate]) =>
        writeRun(root, `${String(name)}-${String(seed)}`, { algorithm: { name }, seed }, jsonl(syntheticRows(Number(rate), Number(seed)))),
      ),
    );
    const out = join(root, 'report');
    const report = right(await writeCompareReport(dirs, out, { seed: 0, resamples: 200 }));
    expect((await readdir(out)).sort()).toEqual(['accuracy.svg', 'clip_fraction.svg', 'entropy.svg', 'eval_accuracy.svg', 'report.md', 'response_length.svg', 'reward.svg']);
    expect(report.files[0]).toBe(join(out, 'report.md'));
    const markdown = await readFile(join(out, 'report.md'), 'utf8');
    const grpo = report.comparison.algorithms.find((a) => a.algorithm === 'grpo')!;
    expect(markdown).toContain(`| grpo | 2 | ${formatNumber(grpo.finalReward!.mean)} ± ${formatNumber(grpo.finalReward!.std)} | [${formatNumber(grpo.finalReward!.ci.lower)}, ${formatNumber(grpo.finalReward!.ci.upper)}] |`);
    expect(markdown).toContain('![Reward](reward.svg)');
    expect(markdown).toContain('## Definitions');
    for (const file of report.files.slice(1)) expect((await readFile(file, 'utf8')).startsWith('<svg')).toBe(true);
  });

  it('skips plots of metrics no run logs, with a note', async () => {
    const root = await mkdtemp(join(tmpdir(), 'rlflow-compare-'));
    const dir = await writeRun(root, 'only', { algorithm: { name: 'x' }, seed: 1 }, jsonl([{ step: 1, 'reward/mean': 0 }, { step: 2, 'reward/mean': 1 }]));
    const report = right(await writeCompareReport([dir], join(root, 'out'), { resamples: 50 }));
    expect((await readdir(join(root, 'out'))).sort()).toEqual(['report.md', 'reward.svg']);
    expect(report.comparison.notes).toContain('no run logs actor/entropy; no entropy.svg');
  });
});

describe('formatNumber', () => {
  it('prints four significant digits, exponent form outside [1e-3, 1e6), a dash for nothing', () => {
    expect([formatNumber(0.678012), formatNumber(59), formatNumber(0.0004321), formatNumber(1234567), formatNumber(0), formatNumber(null)]).toEqual([
      '0.678',
      '59',
      '4.321e-4',
      '1.235e+6',
      '0',
      '—',
    ]);
  });
});

describe('score text', () => {
  const score = {
    benchmark: 'mmmu-pro' as const,
    correct: 1,
    total: 2,
    accuracy: 0.5,
    unparsed: 1,
    breakdown: { subject: { Art: { correct: 1, total: 1, accuracy: 1 }, Math: { correct: 0, total: 1, accuracy: 0 } } },
    items: [
      { id: 'a', prediction: 'A', correct: true, parsed: true, route: 'answer-line' },
      { id: 'b', prediction: null, correct: false, parsed: false, route: 'random' },
    ],
  };

  it('the summary has exactly the documented keys', () => {
    expect(Object.keys(scoreSummary(score))).toEqual(['benchmark', 'correct', 'total', 'accuracy', 'unparsed', 'breakdown']);
  });

  it('per-item lines start with id, prediction, correct, parsed', () => {
    expect(perItemJsonLines(score.items)).toBe(
      '{"id":"a","prediction":"A","correct":true,"parsed":true,"route":"answer-line"}\n{"id":"b","prediction":null,"correct":false,"parsed":false,"route":"random"}\n',
    );
  });

  it('the table shows the totals and one aligned table per breakdown key', () => {
    expect(formatScoreText(score, ['input: x.jsonl'])).toBe(
      [
        'mmmu-pro: 1/2 correct = 50.00%  (unparsed: 1)',
        'input: x.jsonl',
        '',
        'subject  correct  total  accuracy',
        '-------  -------  -----  --------',
        'Art            1      1   100.00%',
        'Math           0      1     0.00%',
        '',
      ].join('\n'),
    );
  });
});
