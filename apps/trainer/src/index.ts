export { main, buildProgram, UsageError } from './main.js';
export * from './config/index.js';
export * from './presets/index.js';
export * from './metrics/index.js';
export * from './run/index.js';
