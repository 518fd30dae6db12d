export * from './layout.js';
export * from './checkpoints.js';
export * from './events.js';
export * from './signals.js';
export * from './progress.js';
