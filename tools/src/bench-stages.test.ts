/**
 * The stages bench on a tiny batch (its size is a parameter): both forms run, agree on the loss,
 * print a table and write the same figures as JSON.
 */
import { describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStagesBench, syntheticBatch } from './bench-stages.js';

describe('stages bench', () => {
  it('runs grpo → aaac → ppo on a tiny batch in both forms, prints a table and writes the figures', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rlflow-bench-stages-'));
    const lines: string[] = [];
    try {
      const json = join(dir, 'stages.json');
      const result = await runStagesBench({ sequences: 16, tokens: 8, groupSize: 4, repeats: 2, json, log: (line) => lines.push(line) });
      expect(result.tokenPositions).toBe(128);
      expect(['wasm', 'cpu']).toContain(result.backend);
      for (const f of [result.plain, result.tensorForward, result.tensorGradient]) {
        expect(f.tokensPerSecond).toBeGreaterThan(0);
        expect(Number.isFinite(f.tokensPerSecond)).toBe(true);
      }
      expect(result.tensorForward.loss).toBeCloseTo(result.plain.loss, 4);
      expect(result.tensorGradient.loss).toBeCloseTo(result.plain.loss, 4);
      expect(lines.join('\n')).toMatch(/tokens\/s/);
      expect(lines.join('\n')).toContain(result.backend);
      expect(JSON.parse(await readFile(json, 'utf8'))).toEqual(JSON.parse(JSON.stringify(result)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('builds a reproducible batch with groups, 0/1 rewards and a prefix mask of at least one token', () => {
    const a = syntheticBatch(12, 6, 4, 9);
    expect(syntheticBatch(12, 6, 4, 9)).toEqual(a);
    expect(Array.from(a.groupIds)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
    expect(a.rewards.every((r) => r === 0 || r === 1)).toBe(true);
    for (let r = 0; r < 12; r++) {
      const row = Array.from(a.mask.data.subarray(r * 6, r * 6 + 6));
      expect(row[0]).toBe(1);
      expect(row.join('')).toMatch(/^1+0*$/);
    }
  });

  it('rejects sizes that are not positive integers', async () => {
    await expect(runStagesBench({ sequences: 0, log: () => undefined })).rejects.toThrow(/sequences/);
  });
});
