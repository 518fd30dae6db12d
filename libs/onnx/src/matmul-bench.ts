/**
 * The compute peak the onnx engine's figures are quoted against: GFLOP/s = 2n³ / seconds of one
 * n×n·n×n float32 MatMul through an InferenceSession on the CPU execution provider (MLAS), the
 * same measure as the tfjs bench's 1024³ matmul (tools/src/bench-model.ts).
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import * as ort from 'onnxruntime-node';
import { Rng } from '@rlflow/core';
import { GraphBuilder } from './graph.js';

/** GFLOP/s of `repeats` timed n³ matmuls after one untimed, with `threads` intra-op threads. */
export const onnxMatmulSamples = async (n: number, repeats = 5, threads = availableParallelism()): Promise<number[]> => {
  const g = new GraphBuilder();
  const a = g.input('a', [n, n]);
  const b = g.input('b', [n, n]);
  g.output('c', g.node('MatMul', [a, b], {}, [n, n]));
  const session = await ort.InferenceSession.create(g.model('matmul'), { executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1 });
  const rng = Rng.fromSeed(1);
  const feeds = {
    a: new ort.Tensor('float32', Float32Array.from({ length: n * n }, () => 2 * rng.next() - 1), [n, n]),
    b: new ort.Tensor('float32', Float32Array.from({ length: n * n }, () => 2 * rng.next() - 1), [n, n]),
  };
  const once = async (): Promise<number> => {
    const start = performance.now();
    const out = await session.run(feeds);
    const seconds = (performance.now() - start) / 1000;
    out['c']!.dispose();
    return seconds;
  };
  try {
    await once();
    const samples: number[] = [];
    for (let i = 0; i < repeats; i++) samples.push((2 * n ** 3) / (await once()) / 1e9);
    return samples;
  } finally {
    await session.release();
  }
};
