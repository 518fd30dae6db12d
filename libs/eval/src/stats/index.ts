export * from './summary.js';
export * from './bootstrap.js';
export * from './curve.js';
export * from './pass-at-k.js';
export * from './seeds.js';
export * from './paired.js';
