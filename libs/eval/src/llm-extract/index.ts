export * from './prompt.js';
export * from './cache.js';
export * from './extract.js';
export * from './rules.js';
export * from './agreement.js';
export * from './measure.js';
