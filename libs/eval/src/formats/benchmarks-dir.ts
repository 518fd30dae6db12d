/**
 * Test support: where the published benchmark files live — `RLFLOW_BENCHMARKS_DIR` when set, else
 * the committed fixtures in `fixtures/benchmarks` (provenance: `fixtures/benchmarks/PROVENANCE.md`).
 * A missing directory is an error naming the variable, not a reason to skip.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { repoRoot } from '@rlflow/core/testing';

export const benchmarksDir = (): string => {
  const dir = process.env['RLFLOW_BENCHMARKS_DIR'] ?? resolve(repoRoot(), 'fixtures', 'benchmarks');
  if (!existsSync(dir)) throw new Error(`benchmark files: directory ${dir} does not exist (set RLFLOW_BENCHMARKS_DIR)`);
  return dir;
};

export const benchmarkFile = (...parts: string[]): string => join(benchmarksDir(), ...parts);
