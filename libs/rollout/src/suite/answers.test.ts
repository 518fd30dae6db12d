/**
 * Reads every answer back out of the pixels: connected components for shapes, the 3×5 font
 * for expressions, bar and stack heights, cells of a sequence. If a generator drew something
 * other than what its answer claims, this fails.
 */
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { LEVELS, choiceIndex, type Level, type Problem, type Split } from './problem.js';
import { generateProblem } from './generate.js';
import { COLORS, COLOR_NAMES, type ColorName } from './palette.js';
import { GLYPHS, GLYPH_ADVANCE, GLYPH_HEIGHT, GLYPH_WIDTH } from './font.js';
import type { ShapeKind } from './raster.js';

const problems = (family: Problem['family']): Problem[] =>
  LEVELS.flatMap((level: Level) =>
    (['train', 'test'] as Split[]).flatMap((split) =>
      Array.from({ length: 24 }, (_, seed) => {
        const r = generateProblem(family, level, split, seed);
        if (E.isLeft(r)) throw r.left;
        return r.right;
      }),
    ),
  );

type Ink = ColorName | 'white' | 'grey' | 'black';

const inkAt = (p: Problem, x: number, y: number): Ink => {
  const at = (y * p.image.width + x) * 3;
  const rgb = [p.image.data[at]!, p.image.data[at + 1]!, p.image.data[at + 2]!];
  if (rgb.every((v) => v === 0)) return 'black';
  if (rgb.every((v) => v === 1)) return 'white';
  if (rgb.every((v) => v === 0.5)) return 'grey';
  const name = COLOR_NAMES.find((c) => COLORS[c].every((v, i) => Math.abs(v - rgb[i]!) < 1e-6));
  if (name === undefined) throw new Error(`unknown colour ${rgb.join(',')} at ${x},${y}`);
  return name;
};

const SHAPE_BY_AREA: Readonly<Record<number, ShapeKind>> = { 25: 'square', 21: 'circle', 17: 'triangle' };

/** 4-connected components of colour: their colour and shape (told apart by area). */
const components = (p: Problem): Array<{ color: ColorName; shape: ShapeKind }> => {
  const seen = new Uint8Array(p.image.width * p.image.height);
  const found: Array<{ color: ColorName; shape: ShapeKind }> = [];
  for (let y = 0; y < p.image.height; y++) {
    for (let x = 0; x < p.image.width; x++) {
      const ink = inkAt(p, x, y);
      if (seen[y * p.image.width + x] || ink === 'black' || ink === 'white' || ink === 'grey') continue;
      let area = 0;
      const stack: Array<[number, number]> = [[x, y]];
      seen[y * p.image.width + x] = 1;
      while (stack.length > 0) {
        const [cx, cy] = stack.pop()!;
        area++;
        for (const [nx, ny] of [[cx + 1, cy], [cx - 1, cy], [cx, cy + 1], [cx, cy - 1]] as const) {
          if (nx < 0 || ny < 0 || nx >= p.image.width || ny >= p.image.height || seen[ny * p.image.width + nx]) continue;
          if (inkAt(p, nx, ny) !== ink) continue;
          seen[ny * p.image.width + nx] = 1;
          stack.push([nx, ny]);
        }
      }
      const shape = SHAPE_BY_AREA[area];
      if (shape === undefined) throw new Error(`${p.id}: a ${ink} blob of ${area} px is no shape`);
      found.push({ color: ink, shape });
    }
  }
  return found;
};

const chosen = (p: Problem): string => p.choices![choiceIndex(p.answer)]!;

const singular = (plural: string): ShapeKind => plural.slice(0, -1) as ShapeKind;

