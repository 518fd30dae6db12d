/**
 * io-ts codecs shared by the configuration and file boundaries: the numeric ranges (model,
 * optimizer, SFT), each decoding a JSON number inside its range and naming the range when it
 * fails, and `literalUnion`, the one codec of "one of these names" (a registry's keys, a list of
 * modes), built from the list itself so the list stays the only place the names are written.
 */
import * as t from 'io-ts';

export type Literal = string | number | boolean;

/**
 * The codec of exactly the values in `values` (compared with `===`), returned unchanged. Its name
 * — what a failure says was expected — is `one of "a", "b"` unless `name` is given.
 */
export const literalUnion = <const L extends Literal>(values: readonly L[], name?: string): t.Type<L, L, unknown> => {
  const allowed = new Set<Literal>(values);
  const is = (u: unknown): u is L => (typeof u === 'string' || typeof u === 'number' || typeof u === 'boolean') && allowed.has(u);
  return new t.Type<L, L, unknown>(
    name ?? `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`,
    is,
    (u, c) => (is(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );
};

/** A safe integer > 0. */
export const PositiveInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'PositiveInteger');
/** A safe integer ≥ 0. */
export const NonNegativeInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInteger');
/** A finite number > 0. */
export const PositiveNumber = t.refinement(t.number, (n) => Number.isFinite(n) && n > 0, 'PositiveNumber');
/** A finite number ≥ 0. */
export const NonNegativeNumber = t.refinement(t.number, (n) => Number.isFinite(n) && n >= 0, 'NonNegativeNumber');
