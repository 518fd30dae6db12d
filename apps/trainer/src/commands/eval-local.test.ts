import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyInitCheckpoint } from '../pipeline/testing/tiny-run.js';

const bin = resolve(import.meta.dirname, '../../bin/rlflow.js');
const fixtures = resolve(import.meta.dirname, '../../../../libs/rollout/fixtures/dataset');
const rlflow = (args: readonly string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });

let checkpoint: string;
beforeAll(async () => {
  checkpoint = await tinyInitCheckpoint(2);
});
afterAll(async () => {
  if (checkpoint !== undefined) await rm(checkpoint, { recursive: true, force: true });
});

describe('rlflow eval-local', () => {
  it('evaluates a checkpoint on the held-out suite, per level and family', () => {
    const out = rlflow(['eval-local', '--checkpoint', checkpoint, '--problems', '2', '--levels', '1,2', '--backend', 'cpu', '--json']);
    expect(out.status, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as { overall: { count: number; accuracy: number }; byLevel: { level: number }[]; byFamily: unknown[] };
    expect(result.overall.count).toBe(2 * 2 * 5);
    expect(result.overall.accuracy).toBeGreaterThanOrEqual(0);
    expect(result.byLevel.map((l) => l.level)).toEqual([1, 2]);
    expect(result.byFamily).toHaveLength(5);
  });

  it('targets the validation split with --split validation (test by default), and refuses another name', () => {
    const run = (split: string[]) => rlflow(['eval-local', '--checkpoint', checkpoint, '--problems', '2', '--levels', '1', ...split, '--backend', 'cpu', '--json']);
    const [validation, test] = [run(['--split', 'validation']), run([])];
    expect(validation.status, validation.stderr).toBe(0);
    expect((JSON.parse(validation.stdout) as { split: string }).split).toBe('validation');
    expect((JSON.parse(test.stdout) as { split: string }).split).toBe('test');
    const bad = run(['--split', 'train']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--split "train": expected one of validation, test');
  });

  it('reports avg@k over k sampled answers per problem, and refuses a bad temperature', () => {
    const out = rlflow(['eval-local', '--checkpoint', checkpoint, '--problems', '2', '--levels', '1', '--samples', '3', '--temperature', '0.7', '--backend', 'cpu', '--json']);
    expect(out.status, out.stderr).toBe(0);
    const result = JSON.parse(out.stdout) as { decoding: unknown; overall: { count: number } };
    expect(result.decoding).toEqual({ samples: 3, temperature: 0.7, topP: 1 });
    expect(result.overall.count).toBe(2 * 5 * 3);
    const bad = rlflow(['eval-local', '--checkpoint', checkpoint, '--samples', '2', '--temperature', '0', '--backend', 'cpu']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--temperature is "0", expected a number in (0, 10]');
  });

  it('evaluates a checkpoint on a JSONL dataset', () => {
    const out = rlflow(['eval-local', '--checkpoint', checkpoint, '--data', resolve(fixtures, 'valid.jsonl'), '--backend', 'cpu', '--json']);
    expect(out.status, out.stderr).toBe(0);
    expect(JSON.parse(out.stdout)).toMatchObject({ count: 5, malformed: 0 });
  });

  it('says what is wrong with a directory that holds no checkpoint, with exit code 2', () => {
    const out = rlflow(['eval-local', '--checkpoint', fixtures, '--backend', 'cpu']);
    expect(out.status).toBe(2);
    expect(out.stderr).toContain('holds no rlflow policy checkpoint');
  });
});
