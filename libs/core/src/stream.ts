/**
 * The bridge from pure stages to RxJS: a stage is `(input) => Either<StageError, output>`;
 * its operator is a `map` that forwards the output, or errors the stream with the typed error.
 */
import * as E from 'fp-ts/lib/Either.js';
import { map, type OperatorFunction } from 'rxjs';
import type { StageError } from './errors.js';

export type Stage<A, B> = (input: A) => E.Either<StageError, B>;

/** The value inside a Right, or throws the StageError inside a Left. */
export const unwrap = <A>(result: E.Either<StageError, A>): A => {
  if (E.isLeft(result)) throw result.left;
  return result.right;
};

export const stageOperator = <A, B>(stage: Stage<A, B>): OperatorFunction<A, B> => map((input: A) => unwrap(stage(input)));
