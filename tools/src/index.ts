export * from './bench-stages.js';
