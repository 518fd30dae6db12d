/**
 * @rlflow/tinker — the Tinker training API: its JSON wire format as io-ts codecs (`wire`, named
 * as the SDK names them, so kept in their own namespace), a
 * client with futures and retries (client.ts), the engine contract's sequences as Tinker data
 * (datum.ts), and the remote engine `createTinkerEngine` (engine.ts).
 */
export * as wire from './wire.js';
export * from './client.js';
export * from './datum.js';
export * from './engine.js';
export * from './vision-tokens.js';
