/**
 * @rlflow/policy/tensor — everything of rlflow that is a tensor outside the model itself: the
 * TensorFlow.js forms of the clipping stages (clip bounds, policy losses, KL, aggregation, PAPO;
 * docs/algorithms.md §2–§6, §10), whose gradient comes from tfjs autodiff and is the reference
 * the engine's objective is tested against, and the autodiff plumbing they and the engine share
 * (the kernel gradient registrations, stop-gradient, conversions, value-and-gradient read-back,
 * the cpu backend for tests). The plain float64 forms, names and parameters are @rlflow/clipping's.
 */
export { aggregateTensor, aggregateTensorUnchecked, aggregationWeightsTensorUnchecked } from './losses/aggregation.js';
export { aaacTensor, type ClipBoundsTensors } from './losses/aaac.js';
export { klEstimateTensor, klEstimateTensorUnchecked, klLossTensor, klLossWeightsTensorUnchecked, type KlLossTensorInput } from './losses/kl.js';
export { papoTensor, type PapoTensorInput, type PapoTensors } from './losses/papo.js';
export { ppoTensor } from './losses/policy/ppo.js';
export { gspoTensor } from './losses/policy/gspo.js';
export { cispoTensor } from './losses/policy/cispo.js';
export { tensorPolicyLosses, tensorPolicyLossByName, type PolicyLossTensor } from './losses/policy/registry.js';
export type { PolicyLossTensorInput, PolicyLossTensorParams, PolicyLossTensors } from './losses/policy/types.js';
export { detached, stopGradient } from './stop-gradient.js';
export { toTensor2D, matrixFromTensor } from './convert.js';
export { lossAndGradient, type LossAndGradient, type Evaluated } from './evaluate.js';
export { registerKernelGradients } from './gradients.js';
export { addMany, ADD_MANY_FAN_IN } from './add-many.js';
export { useCpuBackend } from './cpu-backend.js';
export { objectiveTensor, type ObjectiveTensors, type ObjectiveConstants } from './objective.js';
