export * from './score-text.js';
export * from './run.js';
export * from './compare.js';
export * from './plots.js';
export * from './markdown.js';
export * from './write.js';
