import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImage, problemPrompt, sampleProblems } from '@rlflow/rollout';
import { main } from '../main.js';

const dir = mkdtempSync(join(tmpdir(), 'rlflow-tasks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('rlflow tasks', () => {
  it('writes upscaled PNGs and a JSONL that match the suite', async () => {
    const out = join(dir, 'chart');
    expect(await main(['tasks', '--family', 'chart,pattern', '--level', '2,3', '--count', '4', '--out', out, '--seed', '5', '--split', 'test', '--scale', '4'])).toBe(0);
    const lines = readFileSync(join(out, 'problems.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const expected = sampleProblems({ families: ['chart', 'pattern'], levels: [2, 3], split: 'test', seed: 5, count: 4 });
    if (E.isLeft(expected)) throw expected.left;
    expect(lines.map((l) => l['id'])).toEqual(expected.right.map((p) => p.id));
    expect(lines.map((l) => l['prompt'])).toEqual(expected.right.map(problemPrompt));
    expect(readdirSync(out).filter((f) => f.endsWith('.png'))).toHaveLength(4);
    for (const [i, line] of lines.entries()) {
      expect(line).toMatchObject({ split: 'test', answer: expected.right[i]!.answer, solution: expected.right[i]!.solution });
      const png = decodeImage(new Uint8Array(readFileSync(join(out, String(line['image'])))));
      if (E.isLeft(png)) throw png.left;
      expect([png.right.width, png.right.height]).toEqual([128, 128]);
      // Nearest-neighbour: the top-left 4×4 block of the PNG is the problem's first pixel.
      const first = Array.from(expected.right[i]!.image.data.slice(0, 3), (v) => Math.round(v * 255));
      expect(Array.from(png.right.data.slice(3 * (3 * 128 + 3), 3 * (3 * 128 + 3) + 3), (v) => Math.round(v * 255))).toEqual(first);
    }
  });

  it('accepts all families', async () => {
    const out = join(dir, 'all');
    expect(await main(['tasks', '--family', 'all', '--level', '1', '--count', '5', '--out', out, '--scale', '1'])).toBe(0);
    expect(readdirSync(out)).toContain('problems.jsonl');
  });

  it.each([
    ['--family', 'maze'],
    ['--level', '6'],
    ['--count', '0'],
    ['--split', 'dev'],
    ['--scale', 'x'],
  ])('exits 2 on a bad %s', async (flag, value) => {
    const args: Record<string, string> = { '--family': 'counting', '--level': '1', '--count': '1', '--out': join(dir, 'bad'), [flag]: value };
    expect(await main(['tasks', ...Object.entries(args).flat()])).toBe(2);
  });

  it('exits 2 without --out', async () => {
    expect(await main(['tasks', '--family', 'counting', '--level', '1'])).toBe(2);
  });
});
