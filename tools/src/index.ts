export * from './bench-stages.js';
export * from './bench-model.js';
export * from './bench-rl-step.js';
export * from './bench-anchor.js';
export * from './bench-packing.js';
