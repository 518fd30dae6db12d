export * from './gate.js';
export * from './reuse.js';
export { adaptReuse, adaptiveReuseChecks, ADAPTIVE_DEFAULTS, type AdaptiveReuseParams, type Drift } from './adaptive-reuse.js';
export * from './config.js';
export * from './state.js';
export * from './reduce.js';
export * from './codec.js';
export * from './operators/keep-informative-groups.js';
export * from './operators/thread-curriculum.js';
