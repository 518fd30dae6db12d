/**
 * Tolerance checks for golden cases: plain-number stages to 1e-9, float32 tensor forms to
 * 1e-4 relative or 1e-5 absolute (docs/algorithms.md). A mismatch names the path of the value.
 */

export interface Tolerance {
  readonly abs: number;
  readonly rel: number;
}

export const PLAIN: Tolerance = { abs: 1e-9, rel: 1e-9 };
export const FLOAT32: Tolerance = { abs: 1e-5, rel: 1e-4 };

export const isClose = (actual: number, expected: number, tol: Tolerance): boolean =>
  actual === expected || Math.abs(actual - expected) <= Math.max(tol.abs, tol.rel * Math.abs(expected));

type Nested = number | boolean | null | readonly Nested[];

/** Every mismatch between `actual` and `expected` (numbers, booleans, nested arrays), as `path: actual vs expected`. */
export const mismatches = (actual: unknown, expected: unknown, tol: Tolerance, path = ''): string[] => {
  if (Array.isArray(expected) || ArrayBuffer.isView(expected)) {
    const exp = Array.from(expected as ArrayLike<Nested>);
    if (!(Array.isArray(actual) || ArrayBuffer.isView(actual))) return [`${path}: expected an array, found ${String(actual)}`];
    const act = Array.from(actual as ArrayLike<unknown>);
    if (act.length !== exp.length) return [`${path}: length ${act.length}, expected ${exp.length}`];
    return exp.flatMap((e, i) => mismatches(act[i], e, tol, `${path}[${i}]`));
  }
  if (typeof expected === 'number') {
    return typeof actual === 'number' && isClose(actual, expected, tol) ? [] : [`${path}: ${String(actual)} vs expected ${expected}`];
  }
  return actual === expected ? [] : [`${path}: ${String(actual)} vs expected ${String(expected)}`];
};

/** Throws with every mismatch listed when `actual` differs from `expected` beyond `tol`. */
export const assertClose = (actual: unknown, expected: unknown, tol: Tolerance, label: string): void => {
  const found = mismatches(actual, expected, tol);
  if (found.length > 0) {
    const shown = found.slice(0, 8).join('\n  ');
    throw new Error(`${label}: ${found.length} mismatch(es)\n  ${shown}${found.length > 8 ? '\n  ...' : ''}`);
  }
};
