import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { repoRoot } from '@rlflow/core/testing';
import { formatCsv, parseCsv } from '@rlflow/eval';
import { main } from '../main.js';

const benchmarks = process.env['RLFLOW_BENCHMARKS_DIR'] ?? resolve(repoRoot(), 'fixtures', 'benchmarks');
const dir = mkdtempSync(join(tmpdir(), 'rlflow-score-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

/** Runs the CLI and returns its exit code with what it wrote to stdout and stderr. */
const run = async (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, stdout, stderr };
};

interface Summary {
  readonly benchmark: string;
  readonly correct: number;
  readonly total: number;
  readonly accuracy: number;
  readonly unparsed: number;
  readonly breakdown: Record<string, Record<string, { correct: number; total: number; accuracy: number }>>;
}

describe('rlflow score', () => {
  it('MathVista Bard: --json prints 348/1000 and --per-item writes one row per item', async () => {
    const perItem = join(dir, 'bard.jsonl');
    const { code, stdout } = await run(['score', '--benchmark', 'mathvista', '--input', join(benchmarks, 'mathvista/results/output_bard.json'), '--json', '--per-item', perItem]);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as Summary;
    expect(Object.keys(summary)).toEqual(['benchmark', 'correct', 'total', 'accuracy', 'unparsed', 'breakdown']);
    expect([summary.benchmark, summary.correct, summary.total, summary.accuracy]).toEqual(['mathvista', 348, 1000, 0.348]);
    expect(summary.breakdown['question_type']).toEqual({
      multi_choice: { correct: 263, total: 540, accuracy: 263 / 540 },
      free_form: { correct: 85, total: 460, accuracy: 85 / 460 },
    });
    const lines = readFileSync(perItem, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(1000);
    expect(Object.keys(lines[0]!).slice(0, 4)).toEqual(['id', 'prediction', 'correct', 'parsed']);
    expect(lines.filter((line) => line['correct'] === true)).toHaveLength(348);
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('LogicVista GPT4: the readable table with the stored-verdict check', async () => {
    const { code, stdout } = await run([
      'score',
      '--benchmark',
      'logicvista',
      '--input',
      join(benchmarks, 'logicvista/eval/results/GPT4-accuracy-results.csv'),
      '--dataset',
      join(benchmarks, 'logicvista/dataset.json'),
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain('logicvista: 146/448 correct = 32.59%');
    expect(stdout).toContain('stored verdicts: 448/448 rows agree');
    expect(stdout).toMatch(/\ndeductive +51 +93 +54\.84%\n/);
  });

  it.each([
    ['gpt-4o_standard10_cot.jsonl', 952, 0],
    ['gpt-4o_vision_cot.jsonl', 866, 3],
  ])('MMMU-Pro %s: %i/1730 with %i unparsed', async (file, correct, unparsed) => {
    const { code, stdout } = await run(['score', '--benchmark', 'mmmu-pro', '--input', join(benchmarks, 'mmmu-pro/output', file), '--json']);
    expect(code).toBe(0);
    const summary = JSON.parse(stdout) as Summary;
    expect([summary.correct, summary.total, summary.unparsed]).toEqual([correct, 1730, unparsed]);
    expect(summary.breakdown['route']?.['random']?.total ?? 0).toBe(unparsed);
  });

  describe('a subset of the items', () => {
    it('MathVista: 40 of the 1000 Bard rows, scored over those rows as calculate_score.py does', async () => {
      const all = JSON.parse(readFileSync(join(benchmarks, 'mathvista/results/output_bard.json'), 'utf8')) as Record<string, { true_false: boolean }>;
      const pids = Object.keys(all).filter((_, i) => i % 25 === 3);
      const input = join(dir, 'output_bard_subset.json');
      writeFileSync(input, JSON.stringify(Object.fromEntries(pids.map((pid) => [pid, all[pid]!]))));
      const { code, stdout, stderr } = await run(['score', '--benchmark', 'mathvista', '--input', input, '--json']);
      expect(code, stderr).toBe(0);
      expect(stderr).toBe('');
      const summary = JSON.parse(stdout) as Summary;
      expect([summary.correct, summary.total]).toEqual([pids.filter((pid) => all[pid]!.true_false).length, 40]);
    });

    it('LogicVista: 20 rows of the GPT4 CSV, against the full dataset (with a warning) and against a dataset of those 20 items (without)', async () => {
      const records = parseCsv('GPT4')(readFileSync(join(benchmarks, 'logicvista/eval/results/GPT4-accuracy-results.csv'), 'utf8'));
      if (records._tag === 'Left') throw records.left;
      const [header, ...rows] = records.right;
      const subset = rows.filter((_, i) => i % 22 === 5).slice(0, 20);
      const input = join(dir, 'GPT4-subset-accuracy-results.csv');
      writeFileSync(input, formatCsv([header!, ...subset]));
      const matches = subset.filter((row) => row[row.length - 1] === '1').length;
      const full = await run(['score', '--benchmark', 'logicvista', '--input', input, '--dataset', join(benchmarks, 'logicvista/dataset.json'), '--json']);
      expect(full.code, full.stderr).toBe(0);
      expect(full.stderr).toMatch(/has 20 of the 448 items/);
      expect([(JSON.parse(full.stdout) as Summary).correct, (JSON.parse(full.stdout) as Summary).total]).toEqual([matches, 20]);

      const dataset = JSON.parse(readFileSync(join(benchmarks, 'logicvista/dataset.json'), 'utf8')) as Record<string, unknown>;
      const idColumn = header!.indexOf('id');
      const subsetDataset = join(dir, 'dataset-subset.json');
      writeFileSync(subsetDataset, JSON.stringify(Object.fromEntries(subset.map((row) => [row[idColumn]!, dataset[row[idColumn]!]]))));
      const own = await run(['score', '--benchmark', 'logicvista', '--input', input, '--dataset', subsetDataset, '--json']);
      expect(own.code, own.stderr).toBe(0);
      expect(own.stderr).toBe('');
      expect((JSON.parse(own.stdout) as Summary).correct).toBe(matches);
    });

    it('MMMU-Pro: 100 rows, scored with a warning that evaluate.py::check_files would skip the file', async () => {
      const lines = readFileSync(join(benchmarks, 'mmmu-pro/output/gpt-4o_standard10_cot.jsonl'), 'utf8').trim().split('\n').slice(200, 300);
      const input = join(dir, 'gpt-4o_standard10_cot_subset.jsonl');
      writeFileSync(input, `${lines.join('\n')}\n`);
      const { code, stdout, stderr } = await run(['score', '--benchmark', 'mmmu-pro', '--input', input, '--json']);
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(/has 100 rows; evaluate\.py::check_files skips/);
      const right = lines.filter((line) => [true, 'True'].includes((JSON.parse(line) as { if_right: boolean | string }).if_right)).length;
      expect([(JSON.parse(stdout) as Summary).correct, (JSON.parse(stdout) as Summary).total]).toEqual([right, 100]);
    });
  });

  it.each([
    [['score', '--benchmark', 'gsm8k', '--input', 'x'], /--benchmark must be one of mathvista, logicvista, mmmu-pro/],
    [['score', '--benchmark', 'logicvista', '--input', 'x.csv'], /needs --dataset/],
    [['score', '--benchmark', 'logicvista', '--input', 'GPT4-answers.json', '--dataset', 'd.json'], /scores an official \*-accuracy-results\.csv/],
    [['score', '--benchmark', 'mathvista', '--input', 'x.json', '--dataset', 'd.json'], /--dataset is only used with --benchmark logicvista/],
    [['score', '--benchmark', 'mmmu-pro', '--input', 'x.jsonl', '--fallback', 'guess'], /--fallback must be stored or seeded/],
    [['score', '--benchmark', 'mmmu-pro', '--input', 'x.jsonl', '--seed', '1.5'], /--seed must be an integer/],
  ])('usage errors exit 2: %j', async (args, message) => {
    const { code, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('a missing option exits 2 and an unreadable input exits 1 naming the file', async () => {
    expect((await run(['score', '--benchmark', 'mathvista'])).code).toBe(2);
    const missing = await run(['score', '--benchmark', 'mathvista', '--input', join(dir, 'nope.json')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope.json: cannot read the file');
  });
});
