/**
 * A dense row-major [rows, cols] matrix of float64: the plain-number form of a per-token
 * quantity over a padded batch ([B, T]).
 */
import * as E from 'fp-ts/lib/Either.js';
import { StageError } from './errors.js';

export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** The largest finite float32 (what an engine's float32 tensors can hold). */
export const FLOAT32_MAX = 3.4028234663852886e38;

export const matrix = (rows: number, cols: number, data: Float64Array = new Float64Array(rows * cols)): Matrix => {
  if (data.length !== rows * cols) throw new RangeError(`matrix: data has ${data.length} values, expected ${rows}×${cols}`);
  return { rows, cols, data };
};

/** Builds a matrix from nested rows; ragged rows are an error naming the row. */
export const fromRows = (stage: string, field: string, rows: ReadonlyArray<ArrayLike<number>>): E.Either<StageError, Matrix> => {
  const cols = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * cols);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length !== cols) {
      return E.left(new StageError(stage, field, r, 'length-mismatch', `row has ${row.length} values, expected ${cols} (the length of row 0)`));
    }
    for (let c = 0; c < cols; c++) data[r * cols + c] = row[c]!;
  }
  return E.right({ rows: rows.length, cols, data });
};

export const toRows = (m: Matrix): number[][] =>
  Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.cols, (r + 1) * m.cols)));

export const mapMatrix = (m: Matrix, f: (x: number, row: number, col: number) => number): Matrix => {
  const out = new Float64Array(m.data.length);
  for (let r = 0; r < m.rows; r++) for (let c = 0; c < m.cols; c++) out[r * m.cols + c] = f(m.data[r * m.cols + c]!, r, c);
  return { rows: m.rows, cols: m.cols, data: out };
};

/** Broadcasts one value per row to every column: a sequence-level quantity as a per-token one. */
export const broadcastRows = (perRow: ArrayLike<number>, cols: number): Matrix => {
  const out = new Float64Array(perRow.length * cols);
  for (let r = 0; r < perRow.length; r++) out.fill(perRow[r]!, r * cols, (r + 1) * cols);
  return { rows: perRow.length, cols, data: out };
};

/** The rows `rows` of `m`, in that order, as a new [rows.length, cols] matrix. */
export const selectRows = (m: Matrix, rows: readonly number[]): Matrix => {
  const data = new Float64Array(rows.length * m.cols);
  rows.forEach((r, i) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return matrix(rows.length, m.cols, data);
};
