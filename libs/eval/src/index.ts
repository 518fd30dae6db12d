export * from './formats/index.js';
export * from './scorers/index.js';
export * from './stats/index.js';
export * from './report/index.js';
export * from './endpoint/index.js';
export * from './llm-extract/index.js';
