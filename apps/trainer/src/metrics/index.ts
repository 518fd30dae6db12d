export * from './columns.js';
export * from './encode.js';
export * from './read.js';
export * from './writer.js';
export * from './truncate.js';
export * from './compare.js';
export * from './summary.js';
