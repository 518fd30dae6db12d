/**
 * @rlflow/clipping — clip bounds (fixed, AAAC), policy losses (ppo with dual clip, gspo, cispo),
 * KL estimators and the KL loss, loss aggregation, and PAPO's extra terms (docs/algorithms.md §2–§6,
 * §10), each as a plain float64 reference: value, metrics, and the analytic ∂loss/∂logp. Nothing
 * here loads TensorFlow.js; the tensor forms (gradient by autodiff) are @rlflow/policy/tensor.
 */
export * from './aggregation.js';
export * from './bounds.js';
export * from './fixed.js';
export * from './aaac.js';
export * from './clip-bounds.stage.js';
export * from './clip-bounds.operator.js';
export * from './kl.js';
export * from './papo.js';
export * from './policy/types.js';
export * from './policy/ppo.js';
export * from './policy/gspo.js';
export * from './policy/cispo.js';
export * from './policy/registry.js';
export { LOG_RATIO_LIMIT, dualClipCheck } from './policy/common.js';
export { describeRange, oneOf, outside, type Range } from './validation.js';
