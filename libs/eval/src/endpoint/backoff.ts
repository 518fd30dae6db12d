/**
 * Retry delays: capped exponential backoff with full jitter (M. Brooker, "Exponential Backoff
 * And Jitter", AWS Architecture Blog, 2015), floored by the server's Retry-After:
 *
 *   ceiling(n) = min(maxDelayMs, baseDelayMs · 2ⁿ)            for the n-th retry, n = 0, 1, …
 *   delay(n)   = max(min(retryAfterMs, maxRetryAfterMs), u · ceiling(n)),   u ~ U[0, 1)
 *
 * `u` comes from the seeded generator, derived from (seed, request key, n), so the delays of a
 * run are reproducible whatever order the concurrent requests finish in. Retry-After is read as
 * delta-seconds or an HTTP date (RFC 9110 §10.2.3), or from OpenAI's `retry-after-ms`.
 */
import { Rng, deriveSeed } from '@rlflow/core';

export interface BackoffPolicy {
  /** Ceiling of the first retry's delay. */
  readonly baseDelayMs: number;
  /** Largest ceiling of the exponential part. */
  readonly maxDelayMs: number;
  /** Largest wait a server's Retry-After can impose. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 120_000 };

export const backoffCeilingMs = (policy: BackoffPolicy, retry: number): number =>
  Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(retry, 52));

/** The wait before the `retry`-th retry (0-based), given a uniform draw `u` in [0, 1). */
export const retryDelayMs = (policy: BackoffPolicy, retry: number, u: number, retryAfterMs?: number): number => {
  const jittered = u * backoffCeilingMs(policy, retry);
  const floor = retryAfterMs === undefined ? 0 : Math.min(Math.max(0, retryAfterMs), policy.maxRetryAfterMs);
  return Math.max(floor, jittered);
};

/** The uniform draw for retry `retry` of the request named `key`, from the run's seed. */
export const jitterDraw = (seed: number, key: string, retry: number): number => Rng.fromSeed(deriveSeed(seed, `retry:${key}:${retry}`)).next();

const DELTA_SECONDS = /^\s*\d+(\.\d+)?\s*$/;

/** The server's requested wait in ms, or undefined when it gave none (or one that does not parse). */
export const parseRetryAfterMs = (header: (name: string) => string | null | undefined, nowMs: number): number | undefined => {
  const ms = header('retry-after-ms');
  if (ms !== null && ms !== undefined && DELTA_SECONDS.test(ms)) return Number(ms);
  const value = header('retry-after');
  if (value === null || value === undefined) return undefined;
  if (DELTA_SECONDS.test(value)) return Number(value) * 1000;
  // An HTTP date names its month and zone in letters; a bare number that is not delta-seconds is not one.
  const date = /[a-z]/i.test(value) ? Date.parse(value) : Number.NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
};
