/**
 * The TensorFlow.js engine on the `webgpu` backend (docs/backends.md), tiny configuration: the
 * engine contract suite (sample log-probs = teacher-forced ones, determinism, agreement with a
 * one-pass engine, tensor counts flat over 50 steps, bit-exact resume, field-named refusals), and
 * the parameter gradient of forwardBackward against the cpu backend's (the reference) within
 * float32 tolerance, and the kernel rlflow replaces (addN past the storage-buffer limit, see
 * tensor/add-many.ts). Runs where a WebGPU adapter exists (`npm run test:webgpu` selects
 * SwiftShader); reported as skipped with the reason elsewhere.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { matrix, Rng, unwrap, type Matrix } from '@rlflow/core';
import type { EngineOptions, WeightedTerm } from '@rlflow/engine';
import { describeEngineContract } from '@rlflow/engine/testing';
import { tinyPolicyConfig } from '../config.js';
import { addMany } from '../tensor/add-many.js';
import { describeOnWebGpu, probeWebGpu } from '../testing/webgpu.js';
import { takeWebGpuErrors } from '../webgpu-device.js';
import { CONTRACT_WIDTH, contractFixtures, contractSequences } from './contract-fixtures.js';
import { createTfjsEngine, TfjsEngine } from './tfjs-engine.js';

const probe = await probeWebGpu();

describeOnWebGpu('tfjs engine on webgpu', probe, () => {
  describeEngineContract('tfjs (webgpu, tiny)', createTfjsEngine, contractFixtures('webgpu'));

  const options = (device: string): EngineOptions => ({ init: { kind: 'seed', seed: 5 }, model: tinyPolicyConfig, reference: false, tokenBudget: 70, device });
  const weights = (seed: number, scale: number): Matrix => {
    const rng = Rng.fromSeed(seed);
    const size = contractSequences.length * CONTRACT_WIDTH;
    return matrix(contractSequences.length, CONTRACT_WIDTH, Float64Array.from({ length: size }, () => scale * (2 * rng.next() - 1)));
  };
  const terms: WeightedTerm[] = [
    { view: { kind: 'full' }, logpWeights: weights(1, 1), entropyWeights: weights(4, 0.3) },
    { view: { kind: 'masked', probability: 0.5, seed: 3 }, logpWeights: weights(2, 0.5), entropyWeights: weights(3, 0.5) },
  ];
  const gradientsOn = async (device: string): Promise<{ gradients: Map<string, Float32Array>; surrogate: number }> => {
    const engine = unwrap(await TfjsEngine.create(options(device)));
    const { surrogate } = unwrap(await engine.forwardBackward({ sequences: contractSequences, responseWidth: CONTRACT_WIDTH, terms }));
    const gradients = await engine.accumulatedGradients();
    await engine.dispose();
    return { gradients, surrogate };
  };

  describe('forwardBackward against the cpu backend', () => {
    it('gives every parameter gradient of the cpu backend within float32 tolerance (≤ 1e-4 relative per parameter)', async () => {
      const cpu = await gradientsOn('cpu');
      const gpu = await gradientsOn('webgpu');
      expect(tf.getBackend()).toBe('webgpu');
      expect(Math.abs(gpu.surrogate - cpu.surrogate)).toBeLessThanOrEqual(1e-4 * Math.abs(cpu.surrogate));
      for (const [name, reference] of cpu.gradients) {
        const actual = gpu.gradients.get(name)!;
        let difference = 0;
        let norm = 0;
        reference.forEach((x, i) => {
          difference += (x - actual[i]!) ** 2;
          norm += x * x;
        });
        expect(norm, name).toBeGreaterThan(0);
        expect(Math.sqrt(difference / norm), name).toBeLessThanOrEqual(1e-4);
      }
    });
  });

  describe('kernels tfjs-backend-webgpu gets wrong', () => {
    it('addN past the storage-buffer limit is a device error; addMany sums any count exactly', async () => {
      const ramp = (): tf.Tensor[] => Array.from({ length: 41 }, (_, i) => tf.fill([3], i + 1));
      takeWebGpuErrors();
      const inputs = ramp();
      const fixed = addMany(inputs);
      expect(Array.from(await fixed.data())).toEqual([861, 861, 861]);
      expect(takeWebGpuErrors()).toEqual([]);
      // A failed submission also drops the uploads recorded with it, so these inputs are not reused.
      const doomed = ramp();
      const broken = tf.addN(doomed);
      await broken.data();
      expect(takeWebGpuErrors().join('\n')).toMatch(/storage buffers/);
      tf.dispose([...inputs, ...doomed, fixed, broken]);
    });
  });
});
