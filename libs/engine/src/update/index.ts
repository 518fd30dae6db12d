export { planUpdates, type UpdatePlan } from './plan.js';
export { runUpdates, noUpdateMetrics, type UpdateSettings, type UpdateInput, type UpdateMetrics, type UpdateOutcome } from './run.js';
export { optimizeBatch, type PlannedUpdate } from './operators.js';
export * from './builtin-loss.js';
