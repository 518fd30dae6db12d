export * from './result.js';
export * from './levenshtein.js';
export * from './mathvista.js';
export * from './logicvista.js';
export * from './mmmu-pro.js';
export * from './files.js';