describe('answers match the pixels', () => {
  it('counting', () => {
    for (const p of problems('counting')) {
      const m = /^how many (\w+) (\w+)\?$/.exec(p.question)!;
      const color = m[1] as ColorName;
      const matches = components(p).filter((c) => c.color === color && (m[2] === 'shapes' || c.shape === singular(m[2]!)));
      expect(String(matches.length), `${p.id} ${p.question}`).toBe(p.answer);
    }
  });

  it('comparison', () => {
    for (const p of problems('comparison')) {
      const m = /^more (\w+) or (\w+)\?$/.exec(p.question)!;
      expect(p.choices).toEqual([m[1], m[2]]);
      const all = components(p);
      const count = (name: string): number =>
        (COLOR_NAMES as readonly string[]).includes(name) ? all.filter((c) => c.color === name).length : all.filter((c) => c.shape === singular(name)).length;
      const [a, b] = [count(m[1]!), count(m[2]!)];
      expect(a, p.id).not.toBe(b);
      expect(p.answer, p.id).toBe(a > b ? 'A' : 'B');
    }
  });

  it('arithmetic', () => {
    for (const p of problems('arithmetic')) {
      const white: Array<[number, number]> = [];
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) if (inkAt(p, x, y) === 'white') white.push([x, y]);
      const x0 = Math.min(...white.map(([x]) => x));
      const y0 = Math.min(...white.map(([, y]) => y));
      let text = '';
      for (let gx = x0; gx + GLYPH_WIDTH <= 32; gx += GLYPH_ADVANCE) {
        const rows = Array.from({ length: GLYPH_HEIGHT }, (_, dy) =>
          Array.from({ length: GLYPH_WIDTH }, (_, dx) => (inkAt(p, gx + dx, y0 + dy) === 'white' ? '#' : '.')).join(''),
        );
        const char = Object.entries(GLYPHS).find(([, g]) => g.every((row, i) => row === rows[i]))?.[0];
        if (char === undefined) break;
        text += char;
      }
      const tokens = text.match(/\d+|[+-]/g)!;
      let value = Number(tokens[0]);
      for (let i = 1; i < tokens.length; i += 2) value = tokens[i] === '+' ? value + Number(tokens[i + 1]) : value - Number(tokens[i + 1]);
      expect(String(value), `${p.id} read ${text}`).toBe(p.answer);
    }
  });

  it('chart', () => {
    for (const p of problems('chart')) {
      // Bars: runs of one colour along the row above the baseline; height = lit pixels in the bar's column / 3.
      const bars: Array<{ color: ColorName; value: number }> = [];
      for (let x = 3; x < 32; x++) {
        const ink = inkAt(p, x, 28);
        if (ink === 'black' || ink === 'white' || ink === 'grey' || inkAt(p, x - 1, 28) === ink) continue;
        let height = 0;
        while (inkAt(p, x, 28 - height) === ink) height++;
        expect(height % 3, p.id).toBe(0);
        bars.push({ color: ink, value: height / 3 });
      }
      const value = (name: string): number => bars.find((b) => b.color === name)!.value;
      const values = bars.map((b) => b.value);
      const q = p.question;
      if (q === 'tallest bar?' || q === 'shortest bar?') {
        const extreme = q === 'tallest bar?' ? Math.max(...values) : Math.min(...values);
        expect(values.filter((v) => v === extreme), p.id).toHaveLength(1);
        expect(value(chosen(p)), p.id).toBe(extreme);
      } else if (q.startsWith('value of ')) {
        expect(chosen(p), p.id).toBe(String(value(/^value of (\w+) bar\?$/.exec(q)![1]!)));
      } else {
        const m = /^(\w+) minus (\w+)\?$/.exec(q)!;
        expect(chosen(p), p.id).toBe(String(value(m[1]!) - value(m[2]!)));
      }
    }
  });

  it('pattern', () => {
    for (const p of problems('pattern')) {
      if (p.question === 'next height?') {
        const heights = [0, 1, 2, 3].map((k) => {
          let h = 0;
          while (h < 8 && inkAt(p, 2 + 6 * k, 28 - 4 * h) !== 'black') h++;
          return h;
        });
        const diffs = heights.slice(1).map((h, i) => h - heights[i]!);
        const constant = diffs.every((d) => d === diffs[0]);
        const growing = diffs.every((d, i) => i === 0 || d === diffs[i - 1]! + 1);
        expect(constant || growing, `${p.id} ${heights.join(',')}`).toBe(true);
        const next = heights[3]! + (constant ? diffs[0]! : diffs[2]! + 1);
        expect(String(next), p.id).toBe(p.answer);
        continue;
      }
      // Cells of 8×8 in reading order from the second row; a shape sits at (+2, +2).
      const items: Array<{ color: ColorName; shape: ShapeKind }> = [];
      for (let i = 0; ; i++) {
        const x = (i % 4) * 8;
        const y = (1 + Math.floor(i / 4)) * 8;
        const ink = inkAt(p, x + 4, y + 4);
        if (ink === 'black' || ink === 'white' || ink === 'grey') break;
        let area = 0;
        for (let dy = 0; dy < 5; dy++) for (let dx = 0; dx < 5; dx++) if (inkAt(p, x + 2 + dx, y + 2 + dy) === ink) area++;
        items.push({ color: ink, shape: SHAPE_BY_AREA[area]! });
      }
      const attribute = p.question === 'next color?' ? 'color' : 'shape';
      const seq = items.map((it) => it[attribute] as string);
      const period = [1, 2, 3, 4].find((q) => seq.every((v, i) => i < q || v === seq[i - q]))!;
      expect(period, `${p.id} ${seq.join(',')}`).toBeGreaterThanOrEqual(2);
      expect(seq.length, p.id).toBeGreaterThanOrEqual(period + 2);
      expect(chosen(p), p.id).toBe(seq[seq.length - period]);
    }
  });
});
