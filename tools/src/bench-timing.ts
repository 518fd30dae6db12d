/**
 * What the benches share: timing a piece of work, the median and range of repeated timings, and
 * turning an engine's `Either` into a value or a thrown error that names the bench.
 */
import * as E from 'fp-ts/lib/Either.js';
import type { StageError } from '@rlflow/core';

export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Median (the upper one of an even count), minimum and maximum. */
export const spread = (xs: readonly number[]): Spread => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)]!, min: s[0]!, max: s[s.length - 1]! };
};

/** `run`'s value and its wall-clock seconds. */
export const timed = async <A>(run: () => Promise<A>): Promise<{ value: A; seconds: number }> => {
  const t0 = performance.now();
  const value = await run();
  return { value, seconds: (performance.now() - t0) / 1000 };
};

/** The right side, or an error `${bench}: ${message}`. */
export const orThrow =
  (bench: string) =>
  <A>(result: E.Either<StageError, A>): A => {
    if (E.isLeft(result)) throw new Error(`${bench}: ${result.left.message}`);
    return result.right;
  };
