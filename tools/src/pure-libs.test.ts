/**
 * The algorithm libraries are engine-free: nothing in libs/core, libs/advantage, libs/clipping or
 * libs/curriculum (sources, tests and package.json) imports or depends on TensorFlow.js, and
 * they import no rlflow library but each other, so importing them never loads an engine. The
 * tensor forms of their stages live in @rlflow/policy/tensor.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const PURE_LIBS = ['core', 'advantage', 'clipping', 'curriculum'] as const;
const PURE_PACKAGES = PURE_LIBS.map((lib) => `@rlflow/${lib}`);

/** The module specifiers of `import … from`, `export … from`, `import '…'`, `import('…')` and `require('…')`. */
const moduleSpecifiers = (source: string): string[] =>
  [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"]([^'"\n]+)['"]/g)].map((m) => m[1]!);

/** Why `specifier` may not be imported by a pure library, or undefined when it may. */
const forbiddenReason = (specifier: string): string | undefined => {
  if (specifier.startsWith('@tensorflow/')) return 'TensorFlow.js';
  if (specifier.startsWith('@rlflow/') && !PURE_PACKAGES.some((p) => specifier === p || specifier.startsWith(`${p}/`))) return 'a library outside the pure set';
  return undefined;
};

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mts|cts|js|mjs)$/.test(entry.name) ? [path] : [];
  });

describe('the pure libraries do not load TensorFlow.js or an engine', () => {
  it('the scanner finds every form of import and tells the forbidden ones', () => {
    const sample = [
      "import * as tf from '@tensorflow/tfjs-core';",
      "import '@tensorflow/tfjs-backend-cpu';",
      "export { x } from '@rlflow/policy/tensor';",
      "const m = await import('@tensorflow/tfjs-backend-wasm');",
      "const r = require('@rlflow/engine');",
      "import { unwrap } from '@rlflow/core';",
      "import { golden } from '@rlflow/clipping/golden';",
    ].join('\n');
    const specifiers = moduleSpecifiers(sample);
    expect(specifiers).toEqual([
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-backend-cpu',
      '@rlflow/policy/tensor',
      '@tensorflow/tfjs-backend-wasm',
      '@rlflow/engine',
      '@rlflow/core',
      '@rlflow/clipping/golden',
    ]);
    expect(specifiers.map(forbiddenReason)).toEqual([
      'TensorFlow.js',
      'TensorFlow.js',
      'a library outside the pure set',
      'TensorFlow.js',
      'a library outside the pure set',
      undefined,
      undefined,
    ]);
  });

  for (const lib of PURE_LIBS) {
    it(`libs/${lib}: no source file imports TensorFlow.js or a non-pure rlflow library`, () => {
      const files = sourceFiles(join(root, 'libs', lib, 'src'));
      expect(files.length).toBeGreaterThan(0);
      const offending = files.flatMap((file) =>
        moduleSpecifiers(readFileSync(file, 'utf8')).flatMap((specifier) => {
          const reason = forbiddenReason(specifier);
          return reason === undefined ? [] : [`${relative(root, file)} imports ${specifier} (${reason})`];
        }),
      );
      expect(offending).toEqual([]);
    });

    it(`libs/${lib}/package.json: no dependency on TensorFlow.js or a non-pure rlflow library`, () => {
      const manifest = JSON.parse(readFileSync(join(root, 'libs', lib, 'package.json'), 'utf8')) as Record<string, unknown>;
      const kinds = ['dependencies', 'devDependencies', 'peerDependencies', 'optionalDependencies'] as const;
      const names = kinds.flatMap((kind) => Object.keys((manifest[kind] ?? {}) as Record<string, string>));
      expect(names.filter((name) => forbiddenReason(name) !== undefined)).toEqual([]);
    });
  }
});
