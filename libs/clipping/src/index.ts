/**
 * @rlflow/clipping — clip bounds (fixed, AAAC), policy losses (ppo with dual clip, gspo, cispo),
 * KL estimators and the KL loss, loss aggregation, and PAPO's extra terms (docs/algorithms.md §2–§6,
 * §10). Each has a plain float64 reference (value, metrics, analytic ∂loss/∂logp) and a
 * TensorFlow.js form whose gradient comes from autodiff.
 */
export * from './aggregation.js';
export * from './aggregation.tensor.js';
export * from './bounds.js';
export * from './fixed.js';
export * from './aaac.js';
export * from './aaac.tensor.js';
export * from './clip-bounds.stage.js';
export * from './clip-bounds.operator.js';
export * from './kl.js';
export * from './kl.tensor.js';
export * from './papo.js';
export * from './papo.tensor.js';
export * from './policy/types.js';
export * from './policy/ppo.js';
export * from './policy/ppo.tensor.js';
export * from './policy/gspo.js';
export * from './policy/gspo.tensor.js';
export * from './policy/cispo.js';
export * from './policy/cispo.tensor.js';
export * from './policy/registry.js';
export { detached, stopGradient } from './tensor/stop-gradient.js';
export { toTensor2D, matrixFromTensor } from './tensor/convert.js';
export { lossAndGradient, type LossAndGradient, type Evaluated } from './tensor/evaluate.js';
export { registerKernelGradients } from './tensor/gradients.js';
