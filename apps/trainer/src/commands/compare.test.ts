import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../main.js';

const root = mkdtempSync(join(tmpdir(), 'rlflow-compare-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const writeRun = (name: string, algorithm: string, seed: number, rate: number): string => {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ preset: algorithm, seed, algorithm: { name: algorithm, advantage: 'grpo' }, steps: 40 }));
  const rows = Array.from({ length: 40 }, (_, i) => {
    const reward = 0.9 * (1 - Math.exp(-rate * (i + 1))) + 0.01 * Math.cos(i + seed);
    return JSON.stringify({ step: i + 1, 'reward/mean': reward, 'reward/accuracy': reward, 'actor/pg_clipfrac': 0.05, 'response_length/mean': 50 + i, 'actor/entropy': 1 - i / 80 });
  });
  writeFileSync(join(dir, 'metrics.jsonl'), `${rows.join('\n')}\n`);
  return dir;
};

describe('rlflow compare', () => {
  it('writes report.md and the SVG plots for runs grouped by algorithm', async () => {
    const dirs = [writeRun('g1', 'grpo', 1, 0.05), writeRun('g2', 'grpo', 2, 0.05), writeRun('a1', 'acpo', 1, 0.1), writeRun('a2', 'acpo', 2, 0.1)];
    const out = join(root, 'out');
    let stdout = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout += String(chunk);
      return true;
    });
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['compare', ...dirs, '--out', out, '--resamples', '200'])).toBe(0);
    expect(stdout).toContain(`wrote ${join(out, 'report.md')}`);
    expect(stderr.mock.calls.map((call) => String(call[0]))).toEqual(['rlflow compare: note: no run logs eval/accuracy; no eval_accuracy.svg\n']);
    expect(readdirSync(out).sort()).toEqual(['accuracy.svg', 'clip_fraction.svg', 'entropy.svg', 'report.md', 'response_length.svg', 'reward.svg']);
    const report = readFileSync(join(out, 'report.md'), 'utf8');
    expect(report).toMatch(/\n\| grpo \| 2 \| /);
    expect(report).toMatch(/\n\| acpo \| 2 \| /);
    expect(readFileSync(join(out, 'entropy.svg'), 'utf8')).toContain('>actor/entropy</text>');
  });

  it('exits 2 without --out or with a bad --resamples, and 1 for a directory without a run', async () => {
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    expect(await main(['compare', root])).toBe(2);
    expect(await main(['compare', root, '--out', join(root, 'x'), '--resamples', '0'])).toBe(2);
    expect(await main(['compare', join(root, 'missing'), '--out', join(root, 'y')])).toBe(1);
  });
});
