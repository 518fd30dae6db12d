/**
 * The WebGPU adapter checks (webgpu-device.ts) without a GPU: which adapters count as software
 * ones (skipped by `auto`), how an adapter is described in logs, and that `auto` never picks a
 * software adapter and says why webgpu was passed over.
 */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from './backend.js';
import { describeAdapter, isSoftwareAdapter, type WebGpuAdapterInfo } from './webgpu-device.js';

const swiftShader: WebGpuAdapterInfo = { vendor: 'google', architecture: 'swiftshader', device: 'swiftshader-device-subzero-', description: 'SwiftShader driver 5.0.0', isFallbackAdapter: true };
const nvidia: WebGpuAdapterInfo = { vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H200', isFallbackAdapter: false };

describe('webgpu adapters', () => {
  it('counts SwiftShader, llvmpipe and any fallback adapter as software, a GPU as hardware', () => {
    expect(isSoftwareAdapter(swiftShader)).toBe(true);
    expect(isSoftwareAdapter({ ...swiftShader, isFallbackAdapter: false })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', architecture: '', device: 'llvmpipe (LLVM 15.0.6, 256 bits)', description: '' })).toBe(true);
    expect(isSoftwareAdapter({ ...nvidia, isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter(nvidia)).toBe(false);
  });

  it('describes an adapter by vendor, architecture and description, marking a software one', () => {
    expect(describeAdapter(nvidia)).toBe('nvidia hopper (NVIDIA H200)');
    expect(describeAdapter(swiftShader)).toBe('google swiftshader (swiftshader-device-subzero-, SwiftShader driver 5.0.0), a software adapter');
    expect(describeAdapter({ vendor: '', architecture: '', device: '', description: '' })).toBe('unnamed adapter');
  });

  it('auto takes no software adapter, and says why when it passes webgpu over', async () => {
    const info = await initBackend('auto', { threads: 1 });
    if (info.name === 'webgpu') expect(info.device).not.toContain('a software adapter');
    else expect(info.reason).toMatch(/webgpu: (no WebGPU adapter found|the only adapter is .*a software adapter|the optional package)/);
    expect(tf.getBackend()).toBe(info.tfBackend);
  });
});
