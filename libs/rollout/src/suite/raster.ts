/**
 * Drawing on a small RGB canvas: filled 5×5 shapes, 3×5 glyphs and rectangles. A generator
 * owns its canvas while it draws and hands out the finished pixels as an immutable-by-contract
 * `RgbImage`; nothing here is shared between calls.
 */
import type { RgbImage } from './problem.js';
import { GLYPHS, GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH } from './font.js';
import type { Rgb } from './palette.js';

export type ShapeKind = 'square' | 'circle' | 'triangle';
export const SHAPE_KINDS: readonly ShapeKind[] = ['square', 'circle', 'triangle'];

/** Side of a shape in pixels. */
export const SHAPE_SIZE = 5;

const SHAPE_MASKS: Readonly<Record<ShapeKind, readonly string[]>> = {
  square: ['#####', '#####', '#####', '#####', '#####'],
  circle: ['.###.', '#####', '#####', '#####', '.###.'],
  triangle: ['..#..', '.###.', '.###.', '#####', '#####'],
};

export interface Canvas {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;
}

export const createCanvas = (width: number, height: number): Canvas => ({ width, height, data: new Float32Array(width * height * 3) });

/** Sets one pixel; coordinates outside the canvas are ignored. */
export const setPixel = (canvas: Canvas, x: number, y: number, color: Rgb): void => {
  if (x < 0 || y < 0 || x >= canvas.width || y >= canvas.height) return;
  const at = (y * canvas.width + x) * 3;
  canvas.data[at] = color[0];
  canvas.data[at + 1] = color[1];
  canvas.data[at + 2] = color[2];
};

export const fillRect = (canvas: Canvas, x: number, y: number, width: number, height: number, color: Rgb): void => {
  for (let dy = 0; dy < height; dy++) for (let dx = 0; dx < width; dx++) setPixel(canvas, x + dx, y + dy, color);
};

const drawMask = (canvas: Canvas, mask: readonly string[], x: number, y: number, color: Rgb): void => {
  mask.forEach((line, dy) => {
    for (let dx = 0; dx < line.length; dx++) if (line[dx] === '#') setPixel(canvas, x + dx, y + dy, color);
  });
};

/** A filled `SHAPE_SIZE`² shape with its top-left corner at (x, y). */
export const drawShape = (canvas: Canvas, kind: ShapeKind, x: number, y: number, color: Rgb): void =>
  drawMask(canvas, SHAPE_MASKS[kind], x, y, color);

/** `text` in the 3×5 font with its top-left corner at (x, y); throws on a character the font lacks. */
export const drawText = (canvas: Canvas, text: string, x: number, y: number, color: Rgb): void => {
  [...text].forEach((char, i) => {
    const glyph = GLYPHS[char];
    if (glyph === undefined) throw new RangeError(`drawText: no glyph for ${JSON.stringify(char)}`);
    drawMask(canvas, glyph, x + i * GLYPH_ADVANCE, y, color);
  });
};

export const toImage = (canvas: Canvas): RgbImage => ({ width: canvas.width, height: canvas.height, data: canvas.data });

export { GLYPH_WIDTH, GLYPH_HEIGHT };
