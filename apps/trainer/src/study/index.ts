export * from './plan.js';
export * from './summary.js';
export * from './codec.js';
export * from './report.js';
export * from './run.js';
