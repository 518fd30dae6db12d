/**
 * A short `acpo` run on the `webgpu` backend (docs/backends.md): two steps of the tiny run from a
 * tiny checkpoint, with metrics, evaluations and checkpoints, every metric finite and the tensor
 * count the same after each step. Runs where a WebGPU adapter exists (`npm run test:webgpu`
 * selects SwiftShader); reported as skipped with the reason elsewhere.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import * as E from 'fp-ts/lib/Either.js';
import { describeOnWebGpu, probeWebGpu } from '@rlflow/policy/testing';
import { readMetricsJsonl } from '../metrics/index.js';
import { listCheckpoints, runPaths } from '../run/index.js';
import { runTraining } from './run.js';
import { tinyInitCheckpoint, tinyRunConfig } from './testing/tiny-run.js';

const probe = await probeWebGpu();
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describeOnWebGpu('rlflow train on webgpu', probe, () => {
  it('acpo runs two steps on webgpu with finite metrics, checkpoints, and a flat tensor count', async () => {
    const init = await tinyInitCheckpoint();
    const root = await mkdtemp(join(tmpdir(), 'rlflow-webgpu-run-'));
    dirs.push(init, root);
    const lines: string[] = [];
    const dir = join(root, 'run');
    const result = await runTraining({
      config: tinyRunConfig('acpo', init, ['backend=webgpu']),
      dir,
      resume: false,
      log: (line) => void lines.push(line),
      progressStream: { write: () => true, isTTY: false },
      handleSignals: false,
    });
    expect(result).toMatchObject({ stepsDone: 2, reason: 'completed', exitCode: 0 });
    expect(result.backend).toMatch(/^webgpu \(/);
    expect(lines.join('\n')).toContain(`on ${result.backend}`);
    const rows = await readMetricsJsonl(runPaths(dir).metricsJsonl);
    if (E.isLeft(rows)) throw rows.left;
    expect(rows.right.items.map((r) => r.step)).toEqual([1, 2]);
    for (const row of rows.right.items) {
      for (const [key, value] of Object.entries(row)) if (typeof value === 'number') expect(Number.isFinite(value), `${key} = ${value}`).toBe(true);
    }
    expect(rows.right.items[1]!['memory/num_tensors']).toBe(rows.right.items[0]!['memory/num_tensors']);
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([1, 2]);
  });
});
