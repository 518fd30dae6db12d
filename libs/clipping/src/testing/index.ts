/**
 * Test helpers of @rlflow/clipping (`@rlflow/clipping/testing`), for its own tests and for the
 * tensor forms' tests in @rlflow/policy/tensor: fast-check generators of padded [B, T] batches,
 * the ratios each policy loss clips, and a central finite difference.
 */
export * from './arbitraries.js';
export * from './policy.js';
