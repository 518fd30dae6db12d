/**
 * io-ts codecs of the numeric ranges the configuration boundaries share (model, optimizer, SFT):
 * each decodes a JSON number inside its range and names the range when it fails.
 */
import * as t from 'io-ts';

/** A safe integer > 0. */
export const PositiveInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n > 0, 'PositiveInteger');
/** A safe integer ≥ 0. */
export const NonNegativeInt = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'NonNegativeInteger');
/** A finite number > 0. */
export const PositiveNumber = t.refinement(t.number, (n) => Number.isFinite(n) && n > 0, 'PositiveNumber');
/** A finite number ≥ 0. */
export const NonNegativeNumber = t.refinement(t.number, (n) => Number.isFinite(n) && n >= 0, 'NonNegativeNumber');
