/**
 * A 3×5 pixel font for the digits and the few symbols the suite draws: small enough that an
 * eight-glyph expression fits in 32 pixels, and every pair of glyphs differs in at least one
 * pixel (proved in font.test.ts).
 */
export const GLYPH_WIDTH = 3;
export const GLYPH_HEIGHT = 5;
/** Horizontal distance between the left edges of consecutive glyphs. */
export const GLYPH_ADVANCE = 4;

const rows = (...lines: readonly string[]): readonly string[] => lines;

export const GLYPHS: Readonly<Record<string, readonly string[]>> = {
  '0': rows('###', '#.#', '#.#', '#.#', '###'),
  '1': rows('.#.', '##.', '.#.', '.#.', '###'),
  '2': rows('###', '..#', '###', '#..', '###'),
  '3': rows('###', '..#', '.##', '..#', '###'),
  '4': rows('#.#', '#.#', '###', '..#', '..#'),
  '5': rows('###', '#..', '###', '..#', '###'),
  '6': rows('###', '#..', '###', '#.#', '###'),
  '7': rows('###', '..#', '.#.', '.#.', '.#.'),
  '8': rows('###', '#.#', '###', '#.#', '###'),
  '9': rows('###', '#.#', '###', '..#', '###'),
  '+': rows('...', '.#.', '###', '.#.', '...'),
  '-': rows('...', '...', '###', '...', '...'),
  '=': rows('...', '###', '...', '###', '...'),
  '?': rows('###', '..#', '.##', '...', '.#.'),
};

/** Width in pixels of `text` drawn with `GLYPH_ADVANCE` spacing. */
export const textWidth = (text: string): number => (text.length === 0 ? 0 : text.length * GLYPH_ADVANCE - 1);
