export * from './bench-stages.js';
export * from './bench-model.js';
