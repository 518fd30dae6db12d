export * from './load.js';
export * from './csv.js';
export * from './python-text.js';
export * from './python-number.js';
export * from './python-literal.js';
export * from './mathvista.js';
export * from './logicvista.js';
export * from './mmmu-pro.js';
