export { createOnnxEngine, onnxEngineFactory, ONNX_ENGINE, type OnnxEngineOptions } from './engine.js';
export { OrtTeacherForcedPasses, type OrtPassOptions } from './ort-passes.js';
export { buildPolicyGraph, gradientName, GRAPH_IO, type PolicyGraphShape } from './policy-graph.js';
export { Tape } from './autodiff.js';
export { GraphBuilder, type Value } from './graph.js';
export { onnxMatmulSamples } from './matmul-bench.js';
