import { describe, expect, it } from 'vitest';
import { GLYPHS, GLYPH_HEIGHT, GLYPH_WIDTH, textWidth } from './font.js';
import { SHAPE_KINDS, SHAPE_SIZE, createCanvas, drawShape, drawText } from './raster.js';
import { WHITE } from './palette.js';

const pixels = (draw: (c: ReturnType<typeof createCanvas>) => void, w: number, h: number): string => {
  const canvas = createCanvas(w, h);
  draw(canvas);
  return Array.from(canvas.data.filter((_, i) => i % 3 === 0), (v) => (v > 0 ? '#' : '.')).join('');
};

describe('3×5 font', () => {
  it('has glyphs of 5 rows of 3 pixels', () => {
    for (const [char, rows] of Object.entries(GLYPHS)) {
      expect(rows, char).toHaveLength(GLYPH_HEIGHT);
      for (const row of rows) expect(row, char).toMatch(new RegExp(`^[#.]{${GLYPH_WIDTH}}$`));
    }
  });

  it('draws every glyph differently', () => {
    const drawn = Object.keys(GLYPHS).map((char) => pixels((c) => drawText(c, char, 0, 0, WHITE), GLYPH_WIDTH, GLYPH_HEIGHT));
    expect(new Set(drawn).size).toBe(drawn.length);
  });

  it('measures text with a one-pixel gap between glyphs', () => {
    expect(textWidth('')).toBe(0);
    expect(textWidth('7')).toBe(3);
    expect(textWidth('23+45-17')).toBe(31);
  });

  it('refuses a character it has no glyph for', () => {
    expect(() => drawText(createCanvas(8, 8), 'x', 0, 0, WHITE)).toThrow(/no glyph/);
  });
});

describe('shapes', () => {
  it('are pairwise different and fill their box from edge to edge', () => {
    const drawn = SHAPE_KINDS.map((kind) => pixels((c) => drawShape(c, kind, 0, 0, WHITE), SHAPE_SIZE, SHAPE_SIZE));
    expect(new Set(drawn).size).toBe(SHAPE_KINDS.length);
    for (const d of drawn) {
      const rows = Array.from({ length: SHAPE_SIZE }, (_, r) => d.slice(r * SHAPE_SIZE, (r + 1) * SHAPE_SIZE));
      expect(rows.every((row) => row.includes('#'))).toBe(true);
      expect(Array.from({ length: SHAPE_SIZE }, (_, col) => rows.some((row) => row[col] === '#')).every(Boolean)).toBe(true);
    }
  });
});
