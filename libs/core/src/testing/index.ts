export * from './vectors.js';
export * from './close.js';
export * from './golden.js';
