/**
 * Typed errors for bad input. Every stage validates what it is given and, instead of
 * producing NaN, returns a `StageError` that names the stage, the offending field and
 * the index inside it (a flat index, or `[row, col]` for matrices).
 */
export type StageErrorKind =
  | 'length-mismatch'
  | 'not-finite'
  | 'negative'
  | 'empty'
  | 'not-binary'
  | 'not-integer'
  | 'out-of-range'
  | 'invalid';

export type ErrorIndex = number | readonly [number, number] | null;

export class StageError extends Error {
  readonly _tag = 'StageError' as const;

  constructor(
    readonly stage: string,
    readonly field: string,
    readonly index: ErrorIndex,
    readonly kind: StageErrorKind,
    readonly detail: string,
  ) {
    super(`${stage}: ${field}${formatIndex(index)}: ${detail}`);
    this.name = 'StageError';
  }
}

const formatIndex = (index: ErrorIndex): string =>
  index === null ? '' : typeof index === 'number' ? `[${index}]` : `[${index[0]}][${index[1]}]`;

export const isStageError = (u: unknown): u is StageError => u instanceof StageError;
