/**
 * `npm test`'s suites. `isolate: false`: each worker process imports TensorFlow.js, its wasm
 * backend and onnxruntime once for all its files instead of once per file (135 files: 126.6 and
 * 131.2 s against 205.9 and 228.5 s isolated, alternating on the idle 2-core machine). A test
 * file therefore leaves no state behind: it restores what it changes (spies, environment
 * variables), chooses its tfjs backend itself, and disposes its tensors (vitest.setup.ts fails a
 * file that leaves any).
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['libs/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'tools/src/**/*.test.ts', 'docs/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    isolate: false,
    setupFiles: ['./vitest.setup.ts'],
  },
});
