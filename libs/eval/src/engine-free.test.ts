/**
 * libs/eval is engine-free (docs/architecture.md): it scores, summarises and reports, and never
 * imports an engine, the model or the task suite. Local evaluation of a policy lives in the
 * trainer (apps/trainer/src/evaluate). This test fails on any import of those packages from
 * libs/eval/src and on any such dependency in libs/eval/package.json.
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SELF = fileURLToPath(import.meta.url);
const SRC = dirname(SELF);
const FORBIDDEN = [/^@rlflow\/policy(\/|$)/, /^@rlflow\/rollout(\/|$)/, /^@rlflow\/trainer(\/|$)/, /^@tensorflow\//];

/** Module specifiers of static imports and re-exports, side-effect imports, `import()` and `require()`. */
const specifiers = (source: string): string[] => {
  const patterns = [/\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1]!));
};

const sourceFiles = async (): Promise<string[]> =>
  (await readdir(SRC, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile() && /\.(ts|mts|js|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    // This file's own examples of forbidden imports are strings, not imports.
    .filter((file) => file !== SELF);

describe('libs/eval is engine-free', () => {
  it('finds the imports it scans for', () => {
    expect(specifiers(`import * as tf from '@tensorflow/tfjs-core';\nimport type { Policy } from "@rlflow/policy";\nexport { x } from '@rlflow/rollout';\nimport '@tensorflow/tfjs-node';\nconst m = await import('@rlflow/policy');`)).toEqual([
      '@tensorflow/tfjs-core',
      '@rlflow/policy',
      '@rlflow/rollout',
      '@tensorflow/tfjs-node',
      '@rlflow/policy',
    ]);
  });

  it('no file under libs/eval/src imports @rlflow/policy, @rlflow/rollout, the trainer or TensorFlow.js', async () => {
    const files = await sourceFiles();
    expect(files.length).toBeGreaterThan(50);
    const offending: string[] = [];
    for (const file of files) {
      for (const spec of specifiers(await readFile(file, 'utf8'))) {
        if (FORBIDDEN.some((pattern) => pattern.test(spec))) offending.push(`${relative(SRC, file)}: ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });

  it('libs/eval/package.json depends on none of them', async () => {
    const pkg = JSON.parse(await readFile(join(SRC, '..', 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    const names = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'].flatMap((key) => Object.keys(pkg[key] ?? {}));
    expect(names).toContain('@rlflow/core');
    expect(names.filter((name) => FORBIDDEN.some((pattern) => pattern.test(name)))).toEqual([]);
  });
});
