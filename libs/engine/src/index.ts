/**
 * @rlflow/engine — the engine contract every engine implements (contract.ts) and the objective
 * that turns a shaped mini-batch into the loss and ∂loss/∂logp (objective/).
 */
export * from './contract.js';
export * from './objective/types.js';
export * from './objective/objective.js';
export * from './objective/entropy-bonus.js';
export { OBJECTIVE_STAGE } from './objective/validation.js';
export * from './schedule.js';
export * from './seeds.js';
export * from './update/index.js';
