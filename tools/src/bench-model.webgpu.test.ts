/**
 * The engine bench on the `webgpu` backend, tiny model: the same figures and checks as on cpu
 * (bench-model.case.ts). Runs where a WebGPU adapter exists (`npm run test:webgpu` selects
 * SwiftShader); reported as skipped with the reason elsewhere.
 */
import { it } from 'vitest';
import { describeOnWebGpu, probeWebGpu } from '@rlflow/policy/testing';
import { checkTinyModelBench } from './bench-model.case.js';

describeOnWebGpu('model bench on webgpu', await probeWebGpu(), () => {
  it('measures generation, a training step and a matmul in one run and writes the figures', async () => {
    await checkTinyModelBench('webgpu');
  });
});
