export * from './errors.js';
export * from './validate.js';
export * from './matrix.js';
export * from './rng.js';
export * from './stream.js';
export * from './io.js';
export * from './batch.js';
export * from './codecs.js';
